"""A custom-job task, compiled by google-cloud-pipeline-components (GCPC), run here as Vertex runs
it: the task's container is GCPC's launcher, whose `--payload` is a CustomJob as JSON text with
placeholders. Vertex fills them in as text, unescaped (a value holding `"` breaks the JSON: "Failed
to parse the container spec json payload", github.com/kubeflow/pipelines/issues/8166; GCPC escapes
only the executor input, with {{$.json_escape[1]}}); the launcher then creates the CustomJob, which
the API parses strictly (unknown fields refused). Here the payload is filled in the same way,
parsed with the aiplatform_v1 CustomJob message, and its first worker pool's container runs like
any component; its machine is logged, not provisioned.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .placeholders import resolve
from .results import TaskResult
from .spec import SpecError, input_defaults

_INPUT = re.compile(r"\{\{\$\.inputs\.parameters\['([^']*)'\]\}\}")
# the pipeline's context ({{$.pipeline_persistent_resource_id}}, ...): none of it exists here,
# as for a PipelineJob that sets none (Vertex then fills in an empty string)
_PIPELINE_CONTEXT = re.compile(r"\{\{\$\.pipeline_[a-z_]+\}\}")
# what GCPC's launcher writes to its gcp_resources output: no Google Cloud resource was made here
NO_GCP_RESOURCES = json.dumps({"resources": []})


class PayloadError(ValueError):
    """The filled-in payload is not a CustomJob: the task fails, as on Vertex."""


@dataclass(frozen=True)
class WorkerContainer:
    # the first worker pool's container, its placeholders filled in
    image: str
    command: list[str]
    args: list[str]
    env: dict[str, str]
    # machine, accelerators, disk and scheduling, for the log
    machine: str


def fill_payload(template: str, component: Mapping[str, Any], result: TaskResult) -> str:
    """The payload text with its placeholders replaced as text: the task's input parameters
    (the component's defaults, then the task's inputs; an optional input without a value is
    null), then the pipeline's context, then the placeholders the input values brought along
    (the wrapped component's own inputs and outputs)."""
    declared = component.get("inputDefinitions", {}).get("parameters", {})
    values = {
        n: v if isinstance(v, str) else json.dumps(v) for n, v in input_defaults(component).items()
    }
    values |= result.input_parameters

    def value(match: "re.Match[str]") -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        if declared.get(name, {}).get("isOptional"):
            return "null"
        raise SpecError(f"task {result.task}: the payload names unknown input {name!r}")

    text = _PIPELINE_CONTEXT.sub("", _INPUT.sub(value, template))
    return resolve(text, result)


def _describe(job: Any) -> str:
    pool = job.job_spec.worker_pool_specs[0]
    machine = pool.machine_spec
    parts = [machine.machine_type]
    if machine.accelerator_count:
        parts.append(f"{machine.accelerator_type.name} x{machine.accelerator_count}")
    if pool.disk_spec.boot_disk_type:
        parts.append(f"{pool.disk_spec.boot_disk_type} {pool.disk_spec.boot_disk_size_gb} GB")
    scheduling = job.job_spec.scheduling
    parts.append(scheduling.strategy.name)
    if pool.replica_count > 1 or len(job.job_spec.worker_pool_specs) > 1:
        parts.append("1 replica of the first worker pool runs here")
    return f"custom job on {', '.join(parts)}"


def worker_container(
    template: str, component: Mapping[str, Any], result: TaskResult
) -> WorkerContainer:
    """The container that the task's CustomJob runs, from its filled-in payload."""
    # aiplatform's messages load only when a custom job runs
    from google.protobuf import json_format

    from ..vertex_api import CustomJob

    text = fill_payload(template, component, result)
    try:
        payload = json.loads(text)
        message = json_format.ParseDict(payload, CustomJob.pb()(), ignore_unknown_fields=False)
    except (ValueError, json_format.ParseError) as e:
        raise PayloadError(f"Failed to parse the custom job payload: {e}") from e
    job = CustomJob.wrap(message)
    pools = job.job_spec.worker_pool_specs
    if not pools or not pools[0].container_spec.image_uri:
        raise PayloadError("the custom job's first worker pool has no container_spec.image_uri")
    spec = pools[0].container_spec
    return WorkerContainer(
        image=spec.image_uri,
        command=list(spec.command),
        args=list(spec.args),
        env={e.name: e.value for e in spec.env},
        machine=_describe(job),
    )
