"""A main component that runs as a Vertex custom job, in vertex mode against the emulators: an
Optuna study gets every trial's value back, and the server shows what ran."""

import json
import subprocess
import sys
from pathlib import Path

from app_runner import APPS_DIR, app_env
from omegaconf import OmegaConf
from vertex_checks import StartEmulator, emulator_jobs, emulator_tasks

from hydra_vertex_pipelines.executors.vertex.labels import SWEEP_LABEL
from hydra_vertex_pipelines.executors.vertex.manifest import MANIFEST_NAME

APP = APPS_DIR / "local_app" / "main.py"


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
            "hydra/sweeper/sampler=tpe",
            "hydra.sweeper.sampler.seed=1",
            "hydra.sweeper.n_trials=8",
            "hydra.sweeper.n_jobs=4",
            "hydra.sweeper.direction=minimize",
            "x=choice(-2,-1,0,1,2,3)",
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
    # server-side: 8 jobs, each ran its custom-job task, which got its x as an input parameter
    sweep = json.loads((sweep_dir / MANIFEST_NAME).read_text().splitlines()[0])["sweep_id"]
    jobs = emulator_jobs(emulator, SWEEP_LABEL, sweep)
    assert len(jobs) == 8
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
        num = job["labels"]["hydra-job-num"]
        copied = sweep_dir / num / "hydra_output" / "return_value.json"
        assert json.loads(copied.read_text()) == x**2
