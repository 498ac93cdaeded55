"""kill -9 of the launcher at seeded points of submission and waiting, each time followed by
`resume=true`: every job is created exactly once, none is orphaned (every job the server has is
in the manifest), and the last resume returns every result. Counted server-side.

The killed launchers are processes forked by tests/vertex/fork_server.py from one that planned
the 30 jobs once (Hydra composes each job's config twice, about 4 s of CPU for 30): they run the
vertex executor, which is where a kill can leave jobs behind. The last resume runs the whole
launcher, Hydra's sweeper included, in this process."""

import json
import random
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hydra.core.utils import JobStatus
from vertex_checks import StartEmulator, emulator_jobs
from vertex_launch import APP_DIR, launch

from hydra_vertex_emulator.faults import FaultConfig
from hydra_vertex_pipelines.executors.vertex.manifest import MANIFEST_NAME, read_manifest

pytestmark = pytest.mark.usefixtures("in_app_dir")

JOBS = 30
KILLS = 20
SEED = 20261130


class ForkServer:
    """tests/vertex/fork_server.py: launcher processes forked with the sweep planned."""

    def __init__(self, overrides: list[str], jobs: list[list[str]], sweep_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("fork_server.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdin is not None
        setup = {"overrides": overrides, "jobs": jobs, "sweep_dir": str(sweep_dir)}
        self.proc.stdin.write(json.dumps(setup) + "\n")
        self.proc.stdin.flush()
        assert self._read(120) == {"ready": True}

    def _read(self, timeout_s: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        assert ready, f"the fork server did not answer within {timeout_s} s"
        answer: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return answer

    def run(self, output: Path, **kill_point: float) -> int:
        """Run a launcher to its end or its kill point; its exit status."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"output": str(output)} | kill_point) + "\n")
        self.proc.stdin.flush()
        self._read(30)  # forked
        status: int = self._read(120)["status"]
        return status

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def kill_point(rng: random.Random, submitted: int) -> dict[str, float]:
    """While jobs remain to be submitted: right after an intent is on disk (its create not
    sent), right after a create answered, or at a time; then right after a state change was
    recorded, or at a time, during the wait and the reading of results."""
    kinds = ["intent", "state", "time"] if submitted < JOBS else ["state", "time"]
    kind = rng.choice(kinds)
    if kind == "intent":
        return {"kill_after_intents": rng.randint(1, 3)}
    if kind == "state":
        return {"kill_after_states": rng.randint(1, 3 if submitted < JOBS else 12)}
    return {"kill_after_s": round(rng.uniform(0.02, 0.25 if submitted < JOBS else 1.0), 3)}


def recorded_jobs(sweep_dir: Path) -> set[str]:
    return {e.job_id for s in read_manifest(sweep_dir / MANIFEST_NAME).values() for e in s.attempts}


def test_kill_9_at_seeded_points_then_resume_loses_and_duplicates_nothing(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator(max_parallel_jobs=3, faults=FaultConfig(latency_s=0.05))
    sweep_dir = tmp_path / "sweep"
    overrides = [
        "hydra/launcher=fast",
        f"hydra.launcher.api_endpoint={emulator.endpoint}",
        "hydra.launcher.resume=true",
        "hydra.launcher.max_concurrent_submissions=4",
    ]
    jobs = [[f"x={x}"] for x in range(JOBS)]
    fork_server = ForkServer(overrides, jobs, sweep_dir)
    rng = random.Random(SEED)
    kills: list[dict[str, float]] = []
    during_submission: list[dict[str, float]] = []
    try:
        for step in range(3 * KILLS):
            if len(kills) == KILLS:
                break
            sweeps = read_manifest(sweep_dir / MANIFEST_NAME)
            submitted = len(list(sweeps.values())[-1].latest()) if sweeps else 0
            point = kill_point(rng, submitted)
            status = fork_server.run(tmp_path / f"launch-{step}.log", **point)
            assert status in (0, -9), (tmp_path / f"launch-{step}.log").read_text()
            # whenever the launcher dies, every job on the server is found in the manifest
            on_server = {j["name"].rsplit("/", 1)[1] for j in emulator_jobs(emulator)}
            assert on_server <= recorded_jobs(sweep_dir), point
            if status == -9:
                kills.append(point)
                if submitted < JOBS:
                    during_submission.append(point)
    finally:
        fork_server.close()
    assert len(kills) == KILLS
    assert len(during_submission) >= 6

    # the last resume, in this process: every result, nothing submitted again
    rets = launch(APP_DIR, overrides, jobs, sweep_dir)
    assert [r.status for r in rets] == [JobStatus.COMPLETED] * JOBS
    assert [r.return_value for r in rets] == [float(x**2) for x in range(JOBS)]
    (sweep,) = read_manifest(sweep_dir / MANIFEST_NAME).values()
    recorded = {e.job_id for e in sweep.attempts}
    created = emulator.stats()["created"]
    assert sorted(created) == sorted(f"fast-app-{sweep.sweep_id}-{x}" for x in range(JOBS))
    assert set(created.values()) == {1}  # each job created exactly once
    on_server = {j["name"].rsplit("/", 1)[1] for j in emulator_jobs(emulator)}
    assert on_server <= recorded  # no orphan: every job on the server is in the manifest
