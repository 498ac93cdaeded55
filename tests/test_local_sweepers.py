"""Sweepers drive local mode: results travel back through the compiled pipeline."""

import subprocess
import sys
from pathlib import Path

from local_launch import APP_DIR
from omegaconf import OmegaConf


def test_optuna_finds_the_optimum_through_local_pipelines(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "main.py",
            "-m",
            "hydra/launcher=main_only",
            "hydra.launcher.local.max_parallel_jobs=2",
            "hydra/sweeper=optuna",
            "hydra/sweeper/sampler=tpe",
            "hydra.sweeper.sampler.seed=1",
            "hydra.sweeper.n_trials=8",
            "hydra.sweeper.n_jobs=4",
            "hydra.sweeper.direction=minimize",
            "x=choice(-2,-1,0,1,2,3)",
            f"hydra.sweep.dir={tmp_path}",
        ],
        cwd=APP_DIR,
        check=True,
        capture_output=True,
    )
    results = OmegaConf.load(tmp_path / "optimization_results.yaml")
    # the objective is x**2: the study only sees it if return values come back right
    assert results.best_value == 0.0
    assert results.best_params.x == 0
