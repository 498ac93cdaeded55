"""<sweep dir>/vertex_jobs.jsonl: the sweep's write-ahead log, one JSON object per line.

    {"event": "sweep", "sweep_id", "project", "location", "api_endpoint", "pipeline_root",
     "sweep_label"}
        once per launch, before any of its jobs; sweep_label is the key of the label that
        finds the sweep's jobs (absent: an earlier version's sweep, hyphenated label keys)
    {"event": "submit", "sweep_id", "job_num", "attempt", "job_id", "name", "digest", ...}
        a job's intent: on disk (fsync) BEFORE its create is sent, so that every job that can
        exist on Vertex AI is found here, whenever the launcher dies
    {"event": "state", "sweep_id", "job_id", "state", "error"?}
        a state seen or decided (NOT_CREATED: the create was refused or never made)

Lines are appended with one write each (O_APPEND), so that a launcher and `hydra-vertex-sweep`
can append to one manifest; a line cut short by a crash is skipped when reading. Manifests of
earlier launchers (one line per created job, no "event") are read as submitted jobs.
"""

import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .labels import LabelKeys, label_keys

log = logging.getLogger(__name__)

MANIFEST_NAME = "vertex_jobs.jsonl"
# a pseudo-state: the job does not exist (its create was refused, failed or never sent)
NOT_CREATED = "NOT_CREATED"


@dataclass(frozen=True)
class SweepHeader:
    sweep_id: str
    project: str
    location: str
    # null: Vertex AI's regional endpoint
    api_endpoint: str | None
    pipeline_root: str | None
    # the key of the label that finds the sweep's jobs; None: an earlier version's sweep
    sweep_label: str | None = None

    @property
    def label_keys(self) -> LabelKeys:
        """The keys of the labels on the sweep's jobs."""
        return label_keys(self.sweep_label)


@dataclass
class JobEntry:
    """One attempt of one job, as the manifest knows it."""

    sweep_id: str
    job_num: int
    job_id: str
    # projects/{project}/locations/{location}/pipelineJobs/{job_id}
    name: str
    overrides: list[str]
    console_url: str
    attempt: int = 1
    # hash of the job's spec and parameters (labels.DIGEST_LABEL); None in older manifests
    digest: str | None = None
    # the job dir on this machine, where its Hydra output is copied back
    job_dir: str | None = None
    # gs:// URI of the main task's Hydra output dir
    hydra_output_uri: str | None = None
    # the DAG task whose output parameter is the return value; None: no return value
    main_task: str | None = None
    # the main task is a custom job: its return value is return_value.json in its Hydra output
    main_custom_job: bool = False
    # the last state recorded: a PipelineState name, NOT_CREATED, or None (not known)
    state: str | None = None
    error: str | None = None


@dataclass
class ManifestSweep:
    """One launch (a sweep id) of the manifest: its header and every attempt of its jobs."""

    sweep_id: str
    header: SweepHeader | None = None
    attempts: list[JobEntry] = field(default_factory=list)

    @property
    def label_keys(self) -> LabelKeys:
        """The keys of the labels on the sweep's jobs (hyphenated for a sweep recorded
        without a header, by the first version of the manifest)."""
        return label_keys(self.header.sweep_label if self.header else None)

    def latest(self) -> dict[int, JobEntry]:
        """The latest attempt of each job, by job num."""
        jobs: dict[int, JobEntry] = {}
        for entry in self.attempts:
            if entry.job_num not in jobs or entry.attempt >= jobs[entry.job_num].attempt:
                jobs[entry.job_num] = entry
        return dict(sorted(jobs.items()))


def _entry_from_legacy(data: dict[str, Any]) -> JobEntry:
    """A line of an earlier launcher's manifest: a job that was created."""
    return JobEntry(
        sweep_id=str(data["sweep_id"]),
        job_num=int(data["job_num"]),
        job_id=str(data["job_id"]),
        name=str(data["name"]),
        overrides=list(data.get("overrides", [])),
        console_url=str(data.get("console_url", "")),
    )


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            if number < len(lines) or text.endswith("\n"):
                log.warning(f"{path}:{number}: not a manifest line, skipped")
            continue  # else the last line, cut short by a crash
        if isinstance(data, dict):
            yield data


def read_manifest(path: Path) -> dict[str, ManifestSweep]:
    """The manifest's sweeps by sweep id, in the order they were launched (empty if none)."""
    sweeps: dict[str, ManifestSweep] = {}
    by_job_id: dict[str, JobEntry] = {}
    if not path.exists():
        return sweeps
    for data in _lines(path):
        try:
            event = data.get("event")
            sweep = sweeps.setdefault(str(data["sweep_id"]), ManifestSweep(str(data["sweep_id"])))
            if event == "sweep":
                sweep.header = SweepHeader(
                    sweep_id=str(data["sweep_id"]),
                    project=str(data["project"]),
                    location=str(data["location"]),
                    api_endpoint=data.get("api_endpoint"),
                    pipeline_root=data.get("pipeline_root"),
                    sweep_label=data.get("sweep_label"),
                )
            elif event == "submit":
                known = set(JobEntry.__dataclass_fields__)
                entry = JobEntry(**{k: v for k, v in data.items() if k in known})
                sweep.attempts.append(entry)
                by_job_id[entry.job_id] = entry
            elif event == "state":
                if data["job_id"] in by_job_id:
                    by_job_id[data["job_id"]].state = data["state"]
                    by_job_id[data["job_id"]].error = data.get("error")
            elif event is None:
                entry = _entry_from_legacy(data)
                sweep.attempts.append(entry)
                by_job_id[entry.job_id] = entry
        except (KeyError, TypeError, ValueError) as e:
            log.warning(f"{path}: a manifest line was not understood ({e}), skipped")
    return sweeps


def header_from_name(sweep_id: str, name: str) -> SweepHeader:
    """What an older manifest's job resource name tells of its sweep (no endpoint, no root)."""
    parts = name.split("/")
    return SweepHeader(sweep_id, parts[1], parts[3], None, None)


class ManifestWriter:
    """Appends to the manifest from any thread; intents and headers are fsynced."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None

    def _append(self, data: dict[str, Any], durable: bool) -> None:
        line = (json.dumps(data) + "\n").encode()
        with self._lock:
            if self._fd is None:
                existed = self.path.exists()
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                if not existed:  # the new file's directory entry is durable too
                    dir_fd = os.open(self.path.parent, os.O_RDONLY)
                    try:
                        os.fsync(dir_fd)
                    finally:
                        os.close(dir_fd)
            os.write(self._fd, line)
            if durable:
                os.fsync(self._fd)

    def sweep(self, header: SweepHeader) -> None:
        self._append({"event": "sweep", **asdict(header)}, durable=True)

    def intent(self, entry: JobEntry) -> None:
        """The job is about to be created: on disk before the create is sent."""
        data = {k: v for k, v in asdict(entry).items() if k not in ("state", "error")}
        self._append({"event": "submit", **data}, durable=True)

    def state(self, sweep_id: str, job_id: str, state: str, error: str | None = None) -> None:
        data = {"event": "state", "sweep_id": sweep_id, "job_id": job_id, "state": state}
        if error is not None:
            data["error"] = error
        self._append(data, durable=False)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
