"""<sweep dir>/vertex_jobs.jsonl: one JSON line per submitted job, to find the jobs again later."""

import json
from collections.abc import Iterable
from pathlib import Path

from .labels import SWEEP_LABEL
from .submit import SubmittedJob

MANIFEST_NAME = "vertex_jobs.jsonl"


def append_manifest(path: Path, submitted: Iterable[SubmittedJob]) -> None:
    """Append the created jobs (a batched sweeper launches several times into one sweep dir)."""
    with open(path, "a", encoding="utf-8") as f:
        for result in submitted:
            if result.job is None:
                continue
            request = result.request
            entry = {
                "job_num": request.plan.num,
                "job_id": request.job_id,
                "sweep_id": request.pipeline_job.labels[SWEEP_LABEL],
                "overrides": list(request.plan.overrides),
                "console_url": request.console_url,
                "name": result.job.name,
            }
            f.write(json.dumps(entry) + "\n")
