"""Sweepers drive local mode: results travel back through the compiled pipeline."""

import json
import subprocess
import sys
from pathlib import Path

import yaml
from local_launch import APP_DIR
from omegaconf import OmegaConf


def optuna_sweep(launcher: str, sweep_dir: Path) -> "subprocess.CompletedProcess[str]":
    """A grid study of x**2 over x in {-1, 0, 2}: its 3 trials in one batch, 3 at a time."""
    return subprocess.run(
        [
            sys.executable,
            "main.py",
            "-m",
            f"hydra/launcher={launcher}",
            "hydra.launcher.local.max_parallel_jobs=3",
            "hydra/sweeper=optuna",
            "hydra/sweeper/sampler=grid",
            "hydra.sweeper.n_trials=3",
            "hydra.sweeper.n_jobs=3",
            "hydra.sweeper.direction=minimize",
            "x=choice(-1,0,2)",
            f"hydra.sweep.dir={sweep_dir}",
        ],
        cwd=APP_DIR,
        check=True,
        capture_output=True,
        text=True,
    )


def test_optuna_finds_the_optimum_through_local_pipelines(tmp_path: Path) -> None:
    optuna_sweep("main_only", tmp_path)
    results = OmegaConf.load(tmp_path / "optimization_results.yaml")
    # the objective is x**2: the study only sees it if return values come back right
    assert results.best_value == 0.0
    assert results.best_params.x == 0


def test_optuna_sweeps_a_main_component_that_runs_as_a_custom_job(tmp_path: Path) -> None:
    done = optuna_sweep("custom_job", tmp_path)
    results = OmegaConf.load(tmp_path / "optimization_results.yaml")
    assert results.best_value == 0.0
    assert results.best_params.x == 0
    # each trial ran the custom job's container (its machine logged, not provisioned), whose
    # callback wrote x**2 into the job's Hydra output dir
    assert (
        done.stdout.count(
            "resources (not enforced locally): custom job on n1-standard-4, NVIDIA_TESLA_T4 x1, "
            "pd-ssd 100 GB, SPOT"
        )
        == 3
    )
    for n in range(3):
        (x,) = yaml.safe_load((tmp_path / str(n) / ".hydra" / "overrides.yaml").read_text())
        value = tmp_path / str(n) / "return_value.json"  # in the main run dir: the job dir
        assert json.loads(value.read_text()) == float(x.removeprefix("x=")) ** 2
