"""Reading a compiled PipelineSpec (as its JSON/YAML dict): the root DAG's tasks in dependency
order, each task's component and container (or, for a custom-job task, its CustomJob payload),
and the pipeline's parameters."""

from collections.abc import Mapping
from typing import Any


class SpecError(ValueError):
    """The spec or its parameter values cannot run (Vertex answers such a request with 400)."""


def dag_tasks(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    tasks: Mapping[str, Any] = spec["root"]["dag"]["tasks"]
    return tasks


def upstream_tasks(task: Mapping[str, Any]) -> list[str]:
    """Tasks that must succeed first: `dependentTasks` and the producers of its inputs."""
    deps = list(task.get("dependentTasks", []))
    inputs = task.get("inputs", {})
    for source in inputs.get("artifacts", {}).values():
        deps.append(source.get("taskOutputArtifact", {}).get("producerTask"))
    for source in inputs.get("parameters", {}).values():
        deps.append(source.get("taskOutputParameter", {}).get("producerTask"))
    return [d for d in dict.fromkeys(deps) if d]


def task_order(spec: Mapping[str, Any]) -> list[str]:
    """DAG tasks in dependency order (spec order among independent ones); refuses cycles and
    unknown dependencies."""
    tasks = dag_tasks(spec)
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            raise SpecError(f"the pipeline's DAG has a cycle through task {name!r}")
        visiting.add(name)
        for dep in upstream_tasks(tasks[name]):
            if dep not in tasks:
                raise SpecError(f"task {name!r} depends on unknown task {dep!r}")
            visit(dep)
        order.append(name)

    for name in tasks:
        visit(name)
    return order


def component_of(spec: Mapping[str, Any], task: Mapping[str, Any]) -> Mapping[str, Any]:
    component: Mapping[str, Any] = spec["components"][task["componentRef"]["name"]]
    return component


def container_of(spec: Mapping[str, Any], task: Mapping[str, Any]) -> Mapping[str, Any]:
    """The container executor of a task; other executors (importers, ...) cannot run here."""
    label = component_of(spec, task)["executorLabel"]
    executor = spec["deploymentSpec"]["executors"][label]
    if "container" not in executor:
        raise SpecError(f"executor {label} ({', '.join(executor)}) is not a container")
    container: Mapping[str, Any] = executor["container"]
    return container


# the module that google-cloud-pipeline-components' custom-job tasks run: it creates a CustomJob
# from the --payload arg (JSON with placeholders) and waits for it
GCPC_CUSTOM_JOB_LAUNCHER = "google_cloud_pipeline_components.container.v1.custom_job.launcher"


def custom_job_payload(spec: Mapping[str, Any], task: Mapping[str, Any]) -> str | None:
    """The CustomJob payload template of a GCPC custom-job task; None for other containers."""
    container = container_of(spec, task)
    if GCPC_CUSTOM_JOB_LAUNCHER not in container.get("command", []):
        return None
    args = list(container.get("args", []))
    flags = dict(zip(args[::2], args[1::2], strict=False))
    if flags.get("--type") != "CustomJob" or not isinstance(flags.get("--payload"), str):
        raise SpecError(
            f"task {task.get('taskInfo', {}).get('name', '?')}: the custom-job launcher needs "
            "--type CustomJob and a --payload"
        )
    payload: str = flags["--payload"]
    return payload


def input_defaults(component: Mapping[str, Any]) -> dict[str, Any]:
    """The component's input parameters that have a default value, with it."""
    declared = component.get("inputDefinitions", {}).get("parameters", {})
    return {n: d["defaultValue"] for n, d in declared.items() if "defaultValue" in d}


def custom_job_worker(component: Mapping[str, Any]) -> Mapping[str, Any]:
    """The first worker pool of a GCPC custom-job component as compiled (placeholders unfilled):
    GCPC writes the wrapped component's container into its worker_pool_specs default."""
    pools = input_defaults(component).get("worker_pool_specs")
    if not isinstance(pools, list) or not pools or not isinstance(pools[0], Mapping):
        raise SpecError("the custom-job component has no worker_pool_specs default")
    worker: Mapping[str, Any] = pools[0]
    return worker


def pipeline_parameters(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    """The root's input parameter definitions by name."""
    declared: Mapping[str, Any] = (
        spec.get("root", {}).get("inputDefinitions", {}).get("parameters", {})
    )
    return declared


def check_parameter_values(spec: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    """Refuse unknown parameters and missing required ones, as Vertex does."""
    declared = pipeline_parameters(spec)
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise SpecError(f"unknown pipeline parameters: {', '.join(unknown)}")
    missing = sorted(
        n
        for n, d in declared.items()
        if n not in values and "defaultValue" not in d and not d.get("isOptional")
    )
    if missing:
        raise SpecError(f"missing values for pipeline parameters: {', '.join(missing)}")


def describe_resources(container: Mapping[str, Any]) -> str:
    """`cpu 8, memory 32G, NVIDIA_TESLA_T4 x1`: what the task asks for (not enforced here)."""
    res = container.get("resources", {})
    parts = []
    if "resourceCpuLimit" in res or "cpuLimit" in res:
        parts.append(f"cpu {res.get('resourceCpuLimit', res.get('cpuLimit'))}")
    if "resourceMemoryLimit" in res or "memoryLimit" in res:
        parts.append(f"memory {res.get('resourceMemoryLimit', res.get('memoryLimit'))}")
    acc = res.get("accelerator")
    if acc:
        parts.append(
            f"{acc.get('resourceType', acc.get('type'))} "
            f"x{acc.get('resourceCount', acc.get('count'))}"
        )
    return ", ".join(parts)
