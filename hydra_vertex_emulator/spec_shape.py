"""The shape of what the emulator reads in a PipelineSpec, checked before a job is created: a
pipelineSpec is a google.protobuf.Struct in the request, which Vertex parses as a PipelineSpec
message (kfp's pipeline_spec.proto), so a field of the wrong type is a 400, never a job that
fails later (or a server error).
"""

from collections.abc import Mapping
from typing import Any

from .errors import ApiError, invalid_argument

# proto3 JSON int32 (PipelineTaskSpec.RetryPolicy.max_retry_count)
MAX_INT32 = 2**31 - 1
# what a task's input parameter may come from, as the emulator runs it
_PARAMETER_SOURCES = ("componentInputParameter", "taskOutputParameter", "runtimeValue")


def _bad(where: str, what: str, value: Any) -> ApiError:
    shown = repr(value) if len(repr(value)) <= 80 else f"{type(value).__name__} value"
    return invalid_argument(f"Invalid value at {where!r}: it must be {what}, not {shown}.")


def mapping(holder: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    """holder[key] as an object; absent is an empty one."""
    value = holder.get(key, {})
    if not isinstance(value, Mapping):
        raise _bad(f"{where}.{key}", "an object", value)
    return value


def _entries(holder: Mapping[str, Any], key: str, where: str) -> dict[str, Mapping[str, Any]]:
    """holder[key] as an object whose values are objects."""
    entries = mapping(holder, key, where)
    for name, entry in entries.items():
        if not isinstance(entry, Mapping):
            raise _bad(f"{where}.{key}[{name!r}]", "an object", entry)
    return dict(entries)


def _string(holder: Mapping[str, Any], key: str, where: str, required: bool = False) -> None:
    if key not in holder and not required:
        return
    if not isinstance(holder.get(key), str):
        raise _bad(f"{where}.{key}", "a string", holder.get(key))


def _strings(holder: Mapping[str, Any], key: str, where: str) -> None:
    value = holder.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(f"{where}.{key}", "a list of strings", value)


def _whole_number(value: Any) -> bool:
    """A proto3 JSON int32: a number without fraction, or its decimal text."""
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return value.is_integer() and 0 <= value <= MAX_INT32
    if isinstance(value, str):
        return value.isdigit() and int(value) <= MAX_INT32
    return isinstance(value, int) and 0 <= value <= MAX_INT32


def check_definitions(holder: Mapping[str, Any], where: str) -> None:
    """inputDefinitions / outputDefinitions: parameters and artifacts by name."""
    for side in ("inputDefinitions", "outputDefinitions"):
        definitions = mapping(holder, side, where)
        parameters = _entries(definitions, "parameters", f"{where}.{side}")
        for name, parameter in parameters.items():
            _string(parameter, "parameterType", f"{where}.{side}.parameters[{name!r}]")
        _entries(definitions, "artifacts", f"{where}.{side}")


def _check_inputs(task: Mapping[str, Any], where: str) -> None:
    inputs = mapping(task, "inputs", where)
    for name, source in _entries(inputs, "parameters", f"{where}.inputs").items():
        at = f"{where}.inputs.parameters[{name!r}]"
        kinds = [kind for kind in _PARAMETER_SOURCES if kind in source]
        if len(kinds) != 1:
            raise invalid_argument(
                f"The pipeline spec is invalid: {at} must have one of "
                f"{', '.join(_PARAMETER_SOURCES)} (the sources the emulator runs)."
            )
        if kinds[0] == "componentInputParameter":
            _string(source, kinds[0], at)
        elif kinds[0] == "taskOutputParameter":
            output = mapping(source, kinds[0], at)
            for key in ("producerTask", "outputParameterKey"):
                _string(output, key, f"{at}.{kinds[0]}", required=True)
        else:
            mapping(source, kinds[0], at)
    for name, source in _entries(inputs, "artifacts", f"{where}.inputs").items():
        at = f"{where}.inputs.artifacts[{name!r}]"
        producer = source.get("taskOutputArtifact")
        if not isinstance(producer, Mapping):
            raise _bad(
                f"{at}.taskOutputArtifact", "an object (the emulator runs no importers)", producer
            )
        for key in ("producerTask", "outputArtifactKey"):
            _string(producer, key, f"{at}.taskOutputArtifact", required=True)


def check_task(name: str, task: Any) -> None:
    """A DAG task: what the runner and the emulator's records read of it."""
    where = f"pipelineSpec.root.dag.tasks[{name!r}]"
    if not isinstance(task, Mapping):
        raise _bad(where, "an object", task)
    _string(mapping(task, "componentRef", where), "name", f"{where}.componentRef", required=True)
    _string(mapping(task, "taskInfo", where), "name", f"{where}.taskInfo")
    _strings(task, "dependentTasks", where)
    _check_inputs(task, where)
    caching = mapping(task, "cachingOptions", where)
    if "enableCache" in caching and not isinstance(caching["enableCache"], bool):
        raise _bad(f"{where}.cachingOptions.enableCache", "true or false", caching["enableCache"])
    retry = mapping(task, "retryPolicy", where)
    if "maxRetryCount" in retry and not _whole_number(retry["maxRetryCount"]):
        raise _bad(
            f"{where}.retryPolicy.maxRetryCount",
            f"a whole number from 0 to {MAX_INT32}",
            retry["maxRetryCount"],
        )


def check_container(label: str, container: Mapping[str, Any]) -> None:
    """An executor's container: image, command and args (argv lists), env, resources."""
    where = f"pipelineSpec.deploymentSpec.executors[{label!r}].container"
    _string(container, "image", where, required=True)
    _strings(container, "command", where)
    _strings(container, "args", where)
    env = container.get("env", [])
    if not isinstance(env, list) or not all(
        isinstance(e, Mapping)
        and isinstance(e.get("name"), str)
        and isinstance(e.get("value", ""), str)
        for e in env
    ):
        raise _bad(f"{where}.env", 'a list of {"name": ..., "value": ...} strings', env)
    mapping(mapping(container, "resources", where), "accelerator", f"{where}.resources")


def _outputs_of(spec: Mapping[str, Any], task: str, kind: str) -> Mapping[str, Any]:
    tasks: Mapping[str, Any] = spec["root"]["dag"]["tasks"]
    component = spec["components"][tasks[task]["componentRef"]["name"]]
    declared: Mapping[str, Any] = component.get("outputDefinitions", {}).get(kind, {})
    return declared


def check_references(spec: Mapping[str, Any]) -> None:
    """Each task input names a pipeline parameter, or an output its producer declares (the
    producers exist: task_order checked them)."""
    declared = spec["root"].get("inputDefinitions", {}).get("parameters", {})
    for name, task in spec["root"]["dag"]["tasks"].items():
        where = f"root.dag.tasks[{name!r}].inputs"
        inputs = task.get("inputs", {})
        for input_name, source in inputs.get("parameters", {}).items():
            pipeline_parameter = source.get("componentInputParameter")
            if pipeline_parameter is not None and pipeline_parameter not in declared:
                raise invalid_argument(
                    f"The pipeline spec is invalid: {where}.parameters[{input_name!r}] reads "
                    f"pipeline parameter {pipeline_parameter!r}, which root.inputDefinitions "
                    "lacks."
                )
            output = source.get("taskOutputParameter")
            if output is not None and output["outputParameterKey"] not in _outputs_of(
                spec, output["producerTask"], "parameters"
            ):
                raise invalid_argument(
                    f"The pipeline spec is invalid: {where}.parameters[{input_name!r}] reads "
                    f"output parameter {output['outputParameterKey']!r}, which task "
                    f"{output['producerTask']!r} does not declare."
                )
        for input_name, source in inputs.get("artifacts", {}).items():
            output = source["taskOutputArtifact"]
            if output["outputArtifactKey"] not in _outputs_of(
                spec, output["producerTask"], "artifacts"
            ):
                raise invalid_argument(
                    f"The pipeline spec is invalid: {where}.artifacts[{input_name!r}] reads "
                    f"output artifact {output['outputArtifactKey']!r}, which task "
                    f"{output['producerTask']!r} does not declare."
                )
