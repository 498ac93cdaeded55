"""CompiledJob: a planned job with its compiled pipeline and its runtime parameters: what an
executor writes, runs or submits."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from ..errors import LauncherConfigError
from ..planning.job_plan import JobPlan
from ..planning.overrides import OverrideKey, path_quote
from .custom_job import payload_value_problems
from .template import HYDRA_RUN_DIR_PARAMETER, PipelineTemplate, compile_template

# what a template depends on: the override keys, the launching overrides, the quote of paths
TemplateKey = tuple[tuple[OverrideKey, ...], tuple[str, ...], str]


class Placement(Protocol):
    """Where a job's files are, as its components see them: each executor decides."""

    def main_run_dir(self, plan: JobPlan) -> str:
        """The main component's hydra.run.dir for the job (a plain path)."""
        ...

    def artifact_root(self, plan: JobPlan) -> str:
        """Where the job's artifacts and output files are (the part of their paths that the
        runner, not the launcher, puts into the components' args)."""
        ...


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
    placement: Placement,
) -> list[CompiledJob]:
    """One template per set of override keys (and launching overrides and path quote),
    compiled once and written to the sweep dir (`pipeline.yaml`, or `pipeline-<digest>.yaml`
    when the sweep has several). The quote of paths in args is one that the artifact root of
    the job does not hold."""
    keys = {
        plan.num: (
            plan.override_keys,
            plan.launching_overrides,
            path_quote(
                placement.artifact_root(plan),
                f"Job #{plan.num}'s artifacts location (hydra.launcher.pipeline_root on Vertex "
                "AI, the job dir in local mode)",
            ),
        )
        for plan in plans
    }
    templates: dict[TemplateKey, PipelineTemplate] = {}
    for key in keys.values():
        if key not in templates:
            templates[key] = compile_template(conf, *key)
    _check_custom_job_values(templates, keys, plans, placement)
    single = len(templates) == 1
    spec_paths: dict[str, Path] = {}
    for template in templates.values():
        name = "pipeline.yaml" if single else f"pipeline-{template.digest}.yaml"
        spec_paths[template.digest] = sweep_dir / name
        spec_paths[template.digest].write_text(template.spec_yaml)
    jobs = []
    for plan in plans:
        template = templates[keys[plan.num]]
        run_dir = placement.main_run_dir(plan)
        jobs.append(
            CompiledJob(
                plan=plan,
                template=template,
                spec_path=spec_paths[template.digest],
                main_run_dir=run_dir,
                runtime_parameters=template.runtime_parameters(plan.parsed, run_dir, plan.runtime),
            )
        )
    return jobs


def _check_custom_job_values(
    templates: Mapping[TemplateKey, PipelineTemplate],
    template_keys: Mapping[int, TemplateKey],
    plans: Sequence[JobPlan],
    placement: Placement,
) -> None:
    """Refuse, before anything is written, values that a custom job's payload cannot carry."""
    found = []
    for plan in plans:
        template = templates[template_keys[plan.num]]
        keys = {name: key.key_element for key, name in template.parameter_names.items()}
        keys[HYDRA_RUN_DIR_PARAMETER] = "hydra.run.dir (from hydra.sweep.dir)"
        values = template.runtime_parameters(
            plan.parsed, placement.main_run_dir(plan), plan.runtime
        )
        found += payload_value_problems(template.spec, values, keys, plan.num)
    if found:
        raise LauncherConfigError(
            "Invalid job overrides; nothing was compiled, run or submitted:\n  - "
            + "\n  - ".join(found)
        )
