"""Compose the Vertex test app's multirun config and plan or launch its jobs in this process."""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn
from hydra.types import HydraContext
from local_launch import compose as compose_app
from local_launch import launch as launch_app
from omegaconf import DictConfig

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf
from hydra_vertex_pipelines.compiling.compiled_job import CompiledJob
from hydra_vertex_pipelines.executors.vertex.executor import VertexExecutor
from hydra_vertex_pipelines.launch import compiled_jobs, launcher_conf

APP_DIR = Path(__file__).parents[1] / "apps" / "sweep_app"
LAUNCHER = "hydra/launcher=emulator"


def compose(
    app_dir: Path, overrides: Sequence[str], sweep_dir: Path
) -> tuple[DictConfig, HydraContext]:
    cfg: DictConfig
    context: HydraContext
    cfg, context = compose_app([LAUNCHER, *overrides], sweep_dir, app_dir / "main.py")
    return cfg, context


def plan_sweep(
    app_dir: Path,
    overrides: Sequence[str],
    job_overrides: Sequence[Sequence[str]],
    sweep_dir: Path,
) -> tuple[VertexPipelineLauncherConf, list[CompiledJob]]:
    """The launcher config and the compiled jobs, as launch() hands them to the vertex executor."""
    cfg, context = compose(app_dir, overrides, sweep_dir)
    conf = launcher_conf(cfg)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    executor = VertexExecutor(conf, sweep_dir, 0)
    batch = compiled_jobs(conf, context, cfg, job_overrides, 0, sweep_dir, executor)
    return conf, list(batch)


def launch(
    app_dir: Path,
    overrides: Sequence[str],
    job_overrides: Sequence[Sequence[str]],
    sweep_dir: Path,
    task_function: Callable[[Any], Any] = lambda cfg: None,
) -> Sequence[JobReturn]:
    """Launch `job_overrides` as Hydra's sweepers do."""
    returns: Sequence[JobReturn] = launch_app(
        [LAUNCHER, *overrides], job_overrides, sweep_dir, task_function, app_dir / "main.py"
    )
    return returns
