"""What the launcher does: validate, plan the jobs, compile their pipelines, hand them to a mode."""

import logging
from collections.abc import Sequence
from pathlib import Path

import yaml
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, JobStatus, configure_log, filter_overrides, setup_globals
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from ._arg_table import arg_table
from ._plan import JobPlan, launching_job_args, plan_job, write_job_files
from ._run_dir import main_run_dir
from ._template import PipelineTemplate, compile_template, template_signatures
from ._validate import validate
from .config import VertexPipelineLauncherConf

log = logging.getLogger(__name__)


def launcher_conf(config: DictConfig) -> VertexPipelineLauncherConf:
    """hydra.launcher, resolved against the whole config, as its typed dataclass."""
    resolved = OmegaConf.to_container(config.hydra.launcher, resolve=True)
    merged = OmegaConf.merge(OmegaConf.structured(VertexPipelineLauncherConf), resolved)
    conf = OmegaConf.to_object(merged)
    assert isinstance(conf, VertexPipelineLauncherConf)
    return conf


def plan_jobs(
    hydra_context: HydraContext,
    config: DictConfig,
    job_overrides: Sequence[Sequence[str]],
    initial_job_idx: int,
) -> list[JobPlan]:
    """Compose every job's config first: a bad override fails the sweep before anything runs."""
    saved = HydraConfig.instance().cfg
    try:
        return [
            plan_job(hydra_context, config, overrides, initial_job_idx + i)
            for i, overrides in enumerate(job_overrides)
        ]
    finally:
        HydraConfig.instance().cfg = saved


def compile_templates(
    conf: VertexPipelineLauncherConf, plans: Sequence[JobPlan], sweep_dir: Path
) -> dict[str, Path]:
    """One template per set of override keys, compiled once; returns the spec file per digest.
    Sets each plan's template and main run dir."""
    templates: dict[tuple[str, ...], PipelineTemplate] = {}
    for plan in plans:
        signatures = template_signatures(plan.parsed)
        if signatures not in templates:
            templates[signatures] = compile_template(conf, signatures, launching_job_args(plan))
        plan.template = templates[signatures]
        plan.hydra_run_dir = main_run_dir(conf, plan)
    single = len(templates) == 1
    paths: dict[str, Path] = {}
    for template in templates.values():
        name = "pipeline.yaml" if single else f"pipeline-{template.digest}.yaml"
        paths[template.digest] = sweep_dir / name
        paths[template.digest].write_text(template.spec_yaml)
    return paths


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
    plans = plan_jobs(hydra_context, config, job_overrides, initial_job_idx)
    sweep_dir = Path(str(config.hydra.sweep.dir)).absolute()
    sweep_dir.mkdir(parents=True, exist_ok=True)
    spec_paths = compile_templates(conf, plans, sweep_dir)
    log.info(f"Launching {len(plans)} jobs as Vertex AI pipelines, mode={conf.mode}")
    for plan in plans:
        assert plan.template is not None
        write_job_files(plan, spec_paths[plan.template.digest])
        if conf.mode != "vertex":  # vertex mode logs each job with its job id once created
            log.info(
                f"\t#{plan.num} : {' '.join(filter_overrides(plan.overrides))} -> {plan.job_dir}"
            )
    if conf.mode == "compile":
        for spec_path in spec_paths.values():
            table = spec_path.with_name(f"{spec_path.stem}_args.md")
            table.write_text(arg_table(yaml.safe_load(spec_path.read_text())))
            log.info(f"Compiled {spec_path} (component args: {table})")
        return [plan.job_return(JobStatus.UNKNOWN, None) for plan in plans]
    if conf.mode == "local":
        from ._local import run_local

        return run_local(plans, conf, hydra_context, config, task_function)
    from ._vertex import run_vertex

    returns: list[JobReturn] = run_vertex(plans, conf, sweep_dir, spec_paths, started_ns)
    return returns
