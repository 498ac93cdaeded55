"""A sweeper that chooses each batch from the previous batch's results (Optuna here) gets none
with mode=compile or wait=false: the launcher says so once, before anything is compiled or
submitted, instead of the sweeper failing later on missing results."""

import subprocess
import sys
from pathlib import Path

import pytest
from app_runner import APPS_DIR, app_env
from local_launch import compose
from omegaconf import OmegaConf

from hydra_vertex_pipelines.errors import LauncherConfigError
from hydra_vertex_pipelines.launch import launcher_conf
from hydra_vertex_pipelines.sweepers import check_sweeper, result_sweeper

PROBE = APPS_DIR / "probe" / "probe.py"


def test_an_optuna_study_in_compile_mode_stops_with_one_message(tmp_path: Path) -> None:
    """As a user runs an hparams_search config (its MULTIRUN needs no -m)."""
    done = subprocess.run(
        [
            sys.executable,
            PROBE.name,
            "hparams_search=optuna",
            "hydra/launcher=probe_local",
            "hydra.launcher.mode=compile",
            f"hydra.sweep.dir={tmp_path}",
        ],
        cwd=PROBE.parent,
        env=app_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "The Optuna sweeper (hydra.sweeper._target_=" in done.stderr
    assert "hydra.launcher.mode=compile does not run the jobs" in done.stderr
    assert "No trials are completed yet" not in done.stderr + done.stdout
    assert list(tmp_path.glob("pipeline*.yaml")) == []


@pytest.mark.parametrize(
    "launcher, why",
    [
        (["hydra/launcher=probe_emulator", "hydra.launcher.wait=false"], "wait=false"),
        (["hydra/launcher=probe_local", "hydra.launcher.mode=compile"], "mode=compile"),
    ],
)
def test_modes_without_results_refuse_a_result_sweeper(
    tmp_path: Path, launcher: list[str], why: str
) -> None:
    cfg, _ = compose([*launcher, "hparams_search=optuna"], tmp_path, PROBE)
    with pytest.raises(LauncherConfigError, match=why):
        check_sweeper(cfg, launcher_conf(cfg))


def test_modes_with_results_and_other_sweepers_pass(tmp_path: Path) -> None:
    local, _ = compose(["hydra/launcher=probe_local", "hparams_search=optuna"], tmp_path, PROBE)
    check_sweeper(local, launcher_conf(local))
    grid, _ = compose(
        ["hydra/launcher=probe_local", "hydra.launcher.mode=compile"], tmp_path, PROBE
    )
    check_sweeper(grid, launcher_conf(grid))


@pytest.mark.parametrize(
    "target, name",
    [
        ("hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper", "Optuna"),
        ("hydra_plugins.hydra_nevergrad_sweeper.nevergrad_sweeper.NevergradSweeper", "Nevergrad"),
        ("hydra_plugins.hydra_ax_sweeper.ax_sweeper.AxSweeper", "Ax"),
        ("hydra_plugins.hydra_ax_sweeper._core.SomethingNew", "Ax"),  # by its plugin package
        ("hydra._internal.core_plugins.basic_sweeper.BasicSweeper", None),
        ("my_project.sweepers.ListSweeper", None),
    ],
)
def test_sweepers_that_need_results_are_known_by_class_or_package(
    target: str, name: str | None
) -> None:
    config = OmegaConf.create({"hydra": {"sweeper": {"_target_": target}}})
    assert result_sweeper(config) == name
