"""What CreatePipelineJob checks before creating anything; each refusal is a 400."""

import json
import re
from collections.abc import Mapping
from typing import Any

from hydra_vertex_pipelines.runner import SpecError, check_parameter_values, task_order
from hydra_vertex_pipelines.vertex_facts import (
    FAIL_FAST,
    MAX_DISPLAY_NAME_LENGTH,
    camel_case,
    snake_case,
)

from .errors import invalid_argument
from .names import JOB_ID
from .resources import FAILURE_POLICIES
from .spec_shape import check_container, check_definitions, check_references, check_task, mapping

# PipelineJob fields a client sets (the rest are output only and ignored, as Vertex does)
INPUT_FIELDS = (
    "displayName",
    "pipelineSpec",
    "labels",
    "runtimeConfig",
    "encryptionSpec",
    "serviceAccount",
    "network",
    "reservedIpRanges",
    "pscInterfaceConfig",
    "templateUri",
    "preflightValidations",
)
OUTPUT_FIELDS = (
    "name",
    "createTime",
    "startTime",
    "endTime",
    "updateTime",
    "state",
    "jobDetail",
    "error",
    "templateMetadata",
    "scheduleName",
)
RUNTIME_CONFIG_FIELDS = (
    "parameters",
    "gcsOutputDirectory",
    "parameterValues",
    "failurePolicy",
    "inputArtifacts",
    "defaultRuntime",
)
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
_MAX_LABELS = 64
_PARAMETER_TYPES: dict[str, tuple[type, ...]] = {
    "STRING": (str,),
    "NUMBER_INTEGER": (int,),
    "NUMBER_DOUBLE": (int, float),
    "BOOLEAN": (bool,),
    "LIST": (list,),
    "STRUCT": (dict,),
}
# input fields' JSON types (other than labels, pipelineSpec and runtimeConfig, checked apart)
_JOB_FIELD_TYPES: dict[str, type] = {
    "displayName": str,
    "serviceAccount": str,
    "network": str,
    "templateUri": str,
    "encryptionSpec": dict,
    "pscInterfaceConfig": dict,
    "reservedIpRanges": list,
    "preflightValidations": bool,
}
_RUNTIME_CONFIG_FIELD_TYPES: dict[str, type] = {
    "parameters": dict,
    "parameterValues": dict,
    "inputArtifacts": dict,
    "defaultRuntime": dict,
}
_TYPE_NAMES = {str: "a string", dict: "an object", list: "a list", bool: "true or false"}
# schema 2.0.0 runtimeConfig.parameters: Value messages
_LEGACY_VALUE_KINDS = ("stringValue", "intValue", "doubleValue")


def _fields(message: Any, what: str, known: tuple[str, ...]) -> dict[str, Any]:
    """The message's fields by camelCase name; an unknown one is refused as Vertex does."""
    if not isinstance(message, Mapping):
        raise invalid_argument(f"Invalid JSON payload received: {what} must be an object.")
    fields = {camel_case(k): v for k, v in message.items()}
    unknown = sorted(set(fields) - set(known))
    if unknown:
        raise invalid_argument(
            f"Invalid JSON payload received. Unknown name \"{unknown[0]}\" at '{what}': "
            "Cannot find field."
        )
    return fields


def _check_types(message: Mapping[str, Any], types: Mapping[str, type], what: str) -> None:
    for field, kind in types.items():
        value = message.get(field)
        if value is not None and not isinstance(value, kind):
            raise invalid_argument(
                f"Invalid value at '{what}.{snake_case(field)}': expected {_TYPE_NAMES[kind]}, "
                f"got {type(value).__name__}."
            )


def job_request(body: Any) -> dict[str, Any]:
    """The client's input fields of the PipelineJob, camelCase, output-only fields dropped."""
    fields = _fields(body, "pipeline_job", INPUT_FIELDS + OUTPUT_FIELDS)
    request = {k: v for k, v in fields.items() if k in INPUT_FIELDS}
    _check_types(request, _JOB_FIELD_TYPES, "pipeline_job")
    reserved_ranges = request.get("reservedIpRanges", [])
    if not all(isinstance(r, str) for r in reserved_ranges):
        raise invalid_argument("Invalid value at 'pipeline_job.reserved_ip_ranges': strings.")
    if len(request.get("displayName", "")) > MAX_DISPLAY_NAME_LENGTH:
        raise invalid_argument(f"displayName is longer than {MAX_DISPLAY_NAME_LENGTH} characters.")
    runtime_config = request.get("runtimeConfig", {})
    what = "pipeline_job.runtime_config"
    request["runtimeConfig"] = _fields(runtime_config, what, RUNTIME_CONFIG_FIELDS)
    _check_types(request["runtimeConfig"], _RUNTIME_CONFIG_FIELD_TYPES, what)
    return request


def check_job_id(job_id: str) -> None:
    if not JOB_ID.match(job_id):
        raise invalid_argument(
            f"pipelineJobId {job_id!r} is invalid: it must match {JOB_ID.pattern} "
            "(lowercase letters, digits and hyphens, starting with a letter, at most 128)."
        )


def check_labels(labels: Any) -> None:
    if not isinstance(labels, Mapping):
        raise invalid_argument("labels must be a map of strings.")
    if len(labels) > _MAX_LABELS:
        raise invalid_argument(f"at most {_MAX_LABELS} labels are allowed.")
    for key, value in labels.items():
        if not _LABEL_KEY.match(key):
            raise invalid_argument(
                f"label key {key!r} is invalid: lowercase letters, digits, _ and -, starting "
                "with a letter, at most 63 characters."
            )
        if not isinstance(value, str) or not _LABEL_VALUE.match(value):
            raise invalid_argument(
                f"label value {value!r} of {key!r} is invalid: lowercase letters, digits, _ "
                "and -, at most 63 characters."
            )


def _object(holder: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = holder.get(key)
    if not isinstance(value, Mapping):
        raise invalid_argument(f"The pipeline spec is invalid: {where}.{key} is missing.")
    return value


def check_spec(spec: Any) -> None:
    """A PipelineSpec whose DAG the emulator can run: container tasks of the root DAG, every
    field it reads of the right type."""
    if not isinstance(spec, Mapping) or not spec:
        raise invalid_argument("pipelineSpec is required and must be a PipelineSpec object.")
    info = _object(spec, "pipelineInfo", "pipelineSpec")
    if not isinstance(info.get("name"), str) or not info["name"]:
        raise invalid_argument("The pipeline spec is invalid: pipelineInfo.name is missing.")
    root = _object(spec, "root", "pipelineSpec")
    tasks = _object(_object(root, "dag", "root"), "tasks", "dag")
    check_definitions(root, "pipelineSpec.root")
    components = _object(spec, "components", "pipelineSpec")
    executors = _object(
        _object(spec, "deploymentSpec", "pipelineSpec"), "executors", "deploymentSpec"
    )
    for name, task in tasks.items():
        check_task(name, task)
        ref = task["componentRef"]["name"]
        component = components.get(ref)
        if not isinstance(component, Mapping):
            raise invalid_argument(
                f"The pipeline spec is invalid: task {name!r} names component {ref!r}, "
                "which pipelineSpec.components lacks."
            )
        check_definitions(component, f"pipelineSpec.components[{ref!r}]")
        label = component.get("executorLabel")
        if not isinstance(label, str):
            raise invalid_argument(
                f"Task {name!r}: component {ref!r} has no executorLabel; the emulator runs "
                "container tasks of the root DAG only (no nested pipelines)."
            )
        executor = executors.get(label)
        container = executor.get("container") if isinstance(executor, Mapping) else None
        if not isinstance(container, Mapping) or container.get("image") in (None, ""):
            raise invalid_argument(
                f"Task {name!r}: executor {label!r} is not a container with an image "
                "(importers and other executors are not supported by the emulator)."
            )
        check_container(label, container)
    try:
        task_order(spec)
    except SpecError as e:
        raise invalid_argument(f"The pipeline spec is invalid: {e}.") from e
    check_references(spec)


def _legacy_value(name: str, value: Any) -> Any:
    if (
        not isinstance(value, Mapping)
        or len(value) != 1
        or next(iter(value)) not in _LEGACY_VALUE_KINDS
    ):
        raise invalid_argument(f"runtimeConfig.parameters[{name!r}] is not a Value.")
    return next(iter(value.values()))


def parameter_values(spec: Mapping[str, Any], runtime_config: Mapping[str, Any]) -> dict[str, str]:
    """The runtime parameters, type-checked against the spec, as component arg text."""
    given: dict[str, Any] = dict(mapping(runtime_config, "parameterValues", "runtimeConfig"))
    for name, value in mapping(runtime_config, "parameters", "runtimeConfig").items():
        given[name] = _legacy_value(name, value)
    try:
        check_parameter_values(spec, given)
    except SpecError as e:
        raise invalid_argument(f"{e}.") from e
    declared = spec["root"].get("inputDefinitions", {}).get("parameters", {})
    for name, value in given.items():
        kind = declared[name].get("parameterType", "STRING")
        accepted = _PARAMETER_TYPES.get(kind, (object,))
        wrong_bool = isinstance(value, bool) and bool not in accepted
        if not isinstance(value, accepted) or wrong_bool:
            raise invalid_argument(
                f"The value of pipeline parameter {name!r} must be a {kind}: got {value!r}."
            )
    return {n: v if isinstance(v, str) else json.dumps(v) for n, v in given.items()}


def pipeline_root(runtime_config: Mapping[str, Any]) -> str:
    root = runtime_config.get("gcsOutputDirectory")
    if not isinstance(root, str) or not re.match(r"^gs://[a-z0-9][-a-z0-9_.]*(/|$)", root):
        raise invalid_argument(
            "runtimeConfig.gcsOutputDirectory must be a gs://bucket/path URI (the pipeline root)."
        )
    return root


def failure_policy(runtime_config: dict[str, Any]) -> str:
    """fast or slow; the runtimeConfig's policy is rewritten as its enum name."""
    policy = runtime_config.get("failurePolicy", FAILURE_POLICIES[0])
    if (
        isinstance(policy, int)
        and not isinstance(policy, bool)
        and 0 <= policy < len(FAILURE_POLICIES)
    ):
        policy = FAILURE_POLICIES[policy]
    if policy not in FAILURE_POLICIES:
        raise invalid_argument(f"runtimeConfig.failurePolicy {policy!r} is not a failure policy.")
    if "failurePolicy" in runtime_config:
        runtime_config["failurePolicy"] = policy
    return "fast" if policy == FAIL_FAST else "slow"
