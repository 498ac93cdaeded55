"""Records -> the JSON that Vertex answers (proto3 JSON mapping: camelCase, int64 as strings)."""

import datetime
from typing import Any

from .names import metadata_name
from .store import ArtifactRecord, JobRecord, TaskRecord

# enum values in number order, as the protos declare them
PIPELINE_STATES = (
    "PIPELINE_STATE_UNSPECIFIED",
    "PIPELINE_STATE_QUEUED",
    "PIPELINE_STATE_PENDING",
    "PIPELINE_STATE_RUNNING",
    "PIPELINE_STATE_SUCCEEDED",
    "PIPELINE_STATE_FAILED",
    "PIPELINE_STATE_CANCELLING",
    "PIPELINE_STATE_CANCELLED",
    "PIPELINE_STATE_PAUSED",
)
TASK_STATES = (
    "STATE_UNSPECIFIED",
    "PENDING",
    "RUNNING",
    "SUCCEEDED",
    "CANCEL_PENDING",
    "CANCELLING",
    "CANCELLED",
    "FAILED",
    "SKIPPED",
    "NOT_TRIGGERED",
)
EXECUTION_STATES = (
    "STATE_UNSPECIFIED",
    "NEW",
    "RUNNING",
    "COMPLETE",
    "FAILED",
    "CACHED",
    "CANCELLED",
)
ARTIFACT_STATES = ("STATE_UNSPECIFIED", "PENDING", "LIVE")
FAILURE_POLICIES = (
    "PIPELINE_FAILURE_POLICY_UNSPECIFIED",
    "PIPELINE_FAILURE_POLICY_FAIL_SLOW",
    "PIPELINE_FAILURE_POLICY_FAIL_FAST",
)
# google.rpc.Code of a task's error by its state
_TASK_ERROR_CODES = {"FAILED": 9, "CANCELLED": 1}


def timestamp(t: float) -> str:
    """RFC 3339 in UTC with microseconds: same width always, so the text sorts as the time."""
    moment = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _times(**times: float | None) -> dict[str, str]:
    return {key: timestamp(t) for key, t in times.items() if t is not None}


def _artifact_json(parent: str, artifact: ArtifactRecord) -> dict[str, Any]:
    return {
        "name": metadata_name(parent, "artifacts", artifact.artifact_id),
        "displayName": artifact.uri.rstrip("/").rsplit("/", 1)[-1],
        "uri": artifact.uri,
        "state": "LIVE",
        "schemaTitle": artifact.schema_title,
        "schemaVersion": artifact.schema_version,
        "metadata": {},
        **_times(createTime=artifact.create_time, updateTime=artifact.create_time),
    }


def _artifact_lists(parent: str, artifacts: dict[str, ArtifactRecord]) -> dict[str, Any]:
    return {name: {"artifacts": [_artifact_json(parent, a)]} for name, a in artifacts.items()}


def _task_json(parent: str, task: TaskRecord, root_id: int | None) -> dict[str, Any]:
    """A PipelineTaskDetail. taskName is the task's DAG key, not the display name its
    taskInfo.name may hold: the aiplatform SDK finds a task by its DAG key in taskName although
    the pipeline gives it a display name (pipeline_jobs.py, PipelineJob._run, looks for
    "model-evaluation-text-generation-pairwise", the AutoSxS pipeline's task displayed as
    "AutoSxS Metrics"). taskUniqueName, "the parent tasks' names and the task's name, joined by
    dots" (pipeline_job.proto), is the DAG key too: the root DAG's tasks have no parent task but
    the root. A container task that ran has executorDetail.containerDetail.mainJob, the CustomJob
    its container ran as (pipeline_job.proto, PipelineTaskExecutorDetail); custom-job tasks as
    google-cloud-pipeline-components compiles them are container tasks (its launcher's
    container creates the custom job), so they have a containerDetail too."""
    metadata = {f"input:{k}": v for k, v in task.input_parameters.items()}
    metadata.update({f"output:{k}": v for k, v in task.output_parameters.items()})
    update_time = task.history[-1][0] if task.history else task.create_time
    out: dict[str, Any] = {
        "taskId": str(task.task_id),
        "taskName": task.key,
        "taskUniqueName": task.key,
        "state": task.state,
        **_times(createTime=task.create_time, startTime=task.start_time, endTime=task.end_time),
        "execution": {
            "name": metadata_name(parent, "executions", task.execution_id),
            "displayName": task.key,
            "state": task.execution_state,
            "schemaTitle": task.schema_title,
            "schemaVersion": "0.0.1",
            "metadata": metadata,
            **_times(createTime=task.create_time, updateTime=update_time),
        },
        "pipelineTaskStatus": [
            {"updateTime": timestamp(t), "state": state} for t, state in task.history
        ],
    }
    if root_id is not None:
        out["parentTaskId"] = str(root_id)
    if task.main_job_id is not None:
        main_job = f"{parent}/customJobs/{task.main_job_id}"
        out["executorDetail"] = {"containerDetail": {"mainJob": main_job}}
    if task.error is not None:
        out["error"] = {"code": _TASK_ERROR_CODES.get(task.state, 2), "message": task.error}
    if task.inputs:
        out["inputs"] = _artifact_lists(parent, task.inputs)
    if task.outputs:
        out["outputs"] = _artifact_lists(parent, task.outputs)
    return out


def _context_json(
    record: JobRecord, context_id: str, schema_title: str, parents: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": metadata_name(record.parent, "contexts", context_id),
        "displayName": context_id,
        "schemaTitle": schema_title,
        "schemaVersion": "0.0.1",
        **_times(createTime=record.create_time, updateTime=record.update_time),
    }
    if parents:
        out["parentContexts"] = parents
    return out


def _job_detail(record: JobRecord, root: TaskRecord) -> dict[str, Any]:
    pipeline_name = record.spec["pipelineInfo"]["name"]
    pipeline = _context_json(record, pipeline_name, "system.Pipeline", [])
    run = _context_json(record, record.job_id, "system.PipelineRun", [pipeline["name"]])
    tasks = [_task_json(record.parent, root, None)]
    tasks += [_task_json(record.parent, t, root.task_id) for t in record.tasks.values()]
    return {"pipelineContext": pipeline, "pipelineRunContext": run, "taskDetails": tasks}


def job_json(record: JobRecord) -> dict[str, Any]:
    """The PipelineJob resource: the client's input fields and the output-only ones."""
    out = dict(record.request)
    out.update(
        name=record.name,
        state=record.state,
        **_times(
            createTime=record.create_time,
            updateTime=record.update_time,
            startTime=record.start_time,
            endTime=record.end_time,
        ),
    )
    if record.error is not None:
        out["error"] = {"code": record.error[0], "message": record.error[1]}
    if record.root is not None:
        out["jobDetail"] = _job_detail(record, record.root)
    return out


# what a List may read of jobDetail (the aiplatform SDK's own list read mask asks for these two:
# google/cloud/aiplatform/constants/pipeline.py, _READ_MASK_FIELDS)
LIST_JOB_DETAIL_FIELDS = ("pipelineContext", "pipelineRunContext")


def list_view(job: dict[str, Any], masked: bool) -> dict[str, Any]:
    """A job as ListPipelineJobs answers it: jobDetail is "not available in the list view"
    (PipelineJob.job_detail in pipeline_job.proto, and the REST reference of
    projects.locations.pipelineJobs); the rest, pipelineSpec included, is listed (the SDK's
    `enable_simple_view` read mask exists to leave pipelineSpec out). A read mask (`masked`) may
    still name the pipeline's contexts, as the SDK's simple view does."""
    out = {k: v for k, v in job.items() if k != "jobDetail"}
    detail = job.get("jobDetail", {})
    contexts = {k: detail[k] for k in LIST_JOB_DETAIL_FIELDS if k in detail}
    if masked and contexts:
        out["jobDetail"] = contexts
    return out


def _enum_to_int(holder: dict[str, Any], key: str, names: tuple[str, ...]) -> None:
    if isinstance(holder.get(key), str):
        holder[key] = names.index(holder[key])


def enums_as_ints(job: dict[str, Any]) -> None:
    """Rewrite the enum fields of a job's JSON as numbers (`$alt=json;enum-encoding=int`)."""
    _enum_to_int(job, "state", PIPELINE_STATES)
    _enum_to_int(job.get("runtimeConfig", {}), "failurePolicy", FAILURE_POLICIES)
    for task in job.get("jobDetail", {}).get("taskDetails", []):
        _enum_to_int(task, "state", TASK_STATES)
        _enum_to_int(task["execution"], "state", EXECUTION_STATES)
        for status in task["pipelineTaskStatus"]:
            _enum_to_int(status, "state", TASK_STATES)
        for side in ("inputs", "outputs"):
            for artifact_list in task.get(side, {}).values():
                for artifact in artifact_list["artifacts"]:
                    _enum_to_int(artifact, "state", ARTIFACT_STATES)


def delete_operation_json(name: str, created: float) -> dict[str, Any]:
    """The finished long-running operation of a DeletePipelineJob call."""
    return {
        "name": name,
        "metadata": {
            "@type": "type.googleapis.com/google.cloud.aiplatform.v1.DeleteOperationMetadata",
            "genericMetadata": _times(createTime=created, updateTime=created),
        },
        "done": True,
        "response": {"@type": "type.googleapis.com/google.protobuf.Empty"},
    }
