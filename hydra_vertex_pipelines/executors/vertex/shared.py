"""Tasks shared by every job of a sweep, run once: one job first, the others once its shared tasks
have ended, so that Vertex's cache answers theirs.

A task is shared when caching is on for it and it runs the same thing in every job: the same
component and container, and inputs that resolve to the same values (pipeline parameters with the
same value, constants, or outputs of tasks that are shared themselves). The data step of an
lr sweep is; the train step, which gets the lr, is not.

They are found before the other jobs are composed, from the first job's compiled spec and every
job's overrides: the jobs must have the same override keys (so the same spec), and a parameter is
the same in every job when its override has the same value in every job.
"""

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence, Set
from typing import Any

from ...compiling.compiled_job import CompiledJob
from ...planning.overrides import JobOverride
from ...runner.spec import component_of, container_of, dag_tasks, pipeline_parameters, task_order
from ...vertex_api import PipelineTaskDetail
from .client import VertexClient
from .results import task_detail
from .tracking import is_finished

log = logging.getLogger(__name__)

_TASK_ENDED = frozenset(
    {
        PipelineTaskDetail.State.SUCCEEDED,
        PipelineTaskDetail.State.SKIPPED,
        PipelineTaskDetail.State.FAILED,
        PipelineTaskDetail.State.CANCELLED,
        PipelineTaskDetail.State.NOT_TRIGGERED,
    }
)


def _input_identity(
    source: Mapping[str, Any],
    values: Mapping[str, Any],
    varying: Set[str],
    prints: Mapping[str, str | None],
) -> Any:
    """What an input resolves to: a value, or an upstream task's fingerprint and output; None
    when it cannot be known to be shared."""
    if "componentInputParameter" in source:
        name = source["componentInputParameter"]
        return None if name in varying else ["value", values.get(name)]
    if "runtimeValue" in source:
        return ["value", source["runtimeValue"].get("constant")]
    for kind, key in (
        ("taskOutputParameter", "outputParameterKey"),
        ("taskOutputArtifact", "outputArtifactKey"),
    ):
        if kind in source:
            upstream = prints.get(source[kind].get("producerTask", ""))
            return None if upstream is None else [kind, upstream, source[kind].get(key)]
    return None


def task_fingerprints(
    spec: Mapping[str, Any], parameters: Mapping[str, str], varying: Set[str]
) -> dict[str, str]:
    """A fingerprint of what each cached task runs, by DAG key; tasks with caching off, or with
    an input that cannot be resolved here (a parameter in `varying` among them), have none."""
    declared = pipeline_parameters(spec)
    values = {n: d.get("defaultValue") for n, d in declared.items()} | dict(parameters)
    tasks = dag_tasks(spec)
    prints: dict[str, str | None] = {}
    for name in task_order(spec):
        task = tasks[name]
        inputs = task.get("inputs", {})
        resolved = {
            f"{kind}:{input_name}": _input_identity(source, values, varying, prints)
            for kind in ("parameters", "artifacts")
            for input_name, source in inputs.get(kind, {}).items()
        }
        cached = bool(task.get("cachingOptions", {}).get("enableCache"))
        if not cached or any(v is None for v in resolved.values()):
            prints[name] = None
            continue
        identity = {
            "component": component_of(spec, task),
            "container": container_of(spec, task),
            "inputs": resolved,
        }
        text = json.dumps(identity, sort_keys=True, default=str)
        prints[name] = hashlib.sha256(text.encode()).hexdigest()
    return {name: p for name, p in prints.items() if p is not None}


def shared_tasks(first: CompiledJob, batch: Sequence[Sequence[JobOverride]]) -> list[str]:
    """DAG keys of the tasks that run the same thing in every one of (two or more) jobs whose
    overrides are `batch`, the first of which is `first`."""
    keys = first.plan.override_keys
    if len(batch) < 2 or any(tuple(o.override_key for o in job) != keys for job in batch):
        return []
    names = first.template.parameter_names
    same = {names[o.override_key] for o in first.plan.parsed if o.override_key in names}
    for job in batch:
        same -= {
            names[o.override_key]
            for o, mine in zip(job, first.plan.parsed, strict=True)
            if o.override_key in names and o.value != mine.value
        }
    varying = set(first.runtime_parameters) - same
    return list(task_fingerprints(first.template.spec, first.runtime_parameters, varying))


def wait_for_shared_tasks(
    client: VertexClient, name: str, tasks: Sequence[str], poll_interval_s: float
) -> None:
    """Read the job (one Get per poll) until each of `tasks` has ended, or the job has, or the
    sweep is stopped (the client's stop event: an interrupt)."""
    stop = client.policy.stop
    while not stop.is_set():
        job = client.get(name)
        if is_finished(job.state):
            return
        details = [task_detail(job, task) for task in tasks]
        if all(d is not None and d.state in _TASK_ENDED for d in details):
            return
        stop.wait(poll_interval_s)
