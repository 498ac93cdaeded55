"""What the launcher does: validate, plan the jobs, compile their pipelines, hand them to the
mode's executor."""

import logging
from collections.abc import Sequence
from pathlib import Path

from hydra.core.utils import JobReturn, configure_log, filter_overrides, setup_globals
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from .choices import Mode
from .compiling.compiled_job import compile_jobs
from .config_reading import read_launcher_conf
from .default_pipeline import launch_command, pipeline_components, with_launch_command
from .executors import Executor
from .job_files import write_job_files
from .planning.job_plan import plan_jobs
from .sweepers import check_sweeper
from .validation import validate

log = logging.getLogger(__name__)


def launcher_conf(config: DictConfig) -> VertexPipelineLauncherConf:
    """hydra.launcher, resolved against the whole config (the args and env of the components and
    of the app as written: config_reading.py), as its typed dataclass; every key or value that
    does not fit it is listed."""
    return read_launcher_conf(config.hydra.launcher)


def pipeline_conf(config: DictConfig, task_function: TaskFunction) -> VertexPipelineLauncherConf:
    """The launcher config, checked (with the sweeper), with the pipeline it runs: its
    components, or the default one, the launching app started as the user started it."""
    launch_dir = Path(str(config.hydra.runtime.cwd))
    conf = with_launch_command(launcher_conf(config), launch_command(task_function, launch_dir))
    validate(conf)
    check_sweeper(config, conf)
    conf.components = pipeline_components(conf)
    return conf


def executor_for(
    conf: VertexPipelineLauncherConf,
    hydra_context: HydraContext,
    config: DictConfig,
    task_function: TaskFunction,
    sweep_dir: Path,
    started_ns: int,
) -> Executor:
    """The mode's executor; only its own modules are imported."""
    if conf.mode == Mode.compile:
        from .executors.compile import CompileExecutor

        return CompileExecutor(conf)
    if conf.mode == Mode.local:
        from .executors.local import LocalExecutor

        return LocalExecutor(conf, hydra_context, config, task_function)
    from .executors.vertex.executor import VertexExecutor

    return VertexExecutor(conf, sweep_dir, started_ns)


def launch(
    config: DictConfig,
    hydra_context: HydraContext,
    task_function: TaskFunction,
    job_overrides: Sequence[Sequence[str]],
    initial_job_idx: int,
    started_ns: int,
) -> Sequence[JobReturn]:
    """Launch one batch of the multirun that started at `started_ns` (time.time_ns())."""
    setup_globals()
    configure_log(config.hydra.hydra_logging, config.hydra.verbose)
    conf = pipeline_conf(config, task_function)
    plans = plan_jobs(hydra_context, config, job_overrides, initial_job_idx)
    sweep_dir = Path(str(config.hydra.sweep.dir)).absolute()
    sweep_dir.mkdir(parents=True, exist_ok=True)
    executor = executor_for(conf, hydra_context, config, task_function, sweep_dir, started_ns)
    jobs = compile_jobs(conf, plans, sweep_dir, executor)
    log.info(f"Launching {len(jobs)} jobs as Vertex AI pipelines, mode={conf.mode.value}")
    for job in jobs:
        write_job_files(job)
        if conf.mode != Mode.vertex:  # vertex mode logs each job with its job id once created
            overrides = " ".join(filter_overrides(job.plan.overrides))
            log.info(f"\t#{job.plan.num} : {overrides} -> {job.plan.job_dir}")
    return executor.execute(jobs)
