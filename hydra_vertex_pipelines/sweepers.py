"""Sweepers that choose each batch of jobs from the previous batch's return values (Optuna,
Nevergrad, Ax): with mode=compile or wait=false the launcher returns no values, so such a sweep
cannot go on. Said once, before anything is compiled or submitted."""

import re

from omegaconf import DictConfig, OmegaConf

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from .choices import Mode
from .errors import LauncherConfigError

# the sweeper plugins (Hydra's own) that minimize or maximize the task function's return value,
# by class and by plugin package
_RESULT_SWEEPER_CLASSES = {
    "OptunaSweeper": "Optuna",
    "NevergradSweeper": "Nevergrad",
    "AxSweeper": "Ax",
}
_RESULT_SWEEPER_PACKAGE = re.compile(r"hydra_plugins\.hydra_(optuna|nevergrad|ax)_sweeper\b")


def result_sweeper(config: DictConfig) -> str | None:
    """The name of the configured sweeper when it needs the jobs' return values, else None."""
    target = OmegaConf.select(config, "hydra.sweeper._target_", default=None)
    if not isinstance(target, str):
        return None
    name = _RESULT_SWEEPER_CLASSES.get(target.rsplit(".", 1)[-1])
    if name is not None:
        return name
    package = _RESULT_SWEEPER_PACKAGE.match(target)
    return package[1].capitalize() if package else None


def check_sweeper(config: DictConfig, conf: VertexPipelineLauncherConf) -> None:
    """Refuse a sweeper that needs return values when this mode gives none."""
    if conf.mode == Mode.compile:
        why = "hydra.launcher.mode=compile does not run the jobs"
    elif conf.mode == Mode.vertex and not conf.wait:
        why = "hydra.launcher.wait=false does not wait for the jobs"
    else:
        return
    sweeper = result_sweeper(config)
    if sweeper is None:
        return
    raise LauncherConfigError(
        f"The {sweeper} sweeper (hydra.sweeper._target_={config.hydra.sweeper._target_}) chooses "
        f"each batch of jobs from the previous batch's return values, and {why}: it would stop "
        "on missing results. Nothing was compiled, run or submitted. To run the sweep, use "
        "hydra.launcher.mode=vertex with wait=true, or mode=local; to compile or submit a fixed "
        "set of jobs, use Hydra's basic sweeper (hydra/sweeper=basic) with the values to sweep."
    )
