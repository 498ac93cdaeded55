"""CompiledJob: a planned job with its compiled pipeline and its runtime parameters: what an
executor writes, runs or submits."""

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


class JobCompiler:
    """Compiles each job's pipeline as the job comes: one template per set of override keys (and
    launching overrides and path quote), compiled once and written to the sweep dir
    (`pipeline.yaml`, or `pipeline-<digest>.yaml` when the sweep has several). The quote of
    paths in args is one that the artifact root of the job does not hold."""

    def __init__(
        self,
        conf: VertexPipelineLauncherConf,
        sweep_dir: Path,
        placement: Placement,
        several_templates: bool,
    ) -> None:
        self.conf = conf
        self.sweep_dir = sweep_dir
        self.placement = placement
        self.several_templates = several_templates
        self.templates: dict[TemplateKey, tuple[PipelineTemplate, Path]] = {}

    def template(self, plan: JobPlan) -> tuple[PipelineTemplate, Path]:
        """The job's template and where its spec is written."""
        quote = path_quote(
            self.placement.artifact_root(plan),
            f"Job #{plan.num}'s artifacts location (hydra.launcher.pipeline_root on Vertex "
            "AI, the job dir in local mode)",
        )
        key = (plan.override_keys, plan.launching_overrides, quote)
        if key not in self.templates:
            template = compile_template(self.conf, *key)
            several = self.several_templates or bool(self.templates)
            name = f"pipeline-{template.digest}.yaml" if several else "pipeline.yaml"
            path = self.sweep_dir / name
            path.write_text(template.spec_yaml)
            self.templates[key] = (template, path)
        return self.templates[key]

    def compile(self, plan: JobPlan) -> CompiledJob:
        """The job with its template and runtime parameters; values a custom job's payload
        cannot carry are refused."""
        template, spec_path = self.template(plan)
        run_dir = self.placement.main_run_dir(plan)
        parameters = template.runtime_parameters(plan.parsed, run_dir, plan.runtime)
        keys = {name: key.key_element for key, name in template.parameter_names.items()}
        keys[HYDRA_RUN_DIR_PARAMETER] = "hydra.run.dir (from hydra.sweep.dir)"
        found = payload_value_problems(template.spec, parameters, keys, plan.num)
        if found:
            raise LauncherConfigError(f"Job #{plan.num} cannot run:\n  - " + "\n  - ".join(found))
        return CompiledJob(
            plan=plan,
            template=template,
            spec_path=spec_path,
            main_run_dir=run_dir,
            runtime_parameters=parameters,
        )
