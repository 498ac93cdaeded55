"""Compose the Vertex test app's multirun config and plan or launch its jobs in this process."""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hydra._internal.callbacks import Callbacks
from hydra._internal.hydra import Hydra
from hydra._internal.utils import create_config_search_path
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.plugins import Plugins
from hydra.core.utils import JobReturn
from hydra.types import HydraContext, RunMode
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
    GlobalHydra.instance().clear()
    hydra = Hydra.create_main_hydra2(
        task_name="app", config_search_path=create_config_search_path(str(app_dir / "conf"))
    )
    cfg = hydra.compose_config(
        "config",
        [LAUNCHER, *overrides, f"hydra.sweep.dir={sweep_dir}"],
        run_mode=RunMode.MULTIRUN,
        with_log_configuration=False,
    )
    HydraConfig.instance().set_config(cfg)
    return cfg, HydraContext(config_loader=hydra.config_loader, callbacks=Callbacks(cfg))


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
    cfg, context = compose(app_dir, overrides, sweep_dir)
    launcher = Plugins.instance().instantiate_launcher(
        hydra_context=context, task_function=task_function, config=cfg
    )
    return launcher.launch(job_overrides, initial_job_idx=0)
