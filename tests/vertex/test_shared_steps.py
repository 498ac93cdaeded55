"""Tasks that run the same in every job of a sweep (the data step of an lr sweep) run once on
Vertex too: one job goes first, the others once its shared tasks have run (cache hits)."""

from pathlib import Path

import pytest
from hydra.core.utils import JobStatus
from vertex_checks import StartEmulator, emulator_jobs, emulator_tasks
from vertex_launch import APP_DIR, launch, plan_sweep

from hydra_vertex_pipelines.executors.vertex.labels import SWEEP_LABEL
from hydra_vertex_pipelines.executors.vertex.manifest import MANIFEST_NAME, read_manifest
from hydra_vertex_pipelines.executors.vertex.shared import shared_tasks

pytestmark = pytest.mark.usefixtures("in_app_dir")

TWO_STEP = ["hydra/launcher=emulator"]


@pytest.mark.parametrize(
    ("overrides", "jobs", "shared"),
    [
        ([], [["x=1"], ["x=2"]], ["data"]),  # the data step gets data.*, not x
        ([], [["x=1", "data.n=1"], ["x=2", "data.n=1"]], ["data"]),
        ([], [["x=1", "data.n=1"], ["x=1", "data.n=2"]], []),  # the data differs
        ([], [["x=1", "data.n=1"], ["x=1"]], []),  # other override keys: another spec
        (["hydra.launcher.components.data.caching=false"], [["x=1"], ["x=2"]], []),
        ([], [["x=1"]], []),  # one job shares nothing
    ],
)
def test_shared_tasks_are_those_with_the_same_inputs_in_every_job(
    tmp_path: Path, overrides: list[str], jobs: list[list[str]], shared: list[str]
) -> None:
    _, compiled = plan_sweep(APP_DIR, [*TWO_STEP, *overrides], jobs, tmp_path)
    # known from the first job and every job's overrides (the others are not planned yet)
    assert shared_tasks(compiled[0], [job.plan.parsed for job in compiled]) == shared


def test_the_data_step_of_an_8_job_sweep_runs_once_with_8_jobs_at_a_time(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator(max_parallel_jobs=8)
    overrides = [*TWO_STEP, f"hydra.launcher.api_endpoint={emulator.endpoint}"]
    jobs = [[f"x={x}"] for x in range(8)]
    rets = launch(APP_DIR, overrides, jobs, tmp_path)
    assert [r.status for r in rets] == [JobStatus.COMPLETED] * 8
    assert [r.return_value for r in rets] == [x**2 + 10.0 for x in range(8)]
    (sweep,) = read_manifest(tmp_path / MANIFEST_NAME)
    data_runs = sorted(
        str(task["state"])
        for job in emulator_jobs(emulator, SWEEP_LABEL, sweep)
        for task in emulator_tasks(emulator, job["name"])
        if task["taskName"] == "data"
    )
    # executed once; the other seven answered from the cache
    assert data_runs == ["SKIPPED"] * 7 + ["SUCCEEDED"]
