"""Components that run as Vertex AI custom jobs: a component with `resources.machine_type` is
wrapped by google-cloud-pipeline-components (GCPC), whose task creates a CustomJob on exactly that
machine (accelerators, boot disk, Spot or FLEX_START scheduling) and waits for it.

GCPC is an extra (`pip install 'hydra-vertex-pipeline-launcher[custom-job]'`): it requires
google-cloud-aiplatform<2. It is imported here only, when a custom job is compiled.

Return value: GCPC copies the component's output parameters onto the custom-job task, but the
wrapped container runs on the custom job's VM, not in the task's container, so where Vertex
expects an output parameter file is not where the VM writes. A custom-job main component's
callback therefore writes the return value as `return_value.json` into its Hydra output dir
(`hydra.run.dir`, under the pipeline root through the /gcs/ mount that custom jobs have too),
and the executors read it from there.
"""

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ComponentConf,
    VertexPipelineLauncherConf,
)

from ..choices import SchedulingStrategy
from ..machine_types import (
    DEFAULT_BOOT_DISK_GB,
    DEFAULT_BOOT_DISK_TYPE,
    DEFAULT_MAX_WAIT_S,
    DEFAULT_TIMEOUT_S,
    gpu_count,
)
from ..planning.overrides import JobOverride, matches_prefix
from ..runner.spec import custom_job_payload, dag_tasks
from .graph import kfp_name

RETURN_VALUE_FILE = "return_value.json"
COMPONENT_LABEL = "hydra_component"
# Vertex fills parameter values into the custom job's JSON payload as they are, unescaped
# (GCPC escapes only the executor input, with {{$.json_escape[1]}}): these break its JSON
_JSON_UNSAFE = re.compile(r'["\\\x00-\x1f]')
_MAX_DISPLAY_NAME = 128


def is_custom_job(comp: ComponentConf) -> bool:
    return comp.resources.machine_type is not None


def return_value_arg(prefix: str) -> str:
    """The callback's output file of a custom-job main: in its Hydra output dir, which Hydra
    resolves in the container (the run dir's text may be escaped or quoted there)."""
    return f"{prefix}.output_file=${{hydra.run.dir}}/{RETURN_VALUE_FILE}"


def _labels(conf: VertexPipelineLauncherConf, comp_name: str) -> dict[str, str]:
    """The user's labels and the component's name; Vertex adds the run's own labels (GCPC's
    launcher merges VERTEX_AI_PIPELINES_RUN_LABELS)."""
    # here, not at the top: the executors package imports the compiling modules
    from ..executors.vertex.labels import sanitize_labels

    labels = dict(conf.labels) | {COMPONENT_LABEL: kfp_name(comp_name)}
    return sanitize_labels(labels)


def custom_job_component(
    component: Any, comp_name: str, comp: ComponentConf, conf: VertexPipelineLauncherConf
) -> Any:
    """The kfp container component `component` as a GCPC custom-job component; service account,
    network and reserved IP ranges default to the launcher's."""
    from google_cloud_pipeline_components.v1.custom_job import (
        create_custom_training_job_from_component,
    )

    res = comp.resources
    assert res.machine_type is not None
    reserved = conf.reserved_ip_ranges if res.reserved_ip_ranges is None else res.reserved_ip_ranges
    title = _JSON_UNSAFE.sub("", comp.display_name or comp_name)[:_MAX_DISPLAY_NAME]
    max_wait = DEFAULT_MAX_WAIT_S if res.max_wait_s is None else res.max_wait_s
    return create_custom_training_job_from_component(
        component,
        display_name=title,
        machine_type=res.machine_type,
        accelerator_type=res.accelerator_type or "",
        accelerator_count=gpu_count(res.machine_type, res.accelerator_count),
        boot_disk_type=res.boot_disk_type or DEFAULT_BOOT_DISK_TYPE,
        boot_disk_size_gb=res.boot_disk_size_gb or DEFAULT_BOOT_DISK_GB,
        timeout=f"{res.timeout_s or DEFAULT_TIMEOUT_S}s",
        restart_job_on_worker_restart=bool(res.restart_job_on_worker_restart),
        service_account=res.service_account or conf.service_account or "",
        network=res.network or conf.network or "",
        encryption_spec_key_name=conf.encryption_spec_key_name or "",
        reserved_ip_ranges=list(reserved),
        labels=_labels(conf, comp_name),
        env=[{"name": k, "value": v} for k, v in sorted(comp.env.items())],
        strategy=(res.strategy or SchedulingStrategy.STANDARD).value,
        max_wait_duration=f"{max_wait}s",
        psc_interface_config={},
    )


def _payload_problem(job: int, key: str, value: str, task_name: str) -> str:
    return (
        f"job #{job}: {key}={value!r} goes to {task_name}, which runs as a Vertex custom job: "
        "Vertex writes the value into the job's JSON payload unescaped, so it cannot hold "
        '", \\ or control characters '
        "(Hydra escapes spaces, '=', ',' and ':' in paths with \\); change it."
    )


def payload_value_problems(
    spec: Mapping[str, Any], parameters: Mapping[str, str], keys: Mapping[str, str], job: int
) -> list[str]:
    """Why job `job`'s runtime parameters cannot travel in its custom jobs' payloads; `keys`
    names the config key of each pipeline parameter."""
    found = []
    for task_name, task in dag_tasks(spec).items():
        if custom_job_payload(spec, task) is None:
            continue
        sources = task.get("inputs", {}).get("parameters", {}).values()
        names = {s["componentInputParameter"] for s in sources if "componentInputParameter" in s}
        for name in sorted(names):
            value = parameters.get(name, "")
            if _JSON_UNSAFE.search(value):
                found.append(_payload_problem(job, keys.get(name, name), value, task_name))
    return found


def override_payload_problems(
    conf: VertexPipelineLauncherConf, jobs: Sequence[tuple[int, Sequence[JobOverride]]]
) -> list[str]:
    """payload_value_problems of the jobs' override values, known before anything is composed
    or compiled: a custom-job component gets the overrides its `overrides` prefixes select (the
    main one all)."""
    custom = {name: comp for name, comp in conf.components.items() if is_custom_job(comp)}
    found = []
    for num, overrides in jobs:
        for name, comp in custom.items():
            for override in overrides:
                value = override.value
                if value is None or not _JSON_UNSAFE.search(value):
                    continue
                if comp.main or any(matches_prefix(override.key, p) for p in comp.overrides):
                    found.append(_payload_problem(num, override.key_element, value, kfp_name(name)))
    return found


def read_return_value(run_dir: Path) -> str | None:
    """The return value (JSON text) a custom-job main wrote into its run dir, if it did."""
    path = run_dir / RETURN_VALUE_FILE
    return path.read_text(encoding="utf-8") if path.is_file() else None
