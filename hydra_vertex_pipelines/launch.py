"""What the launcher does: validate, plan the jobs, compile their pipelines, hand them to the
mode's executor: one by one, so that the first job is run or submitted while the later ones are
still being composed."""

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, configure_log, filter_overrides, setup_globals
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from .choices import Mode
from .compiling.compiled_job import CompiledJob, JobCompiler, Placement
from .compiling.custom_job import override_payload_problems
from .compiling.template import template_parameter_names
from .config_reading import read_launcher_conf
from .default_pipeline import launch_command, pipeline_components, with_launch_command
from .errors import LauncherConfigError
from .executors import Executor, JobBatch, PlanningFailed
from .job_files import YamlWriter, write_job_files
from .planning.composer import sweep_composer
from .planning.job_plan import launching_overrides, plan_job
from .planning.overrides import parse_job_overrides
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


def compiled_jobs(
    conf: VertexPipelineLauncherConf,
    hydra_context: HydraContext,
    config: DictConfig,
    job_overrides: Sequence[Sequence[str]],
    initial_job_idx: int,
    sweep_dir: Path,
    placement: Placement,
) -> JobBatch:
    """The batch's jobs, composed, compiled and their files written one by one as the executor
    takes them. What can be known before any job is composed is checked first, for every job:
    each override parses, its key can name a pipeline parameter, and no override value goes
    where a custom job cannot carry it."""
    parsed = tuple(parse_job_overrides(overrides) for overrides in job_overrides)
    numbered = [(initial_job_idx + i, p) for i, p in enumerate(parsed)]
    found = override_payload_problems(conf, numbered)
    if found:
        raise LauncherConfigError(
            "Invalid job overrides; nothing was compiled, run or submitted:\n  - "
            + "\n  - ".join(found)
        )
    key_sets = {tuple(o.override_key for o in job) for job in parsed}
    for keys in key_sets:
        template_parameter_names(conf, keys)
    several = len(key_sets) > 1
    compiler = JobCompiler(conf, sweep_dir, placement, several)
    composer = sweep_composer(hydra_context)
    launching = launching_overrides(config)
    writer = YamlWriter()

    def jobs() -> Iterator[CompiledJob]:
        saved = HydraConfig.instance().cfg
        try:
            for (num, job_parsed), overrides in zip(numbered, job_overrides, strict=True):
                try:
                    plan, configs = plan_job(
                        composer, config, overrides, job_parsed, num, launching
                    )
                    job = compiler.compile(plan)
                    write_job_files(job, configs, writer)
                except Exception as e:
                    raise PlanningFailed(num, e) from e
                if conf.mode != Mode.vertex:  # vertex mode logs each job once it is created
                    text = " ".join(filter_overrides(plan.overrides))
                    log.info(f"\t#{num} : {text} -> {plan.job_dir}")
                yield job
        finally:
            HydraConfig.instance().cfg = saved

    return JobBatch(overrides=parsed, jobs=jobs())


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
    sweep_dir = Path(str(config.hydra.sweep.dir)).absolute()
    sweep_dir.mkdir(parents=True, exist_ok=True)
    executor = executor_for(conf, hydra_context, config, task_function, sweep_dir, started_ns)
    batch = compiled_jobs(
        conf, hydra_context, config, job_overrides, initial_job_idx, sweep_dir, executor
    )
    log.info(f"Launching {len(batch)} jobs as Vertex AI pipelines, mode={conf.mode.value}")
    return executor.execute(batch)
