"""The JobReturn of a finished Vertex AI pipeline job, read from its task details.

Vertex keeps a task's output parameters in its execution's metadata as `output:<name>`, and its
output artifacts' URIs in `outputs[<name>].artifacts`.
"""

import json
from pathlib import Path

from google.cloud.aiplatform_v1.types import PipelineJob, PipelineState, PipelineTaskDetail
from hydra.core.utils import JobReturn

from ...compiling.custom_job import RETURN_VALUE_FILE, read_return_value
from ...compiling.template import RETURN_VALUE_OUTPUT
from ...returns import completed, failed
from .request import JobRequest


def task_detail(job: PipelineJob, dag_task: str) -> PipelineTaskDetail | None:
    """The task by its DAG key: taskUniqueName, else taskName (which may be its display name).
    The root DAG's detail, named after the pipeline (which may be the task's name too), has no
    parent task and is no task."""
    tasks = [d for d in job.job_detail.task_details if d.parent_task_id]
    by_unique_name = [d for d in tasks if d.task_unique_name == dag_task]
    by_name = [d for d in tasks if d.task_name == dag_task]
    return next(iter(by_unique_name or by_name), None)


def failure_message(job: PipelineJob, console_url: str) -> str:
    """The pipeline's error, each failed task's error, and where to look further."""
    state = PipelineState(job.state).name.removeprefix("PIPELINE_STATE_").lower()
    lines = [f"the pipeline job {state}: {job.error.message or 'no error message'}"]
    for detail in job.job_detail.task_details:
        if detail.state == PipelineTaskDetail.State.FAILED and detail.error.message:
            lines.append(f"task {detail.task_name} failed: {detail.error.message}")
    lines.append(f"Details and logs: {console_url}")
    return "\n".join(lines)


def vertex_job_return(
    request: JobRequest, job: PipelineJob, return_value: bool, hydra_output: Path
) -> JobReturn:
    """COMPLETED with the main task's return value (JSON text) or FAILED with the reason. A
    custom-job main writes its value into its Hydra output dir, read from its copy
    `hydra_output`."""
    plan, main_task = request.plan, request.compiled.template.main_task
    if job.state != PipelineState.PIPELINE_STATE_SUCCEEDED:
        return failed(plan, f"job #{plan.num}: {failure_message(job, request.console_url)}")
    if not return_value:
        return completed(plan, None)
    if request.compiled.template.main_custom_job:
        written = read_return_value(hydra_output)
        if written is None:
            return failed(
                plan,
                f"job #{plan.num} succeeded, but its main task {main_task} (a custom job) left "
                f"no {RETURN_VALUE_FILE} in its Hydra output dir {request.hydra_output_uri} "
                f"(copied to {hydra_output}). Details: {request.console_url}",
            )
        return completed(plan, json.loads(written))
    detail = task_detail(job, main_task)
    key = f"output:{RETURN_VALUE_OUTPUT}"
    text = None if detail is None else detail.execution.metadata.get(key)
    if text is None:
        return failed(
            plan,
            f"job #{plan.num} succeeded, but its main task {main_task} reported no return value "
            f"(output parameter {RETURN_VALUE_OUTPUT}). Details: {request.console_url}",
        )
    return completed(plan, json.loads(text))
