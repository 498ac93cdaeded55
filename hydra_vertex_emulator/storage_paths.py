"""Every path the emulator derives from a request, under one rule: resolved (`..` and symlinks
followed) it lies inside the folder it belongs to (the storage dir, a job's log folder, a task's
folder), or the request is refused before anything is created. The paths are those of a pipeline
root, task keys, output names and `/gcs/` parameter values.

`gs://bucket/a/b` lives at `<storage_dir>/bucket/a/b`, the folder Vertex mounts as /gcs/bucket/a/b:
a parameter value `/gcs/bucket/a` becomes `<storage_dir>/bucket/a`.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra_vertex_pipelines.vertex_facts import GCS_MOUNT, GS

LOGS_DIR = "_logs"


class OutsideStorage(ValueError):
    """A path derived from a request leads outside the folder it belongs to."""


def confined(base: Path, *parts: str) -> Path:
    """`base/parts` resolved; refused unless strictly inside `base`."""
    root = base.resolve()
    path = root.joinpath(*parts).resolve()
    if path == root or not path.is_relative_to(root):
        raise OutsideStorage(f"{'/'.join(parts)!r} leads outside {root}")
    return path


def uri_path(storage_dir: Path, uri: str) -> Path:
    """Where a gs:// URI lives on this machine."""
    if not uri.startswith(GS) or not uri[len(GS) :].strip("/"):
        raise OutsideStorage(f"{uri!r} is not a gs://bucket/path URI")
    return confined(storage_dir, uri[len(GS) :])


def mount_path(storage_dir: Path, value: str) -> Path | None:
    """The folder of a /gcs/<bucket>/<path> value; None for other values."""
    if not value.startswith(GCS_MOUNT):
        return None
    return confined(storage_dir, value[len(GCS_MOUNT) :])


@dataclass(frozen=True)
class JobPaths:
    """Where one job's outputs and logs go."""

    storage_dir: Path
    # <pipeline root>/<project number>/<job id>
    run_uri: str
    # <storage dir>/_logs/<job name>
    log_dir: Path

    @classmethod
    def of(cls, storage_dir: Path, job_name: str, pipeline_root: str) -> "JobPaths":
        """For the job `projects/{number}/locations/{location}/pipelineJobs/{id}`."""
        project_number, job_id = job_name.split("/")[1], job_name.rsplit("/", 1)[1]
        run_uri = f"{pipeline_root.rstrip('/')}/{project_number}/{job_id}"
        log_dir = confined(storage_dir / LOGS_DIR, job_name)
        return cls(storage_dir, run_uri, log_dir)

    def task_folder(self, key: str, execution_id: int) -> Path:
        """Outputs of one execution of a task: `<run uri>/<key>_<execution id>`."""
        return confined(uri_path(self.storage_dir, self.run_uri), f"{key}_{execution_id}")

    def log_file(self, key: str) -> Path:
        return confined(self.log_dir, f"{key}.log")


def _output_names(spec: Mapping[str, Any], task: Mapping[str, Any]) -> Iterator[str]:
    outputs = spec["components"][task["componentRef"]["name"]].get("outputDefinitions", {})
    for kind in ("artifacts", "parameters"):
        yield from outputs.get(kind, {})


def _string_values(spec: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[str]:
    """Parameter values a component may get: runtime values, defaults and constants."""
    yield from (v for v in values.values() if isinstance(v, str))
    declared = spec["root"].get("inputDefinitions", {}).get("parameters", {})
    yield from (
        d["defaultValue"] for d in declared.values() if isinstance(d.get("defaultValue"), str)
    )
    for task in spec["root"]["dag"]["tasks"].values():
        for source in task.get("inputs", {}).get("parameters", {}).values():
            constant = source.get("runtimeValue", {}).get("constant")
            if isinstance(constant, str):
                yield constant


def check_job_paths(
    storage_dir: Path,
    job_name: str,
    pipeline_root: str,
    spec: Mapping[str, Any],
    values: Mapping[str, Any],
) -> None:
    """Raise OutsideStorage for the first path of the job that leads outside its folder; the
    spec's shape is checked already."""
    paths = JobPaths.of(storage_dir, job_name, pipeline_root)
    for key, task in spec["root"]["dag"]["tasks"].items():
        folder = paths.task_folder(key, 0)
        paths.log_file(key)
        for name in _output_names(spec, task):
            confined(folder, name)
    for value in _string_values(spec, values):
        mount_path(storage_dir, value)
