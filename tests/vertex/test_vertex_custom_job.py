"""A main component that runs as a Vertex custom job, in vertex mode against the emulators: an
Optuna study gets every trial's value back, and the server shows what ran; the sweep CLI and
resume=true read the values too."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from app_runner import APPS_DIR, app_env
from hydra.core.utils import JobStatus
from local_launch import launch
from omegaconf import OmegaConf
from vertex_checks import StartEmulator, emulator_jobs, emulator_tasks

from hydra_vertex_pipelines import sweep_cli
from hydra_vertex_pipelines.executors.vertex.labels import SWEEP_LABEL
from hydra_vertex_pipelines.executors.vertex.manifest import MANIFEST_NAME
from hydra_vertex_pipelines.executors.vertex.storage import STORAGE_EMULATOR_ENV

APP = APPS_DIR / "sweep_app" / "main.py"


def test_optuna_gets_the_values_of_custom_job_trials_from_the_emulator(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator(max_parallel_jobs=4)
    sweep_dir = tmp_path / "sweep"
    subprocess.run(
        [
            sys.executable,
            APP.name,
            "-m",
            "hydra/launcher=custom_job",
            "hydra.launcher.mode=vertex",
            f"hydra.launcher.api_endpoint={emulator.endpoint}",
            "hydra/sweeper=optuna",
            "hydra/sweeper/sampler=grid",
            "hydra.sweeper.n_trials=3",
            "hydra.sweeper.n_jobs=3",
            "hydra.sweeper.direction=minimize",
            "x=choice(-1,0,2)",
            f"hydra.sweep.dir={sweep_dir}",
        ],
        cwd=APP.parent,
        env=app_env(),  # with STORAGE_EMULATOR_HOST: the runs' Hydra outputs come back
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    results = OmegaConf.load(sweep_dir / "optimization_results.yaml")
    assert results.best_value == 0.0
    assert results.best_params.x == 0
    # server-side: 3 jobs, each ran its custom-job task, which got its x as an input parameter
    sweep = json.loads((sweep_dir / MANIFEST_NAME).read_text().splitlines()[0])["sweep_id"]
    jobs = emulator_jobs(emulator, SWEEP_LABEL, sweep)
    assert len(jobs) == 3
    assert {j["state"] for j in jobs} == {"PIPELINE_STATE_SUCCEEDED"}
    for job in jobs:
        (main,) = [t for t in emulator_tasks(emulator, job["name"]) if t["taskName"] == "main"]
        assert main["state"] == "SUCCEEDED"
        metadata = main["execution"]["metadata"]
        x = float(metadata["input:x"])
        # GCPC's launcher output; the return value travels in the run dir, not as a parameter
        assert json.loads(metadata["output:gcp_resources"]) == {"resources": []}
        assert "output:return_value" not in metadata
        # the value came back through Cloud Storage with the job's Hydra output dir
        num = job["labels"]["hydra_job_num"]
        copied = sweep_dir / num / "hydra_output" / "return_value.json"
        assert json.loads(copied.read_text()) == x**2


def test_custom_job_values_come_back_through_the_sweep_cli_and_resume(
    start_emulator: StartEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A custom-job main's value is a file of its Hydra output dir: `hydra-vertex-sweep results`
    and a resumed launch read it from the copy they make; without a copy the job fails, saying
    so, and nothing is submitted again."""
    monkeypatch.chdir(APP.parent)
    emulator = start_emulator()
    sweep_dir = tmp_path / "sweep"
    overrides = [
        "hydra/launcher=custom_job",
        "hydra.launcher.mode=vertex",
        f"hydra.launcher.api_endpoint={emulator.endpoint}",
    ]
    jobs = [["x=2"], ["x=3"]]
    submitted = launch([*overrides, "hydra.launcher.wait=false"], jobs, sweep_dir, app=APP)
    assert [r.status for r in submitted] == [JobStatus.UNKNOWN] * 2

    assert sweep_cli.main(["wait", str(sweep_dir), "--poll-interval-s", "0.1"]) == 0
    assert sweep_cli.main(["results", str(sweep_dir), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line[:1] == "{"]
    assert [(r["value"], r["error"]) for r in rows] == [(4.0, None), (9.0, None)]

    emulator.reset_stats()
    resumed = launch([*overrides, "hydra.launcher.resume=true"], jobs, sweep_dir, app=APP)
    assert [r.return_value for r in resumed] == [4.0, 9.0]
    assert emulator.stats()["requests"]["create"] == 0

    # no Cloud Storage to copy from (a plain-http endpoint without STORAGE_EMULATOR_HOST)
    monkeypatch.delenv(STORAGE_EMULATOR_ENV)
    (sweep_dir / "0" / "hydra_output").rename(tmp_path / "stale")  # what the first copy left
    uncopied = launch([*overrides, "hydra.launcher.resume=true"], jobs, sweep_dir, app=APP)
    assert [r.status for r in uncopied] == [JobStatus.FAILED] * 2
    message = str(uncopied[0]._return_value)
    assert "(a custom job) left no return_value.json" in message
    assert "which was not copied back" in message
    assert emulator.stats()["requests"]["create"] == 0
