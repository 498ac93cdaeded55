"""Checks of the vertex-mode tests, made server-side: the emulator's REST API read directly
(not through the client under test), and waiting by polling against a deadline."""

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from hydra_vertex_emulator.emulator import Emulator

# the start_emulator fixture: start_emulator(max_parallel_jobs=2, faults=FaultConfig(...))
StartEmulator = Callable[..., Emulator]


def emulator_jobs(
    emulator: Emulator, label: str | None = None, value: str = ""
) -> list[dict[str, Any]]:
    """Every job with the label (every job of the project without one), as the emulator's REST
    API lists it (read server-side, without the client under test)."""
    url = f"{emulator.endpoint}/v1/projects/test-project/locations/us-central1/pipelineJobs"
    jobs: list[dict[str, Any]] = []
    token = ""
    while True:
        params = {"pageToken": token}
        if label is not None:
            params["filter"] = f'labels.{label}="{value}"'
        page = requests.get(url, params=params, timeout=10).json()
        jobs += page.get("pipelineJobs", [])
        token = page.get("nextPageToken", "")
        if not token:
            return jobs


def emulator_tasks(emulator: Emulator, name: str) -> list[dict[str, Any]]:
    """The task details of a job, as the emulator's REST API answers a Get."""
    job = requests.get(f"{emulator.endpoint}/v1/{name}", timeout=10).json()
    tasks: list[dict[str, Any]] = job["jobDetail"]["taskDetails"]
    return tasks


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    """Poll `condition` until it holds; fail the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.05)
