"""One job's LocalRunner hooks: outputs where Vertex puts them, task results into the record.

Outputs of task T live at `<pipeline root>/<project number>/<job id>/<T>_<execution id>/<output>`
(locally, that gs:// URI's folder under the storage dir); with a GCS endpoint they are uploaded
there once the task succeeds, and, once it ends, every file written in the storage dir while it
ran (on Vertex, what a container writes under /gcs/, the Cloud Storage mount, is in Cloud
Storage). A task appears in jobDetail.taskDetails once it is scheduled.
"""

import itertools
import logging
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hydra_vertex_pipelines.runner import TaskResult, TaskState

from .gcs import GcsUploader, gcs_uri
from .storage_paths import LOGS_DIR, JobPaths
from .store import ArtifactRecord, JobRecord, JobStore
from .transitions import TaskUpdate, apply_task_update

log = logging.getLogger(__name__)

# the components' logs, beside the buckets in the storage dir

# LocalRunner task state (and whether it was cached) -> PipelineTaskDetail and Execution states
_TASK_STATES = {
    (TaskState.RUNNING, False): ("RUNNING", "RUNNING"),
    (TaskState.SUCCEEDED, False): ("SUCCEEDED", "COMPLETE"),
    (TaskState.SUCCEEDED, True): ("SKIPPED", "CACHED"),
    (TaskState.FAILED, False): ("FAILED", "FAILED"),
    (TaskState.CANCELLED, False): ("CANCELLED", "CANCELLED"),
}


class Ids:
    """Task, execution and artifact ids, unique in the server; one artifact id per URI."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._artifacts: dict[str, int] = {}

    def next(self) -> int:
        with self._lock:
            return next(self._counter)

    def artifact(self, uri: str) -> int:
        with self._lock:
            if uri not in self._artifacts:
                self._artifacts[uri] = next(self._counter)
            return self._artifacts[uri]


def _artifact_types(definitions: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    artifacts = definitions.get("artifacts", {})
    return {
        name: (
            spec.get("artifactType", {}).get("schemaTitle", "system.Artifact"),
            spec.get("artifactType", {}).get("schemaVersion", "0.0.1"),
        )
        for name, spec in artifacts.items()
    }


class JobRun:
    """One job's TaskHandler: Vertex's output layout, and task results into the record."""

    def __init__(
        self,
        record: JobRecord,
        store: JobStore,
        ids: Ids,
        storage_dir: Path,
        uploader: GcsUploader | None,
    ) -> None:
        root = record.request["runtimeConfig"]["gcsOutputDirectory"]
        self.name = record.name
        self.spec = record.spec
        self.paths = JobPaths.of(storage_dir, record.name, root)
        self.store = store
        self.ids = ids
        self.storage_dir = storage_dir
        self.uploader = uploader
        self.submitted_values = record.parameter_values
        self._execution_ids: dict[str, int] = {}
        self._task_ids: dict[str, int] = {}
        self._main_job_ids: dict[str, int] = {}

    def task_folder(self, key: str) -> Path:
        """A new execution's folder."""
        execution_id = self.ids.next()
        self._execution_ids[key] = execution_id
        return self.paths.task_folder(key, execution_id)

    def log_file(self, key: str) -> Path:
        return self.paths.log_file(key)

    def task_changed(self, result: TaskResult) -> None:
        """Into the record; tasks that never started are not shown."""
        states = _TASK_STATES.get((result.state, result.cached))
        if result.start_time is None or states is None:
            return
        if result.state == TaskState.SUCCEEDED and not result.cached:
            self._upload(result)
        if result.state in (TaskState.SUCCEEDED, TaskState.FAILED) and not result.cached:
            self._upload_mounted(result)
        update = self._task_update(result, *states)
        self.store.update(self.name, lambda record: apply_task_update(record, update))

    def _task_update(self, result: TaskResult, state: str, execution_state: str) -> TaskUpdate:
        assert result.start_time is not None
        task = self.spec["root"]["dag"]["tasks"][result.task]
        component = self.spec["components"][task["componentRef"]["name"]]
        if result.task not in self._task_ids:
            self._task_ids[result.task] = self.ids.next()
        if not result.cached and result.task not in self._main_job_ids:
            self._main_job_ids[result.task] = self.ids.next()
        return TaskUpdate(
            key=result.task,
            task_id=self._task_ids[result.task],
            execution_id=self._execution_ids[result.task],
            main_job_id=None if result.cached else self._main_job_ids[result.task],
            state=state,
            execution_state=execution_state,
            start_time=result.start_time,
            end_time=result.end_time if state != "RUNNING" else None,
            error="The task was cancelled." if state == "CANCELLED" else result.error,
            input_parameters=self._as_submitted(task, result.input_parameters),
            output_parameters=result.output_parameters if state != "RUNNING" else {},
            inputs=self._artifacts(
                result.input_artifacts, component.get("inputDefinitions", {}), result.start_time
            ),
            outputs=self._artifacts(
                result.output_artifacts, component.get("outputDefinitions", {}), result.start_time
            ),
        )

    def _as_submitted(self, task: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, str]:
        """The task's input parameters as Vertex shows them: one taken from a pipeline
        parameter is the value the job was submitted with (the component got the storage dir's
        folder for a /gcs/ value, as a Vertex container gets its Cloud Storage mount)."""
        sources = task.get("inputs", {}).get("parameters", {})
        shown = dict(values)
        for name in values:
            pipeline_parameter = sources.get(name, {}).get("componentInputParameter")
            if pipeline_parameter in self.submitted_values:
                shown[name] = self.submitted_values[pipeline_parameter]
        return shown

    def _artifacts(
        self, paths: Mapping[str, Path], definitions: Mapping[str, Any], created: float
    ) -> dict[str, ArtifactRecord]:
        types = _artifact_types(definitions)
        records = {}
        for name, path in paths.items():
            uri = gcs_uri(self.storage_dir, path)
            title, version = types.get(name, ("system.Artifact", "0.0.1"))
            records[name] = ArtifactRecord(self.ids.artifact(uri), uri, title, version, created)
        return records

    def _upload(self, result: TaskResult) -> None:
        """The task's output artifacts."""
        self._upload_paths(result.output_artifacts.values(), None)

    def _upload_mounted(self, result: TaskResult) -> None:
        """What was written in the storage folder (each bucket's) since the task started: the
        paths the task wrote to are whatever its args made of the /gcs/ paths it was given."""
        buckets = [p for p in self.storage_dir.iterdir() if p.is_dir() and p.name != LOGS_DIR]
        self._upload_paths(buckets, result.start_time)

    def _upload_paths(self, paths: Iterable[Path], modified_since: float | None) -> None:
        """Each existing path under its gs:// URI; a failed upload is logged, not raised."""
        if self.uploader is None:
            return
        for path in paths:
            if not path.exists():
                continue
            uri = gcs_uri(self.storage_dir, path)
            try:
                count = self.uploader.upload(uri, path, modified_since=modified_since)
            except Exception:
                log.exception(f"Uploading {uri} to {self.uploader.endpoint} failed")
                continue
            log.debug(f"Uploaded {count} objects to {uri}")
