"""The JobReturn of a finished Vertex AI pipeline job, read from its task details (one Get,
retried like any call), its Hydra output copied back.

Vertex keeps a task's output parameters in its execution's metadata as `output:<name>`, and its
output artifacts' URIs in `outputs[<name>].artifacts`.
"""

import json
from pathlib import Path

from google.api_core import exceptions
from hydra.core.utils import JobReturn

from ...compiling.custom_job import RETURN_VALUE_FILE, read_return_value
from ...compiling.template import RETURN_VALUE_OUTPUT
from ...returns import completed, failed
from ...vertex_api import PipelineJob, PipelineState, PipelineTaskDetail
from .client import VertexClient
from .request import JobRequest
from .storage import OutputCopier

# <job dir>/hydra_output: where the main task's Hydra output dir is copied
HYDRA_OUTPUT_DIR = "hydra_output"


def names_dag_task(detail: PipelineTaskDetail, dag_task: str) -> bool:
    """Whether a task detail is the DAG task `dag_task` by its names: taskName may be the DAG
    key (as the aiplatform SDK expects) or, per the API reference, "the user specified name";
    taskUniqueName is the parent tasks' names and the task's, joined by dots."""
    unique = detail.task_unique_name
    return dag_task in (detail.task_name, unique) or unique.endswith(f".{dag_task}")


def task_detail(job: PipelineJob, dag_task: str) -> PipelineTaskDetail | None:
    """The task by its names; the root DAG's detail (no parent task) is no task."""
    tasks = [d for d in job.job_detail.task_details if d.parent_task_id]
    return next((d for d in tasks if names_dag_task(d, dag_task)), None)


def reporting_task(job: PipelineJob, output: str, dag_task: str) -> PipelineTaskDetail | None:
    """The task that reports the output parameter `output`, found by the report itself, which
    does not depend on how Vertex names tasks. Of several reports, a task's over the root's
    (the root carries the pipeline's own outputs), then the one named after the DAG key."""
    key = f"output:{output}"
    # a task without an execution (not started, or a DAG) has no metadata: None
    reports = [d for d in job.job_detail.task_details if key in (d.execution.metadata or {})]
    tasks = [d for d in reports if d.parent_task_id] or reports
    if len(tasks) > 1:
        named = [d for d in tasks if names_dag_task(d, dag_task)]
        tasks = named if len(named) == 1 else []
    return tasks[0] if tasks else None


def failure_message(job: PipelineJob, console_url: str) -> str:
    """The pipeline's error, each failed task's error, and where to look further."""
    state = PipelineState(job.state).name.removeprefix("PIPELINE_STATE_").lower()
    lines = [f"the pipeline job {state}: {job.error.message or 'no error message'}"]
    for detail in job.job_detail.task_details:
        if detail.state == PipelineTaskDetail.State.FAILED and detail.error.message:
            lines.append(f"task {detail.task_name} failed: {detail.error.message}")
    lines.append(f"Details and logs: {console_url}")
    return "\n".join(lines)


def return_value_text(job: PipelineJob, main_task: str) -> str | None:
    """The JSON text the main task reported as its return value (an output parameter), if any."""
    detail = reporting_task(job, RETURN_VALUE_OUTPUT, main_task)
    return (
        None if detail is None else str(detail.execution.metadata[f"output:{RETURN_VALUE_OUTPUT}"])
    )


def vertex_job_return(
    request: JobRequest, job: PipelineJob, return_value: bool, hydra_output: Path | None
) -> JobReturn:
    """COMPLETED with the main task's return value (JSON text) or FAILED with the reason. A
    custom-job main writes its value into its Hydra output dir, read from its copy
    `hydra_output` (None: the copy was not made)."""
    plan, main_task = request.plan, request.compiled.template.main_task
    if job.state != PipelineState.PIPELINE_STATE_SUCCEEDED:
        return failed(plan, f"job #{plan.num}: {failure_message(job, request.console_url)}")
    if not return_value:
        return completed(plan, None)
    if request.compiled.template.main_custom_job:
        written = None if hydra_output is None else read_return_value(hydra_output)
        if written is None:
            where = (
                "which was not copied back (see the warning above)"
                if hydra_output is None
                else f"(copied to {hydra_output})"
            )
            return failed(
                plan,
                f"job #{plan.num} succeeded, but its main task {main_task} (a custom job) left "
                f"no {RETURN_VALUE_FILE} in its Hydra output dir {request.hydra_output_uri} "
                f"{where}. Details: {request.console_url}",
            )
        return completed(plan, json.loads(written))
    text = return_value_text(job, main_task)
    if text is None:
        return failed(
            plan,
            f"job #{plan.num} succeeded, but its main task {main_task} reported no return value "
            f"(output parameter {RETURN_VALUE_OUTPUT}). Details: {request.console_url}",
        )
    return completed(plan, json.loads(text))


def collect(
    client: VertexClient,
    copier: OutputCopier,
    request: JobRequest,
    name: str,
    return_value: bool,
) -> JobReturn:
    """The finished job read in full (List omits task details), its Hydra output copied. A read
    that keeps failing (GaveUp) or is cut short (Stopped) raises: whether the job succeeded is
    the server's to say, never a failed read's."""
    plan = request.plan
    try:
        job = client.get(name)
    except exceptions.NotFound:
        return failed(
            plan, f"job #{plan.num} was deleted from Vertex AI before it finished ({name})"
        )
    except exceptions.GoogleAPICallError as e:
        return failed(
            plan, f"job #{plan.num} finished, but Vertex AI refused to give its result: {e}"
        )
    dest = plan.job_dir / HYDRA_OUTPUT_DIR
    copied = copier.copy(request.hydra_output_uri, dest, f"#{plan.num}")
    return vertex_job_return(request, job, return_value, dest if copied else None)
