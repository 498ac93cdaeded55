"""CompiledJob: a planned job with its compiled pipeline and its runtime parameters: what an
executor writes, runs or submits."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from ..errors import LauncherConfigError
from ..planning.job_plan import JobPlan, launching_job_args
from ..planning.overrides import OverrideKey, hydra_path_value
from .custom_job import payload_value_problems
from .template import HYDRA_RUN_DIR_PARAMETER, PipelineTemplate, compile_template


@dataclass(frozen=True)
class CompiledJob:
    plan: JobPlan
    template: PipelineTemplate
    # where the template's spec is written (one file per template in the sweep dir)
    spec_path: Path
    # the main component's hydra.run.dir, as the executor chose it
    main_run_dir: str
    # the pipeline parameters the job runs with
    runtime_parameters: dict[str, str]


def compile_jobs(
    conf: VertexPipelineLauncherConf,
    plans: Sequence[JobPlan],
    sweep_dir: Path,
    main_run_dir: Callable[[JobPlan], str],
) -> list[CompiledJob]:
    """One template per set of override keys, compiled once and written to the sweep dir
    (`pipeline.yaml`, or `pipeline-<digest>.yaml` when the sweep has several)."""
    templates: dict[tuple[OverrideKey, ...], PipelineTemplate] = {}
    for plan in plans:
        if plan.override_keys not in templates:
            templates[plan.override_keys] = compile_template(
                conf, plan.override_keys, launching_job_args(plan)
            )
    _check_custom_job_values(templates, plans, main_run_dir)
    single = len(templates) == 1
    spec_paths: dict[str, Path] = {}
    for template in templates.values():
        name = "pipeline.yaml" if single else f"pipeline-{template.digest}.yaml"
        spec_paths[template.digest] = sweep_dir / name
        spec_paths[template.digest].write_text(template.spec_yaml)
    jobs = []
    for plan in plans:
        template = templates[plan.override_keys]
        run_dir = main_run_dir(plan)
        jobs.append(
            CompiledJob(
                plan=plan,
                template=template,
                spec_path=spec_paths[template.digest],
                main_run_dir=run_dir,
                runtime_parameters=template.runtime_parameters(
                    plan.parsed, hydra_path_value(run_dir)
                ),
            )
        )
    return jobs


def _check_custom_job_values(
    templates: Mapping[tuple[OverrideKey, ...], PipelineTemplate],
    plans: Sequence[JobPlan],
    main_run_dir: Callable[[JobPlan], str],
) -> None:
    """Refuse, before anything is written, values that a custom job's payload cannot carry."""
    found = []
    for plan in plans:
        template = templates[plan.override_keys]
        keys = {name: key.key_element for key, name in template.parameter_names.items()}
        keys[HYDRA_RUN_DIR_PARAMETER] = "hydra.run.dir (from hydra.sweep.dir)"
        values = template.runtime_parameters(plan.parsed, hydra_path_value(main_run_dir(plan)))
        found += payload_value_problems(template.spec, values, keys, plan.num)
    if found:
        raise LauncherConfigError(
            "Invalid job overrides; nothing was compiled, run or submitted:\n  - "
            + "\n  - ".join(found)
        )
