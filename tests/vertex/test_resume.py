"""resume=true: the previous launch recorded in the manifest is adopted job by job (same spec and
parameters digest), never silently when what a job runs changed; counted server-side."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hydra.core.utils import JobStatus
from omegaconf import OmegaConf
from vertex_checks import StartEmulator, emulator_jobs
from vertex_launch import APP_DIR, launch

from hydra_vertex_pipelines.executors.vertex import executor as vertex_executor
from hydra_vertex_pipelines.executors.vertex.labels import HYPHENATED_LABELS
from hydra_vertex_pipelines.executors.vertex.manifest import MANIFEST_NAME, read_manifest
from hydra_vertex_pipelines.executors.vertex.resume import ResumeMismatch

pytestmark = pytest.mark.usefixtures("in_app_dir")

TWO_STEP = ["hydra/launcher=emulator", "hydra.launcher.shared_steps_once=false"]
FAST = ["hydra/launcher=fast"]
RESUME = "hydra.launcher.resume=true"


def endpoint(url: str) -> str:
    return f"hydra.launcher.api_endpoint={url}"


def test_resume_returns_succeeded_jobs_and_submits_failed_ones_again(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator()
    marker = tmp_path / "failing"
    marker.write_text("the main step fails while this file exists")
    jobs = [["x=1"], ["x=2", "behaviour=fail_while", f"marker={marker}"]]
    overrides = [*TWO_STEP, endpoint(emulator.endpoint)]
    sweep_dir = tmp_path / "sweep"
    first = launch(APP_DIR, overrides, jobs, sweep_dir)
    assert [r.status for r in first] == [JobStatus.COMPLETED, JobStatus.FAILED]
    marker.unlink()
    emulator.reset_stats()

    again = launch(APP_DIR, [*overrides, RESUME], jobs, sweep_dir)
    assert [r.return_value for r in again] == [
        11.0,
        14.0,
    ]
    stats = emulator.stats()
    # the succeeded job was adopted; the failed one submitted again under a new id
    (sweep,) = read_manifest(sweep_dir / MANIFEST_NAME).values()
    assert list(stats["created"]) == [f"sweep-app-{sweep.sweep_id}-1-try2"]
    assert stats["requests"]["create"] == 1
    assert [(e.job_num, e.attempt) for e in sweep.attempts] == [(0, 1), (1, 1), (1, 2)]

    emulator.reset_stats()
    third = launch(APP_DIR, [*overrides, RESUME], jobs, sweep_dir)
    assert [r.return_value for r in third] == [r.return_value for r in again]
    requests = emulator.stats()["requests"]
    # nothing submitted; one List for the whole sweep (and the preflight's), one Get per result
    assert (requests["create"], requests["list"], requests["get"]) == (0, 2, 2)


def test_resume_refuses_jobs_that_changed_and_submits_nothing(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator()
    overrides = [*FAST, endpoint(emulator.endpoint), "hydra.launcher.wait=false"]
    launch(APP_DIR, overrides, [["x=1"], ["x=2"]], tmp_path)
    emulator.reset_stats()
    # job #1's parameters changed
    with pytest.raises(ResumeMismatch) as changed:
        launch(APP_DIR, [*overrides, RESUME], [["x=1"], ["x=5"]], tmp_path)
    message = str(changed.value)
    assert "1 job(s) of sweep" in message and "#1 (x=5):" in message and "#0" not in message
    # the code changed: every job
    args = "hydra.launcher.components.main.args=['+extra=1']"
    with pytest.raises(ResumeMismatch, match=r"2 job\(s\)[\s\S]*#0 \(x=1\)[\s\S]*#1 \(x=2\)"):
        launch(APP_DIR, [*overrides, RESUME, args], [["x=1"], ["x=2"]], tmp_path)
    assert emulator.stats()["requests"]["create"] == 0


def _as_an_earlier_version_wrote_it(manifest: Path, with_header: bool) -> None:
    """The manifest of an earlier launcher: one line per created job (before the write-ahead
    manifest), or a header that records no label keys (before underscore label keys)."""
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    if with_header:
        older = [{k: v for k, v in e.items() if k != "sweep_label"} for e in lines]
    else:
        keys = ("job_num", "job_id", "sweep_id", "overrides", "console_url", "name")
        older = [{k: e[k] for k in keys} for e in lines if e["event"] == "submit"]
    manifest.write_text("".join(json.dumps(e) + "\n" for e in older))


@pytest.mark.parametrize("with_header", [False, True], ids=["one_line_per_job", "no_label_keys"])
def test_resume_reads_the_previous_manifest_formats(
    start_emulator: StartEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    with_header: bool,
) -> None:
    """Jobs that an earlier version created carry hyphenated label keys (hydra-sweep-id, ...):
    resuming their sweep lists them by those and adopts them."""
    emulator = start_emulator()
    overrides = [*FAST, endpoint(emulator.endpoint)]
    with monkeypatch.context() as earlier_version:
        earlier_version.setattr(vertex_executor, "LAUNCHER_LABELS", HYPHENATED_LABELS)
        launch(APP_DIR, [*overrides, "hydra.launcher.wait=false"], [["x=1"], ["x=2"]], tmp_path)
    (sweep,) = read_manifest(tmp_path / MANIFEST_NAME)
    assert len(emulator_jobs(emulator, HYPHENATED_LABELS.sweep, sweep)) == 2
    _as_an_earlier_version_wrote_it(tmp_path / MANIFEST_NAME, with_header)
    emulator.reset_stats()
    rets = launch(APP_DIR, [*overrides, RESUME], [["x=1"], ["x=2"]], tmp_path)
    assert [r.return_value for r in rets] == [1.0, 4.0]
    assert emulator.stats()["requests"]["create"] == 0
    # the resumed launch records the sweep's label keys, for the next resume
    header = read_manifest(tmp_path / MANIFEST_NAME)[sweep].header
    assert header is not None and header.sweep_label == HYPHENATED_LABELS.sweep


def test_resume_without_a_manifest_starts_the_sweep(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator()
    overrides = [*FAST, endpoint(emulator.endpoint), RESUME]
    rets = launch(APP_DIR, overrides, [["x=3"]], tmp_path)
    assert rets[0].return_value == 9.0
    assert len(emulator.stats()["created"]) == 1


def test_optuna_with_a_fixed_seed_resumes_its_trials(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator(max_parallel_jobs=4)
    command = [
        sys.executable,
        "main.py",
        "-m",
        *FAST,
        endpoint(emulator.endpoint),
        "hydra/sweeper=optuna",
        "hydra.sweeper.sampler.seed=3",
        "hydra.sweeper.n_trials=4",
        "hydra.sweeper.n_jobs=2",
        "hydra.sweeper.direction=minimize",
        "x=choice(-2,-1,0,1,2,3)",
        f"hydra.sweep.dir={tmp_path}",
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    first = OmegaConf.load(tmp_path / "optimization_results.yaml")
    created = emulator.stats()["created"]
    assert len(created) == 4
    emulator.reset_stats()
    done = subprocess.run([*command, RESUME], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # both batches of trials asked for the same jobs again: all four adopted, none created
    assert emulator.stats()["requests"]["create"] == 0
    assert OmegaConf.load(tmp_path / "optimization_results.yaml") == first
