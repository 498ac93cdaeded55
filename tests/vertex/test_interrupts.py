"""Interrupts while jobs are being created: acted on at once however slow or failing the creates,
a second Ctrl-C never leaves a created job uncancelled or unrecorded; checked server-side."""

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from vertex_checks import StartEmulator, emulator_jobs, wait_until

from hydra_vertex_emulator.faults import FaultConfig
from hydra_vertex_pipelines.executors.vertex.labels import SWEEP_LABEL
from hydra_vertex_pipelines.executors.vertex.manifest import MANIFEST_NAME

pytestmark = pytest.mark.usefixtures("in_app_dir")

# a message must follow the signal within this many seconds
ACT_WITHIN_S = 2.0


class Launcher:
    """The fast app's multirun as a subprocess, its output lines timestamped as they come."""

    def __init__(self, emulator_endpoint: str, sweep_dir: Path, jobs: int) -> None:
        self.sweep_dir = sweep_dir
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "main.py",
                "-m",
                "hydra/launcher=fast",
                f"hydra.launcher.api_endpoint={emulator_endpoint}",
                "hydra.launcher.max_concurrent_submissions=4",
                f"hydra.sweep.dir={sweep_dir}",
                f"x=range(0,{jobs})",
                f"+release={sweep_dir / 'never'}",  # every job runs until cancelled
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line))

    def first_line_after(self, text: str, since: float) -> float | None:
        """When a line containing `text` came, if it did."""
        return next((t for t, line in self.lines if text in line and t >= since), None)

    def output(self) -> str:
        self._reader.join(timeout=30)
        return "".join(line for _, line in self.lines)

    def manifest(self, event: str) -> list[dict[str, str]]:
        path = self.sweep_dir / MANIFEST_NAME
        lines = path.read_text().splitlines() if path.exists() else []
        # the launcher may be writing the last line
        parsed = [json.loads(line) for line in lines if line.endswith("}")]
        return [e for e in parsed if e["event"] == event]


def test_a_second_ctrl_c_during_slow_creates_leaves_nothing_running(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator(faults=FaultConfig(latency_s=0.5))
    launcher = Launcher(emulator.endpoint, tmp_path, jobs=16)
    wait_until(lambda: len(launcher.manifest("submit")) >= 6, "creates under way", 60)
    sent = time.monotonic()
    launcher.proc.send_signal(signal.SIGINT)
    wait_until(
        lambda: launcher.first_line_after("Interrupted (SIGINT): cancelling", sent) is not None,
        "the interrupt acted on",
    )
    acted = launcher.first_line_after("Interrupted (SIGINT): cancelling", sent)
    assert acted is not None and acted - sent < ACT_WITHIN_S
    launcher.proc.send_signal(signal.SIGINT)  # during the clean-up
    assert launcher.proc.wait(timeout=60) == 130
    output = launcher.output()
    assert "SIGINT again: still stopping the sweep" in output
    assert "Traceback" not in output
    emulator.set_faults(FaultConfig())

    (sweep,) = {e["sweep_id"] for e in launcher.manifest("submit")}
    recorded = {e["job_id"] for e in launcher.manifest("submit")}
    on_server = {
        j["name"].rsplit("/", 1)[1]: j for j in emulator_jobs(emulator, SWEEP_LABEL, sweep)
    }
    assert on_server and set(on_server) <= recorded  # every job that exists is in the manifest
    assert len(recorded) < 16  # the interrupt stopped the submission
    wait_until(
        lambda: (
            {j["state"] for j in emulator_jobs(emulator, SWEEP_LABEL, sweep)}
            == {"PIPELINE_STATE_CANCELLED"}
        ),
        "every created job cancelled",
    )
    states = {e["job_id"]: e["state"] for e in launcher.manifest("state")}
    assert {j for j in on_server if states[j] == "PIPELINE_STATE_CANCELLING"} == set(on_server)
    assert all(states[j] == "NOT_CREATED" for j in recorded - set(on_server))


def test_ctrl_c_while_creates_fail_acts_at_once(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    storm = FaultConfig(error_rate=1.0, error_codes=(503,), error_kinds=("create",))
    emulator = start_emulator(faults=storm)
    launcher = Launcher(emulator.endpoint, tmp_path, jobs=8)
    wait_until(lambda: emulator.stats()["injected"].get("503", 0) >= 6, "creates retrying", 60)
    sent = time.monotonic()
    launcher.proc.send_signal(signal.SIGINT)
    assert launcher.proc.wait(timeout=30) == 130
    output = launcher.output()
    acted = launcher.first_line_after("Interrupted (SIGINT): cancelling 0 jobs", sent)
    assert acted is not None and acted - sent < ACT_WITHIN_S, output
    assert "Traceback" not in output
    assert emulator.stats()["created"] == {}
    # every create that was sent is recorded, and settled: not created
    recorded = {e["job_id"] for e in launcher.manifest("submit")}
    states = {e["job_id"]: e["state"] for e in launcher.manifest("state")}
    assert recorded and all(states[j] == "NOT_CREATED" for j in recorded)
