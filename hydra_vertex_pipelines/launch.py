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
from .executors import Executor
from .job_files import write_job_files
from .planning.job_plan import plan_jobs
from .sweepers import check_sweeper
from .validation import validate

log = logging.getLogger(__name__)


def launcher_conf(config: DictConfig) -> VertexPipelineLauncherConf:
    """hydra.launcher, resolved against the whole config (components' args and env as written:
    config_reading.py), as its typed dataclass."""
    return read_launcher_conf(config.hydra.launcher)


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
    conf = launcher_conf(config)
    validate(conf)
    check_sweeper(config, conf)
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
