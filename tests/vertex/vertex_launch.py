"""Compose the Vertex test app's multirun config and plan or launch its jobs in this process."""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn
from hydra.types import HydraContext
from local_launch import compose as compose_app
from local_launch import launch as launch_app
from omegaconf import DictConfig

from hydra_plugins.hydra_vertex_pipeline_launcher._core import (
    compile_templates,
    launcher_conf,
    plan_jobs,
)
from hydra_plugins.hydra_vertex_pipeline_launcher._plan import JobPlan
from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

APP_DIR = Path(__file__).parent / "apps" / "sweep_app"
LAUNCHER = "hydra/launcher=emulator"


def compose(
    app_dir: Path, overrides: Sequence[str], sweep_dir: Path
) -> tuple[DictConfig, HydraContext]:
    cfg: DictConfig
    context: HydraContext
    cfg, context = compose_app([LAUNCHER, *overrides], sweep_dir, app_dir / "app.py")
    return cfg, context


def plan_jobs_of(
    app_dir: Path,
    overrides: Sequence[str],
    job_overrides: Sequence[Sequence[str]],
    sweep_dir: Path,
) -> tuple[VertexPipelineLauncherConf, list[JobPlan]]:
    """The launcher config and the composed job plans (not compiled yet)."""
    cfg, context = compose(app_dir, overrides, sweep_dir)
    conf = launcher_conf(cfg)
    plans = plan_jobs(context, cfg, job_overrides, 0)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    return conf, plans


def plan_sweep(
    app_dir: Path,
    overrides: Sequence[str],
    job_overrides: Sequence[Sequence[str]],
    sweep_dir: Path,
) -> tuple[VertexPipelineLauncherConf, list[JobPlan]]:
    """The launcher config and the compiled job plans, as launch() has them before dispatch."""
    conf, plans = plan_jobs_of(app_dir, overrides, job_overrides, sweep_dir)
    compile_templates(conf, plans, sweep_dir)
    return conf, plans


def launch(
    app_dir: Path,
    overrides: Sequence[str],
    job_overrides: Sequence[Sequence[str]],
    sweep_dir: Path,
    task_function: Callable[[Any], Any] = lambda cfg: None,
) -> Sequence[JobReturn]:
    """Launch `job_overrides` as Hydra's sweepers do."""
    returns: Sequence[JobReturn] = launch_app(
        [LAUNCHER, *overrides], job_overrides, sweep_dir, task_function, app_dir / "app.py"
    )
    return returns
