"""PipelineTemplate: the KFP pipeline spec of one set of override keys, compiled by kfp."""

import functools
import hashlib
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from kfp import compiler, dsl

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ComponentConf,
    ResourcesConf,
    VertexPipelineLauncherConf,
)

from ..planning.overrides import (
    JobOverride,
    OverrideKey,
    arg_json,
    in_quotes,
    matches_prefix,
    override_parameters,
    parameter_names,
)
from . import kfp_components
from .custom_job import custom_job_component, is_custom_job, return_value_arg
from .graph import component_order, input_artifact_names, kfp_name

RETURN_VALUE_OUTPUT = "return_value"
HYDRA_OUTPUT_ARTIFACT = "hydra_output"
# the main component's hydra.run.dir: a pipeline parameter, since each job has its own
HYDRA_RUN_DIR_PARAMETER = "hydra_run_dir"
# the launching job's runtime hydra fields (JobPlan.runtime) as JSON: one per job too
HYDRA_RUNTIME_PARAMETER = "hydra_runtime"
MAIN_PARAMETERS = (HYDRA_RUN_DIR_PARAMETER, HYDRA_RUNTIME_PARAMETER)
RESERVED_NAMES = (RETURN_VALUE_OUTPUT, HYDRA_OUTPUT_ARTIFACT, *MAIN_PARAMETERS)
_CALLBACKS = "hydra_plugins.hydra_vertex_pipeline_launcher.callbacks"
CALLBACK_NAME = "vertex_pipeline_return_value"
CALLBACK_TARGET = f"{_CALLBACKS}.ReturnValueCallback"
RUNTIME_CALLBACK_NAME = "vertex_pipeline_launching_job"
RUNTIME_CALLBACK_TARGET = f"{_CALLBACKS}.LaunchingJobCallback"


@dataclass(frozen=True)
class PipelineTemplate:
    """A compiled pipeline spec and how a job's overrides become its runtime parameters."""

    # the override keys (key element, whether a value travels) in job order
    override_keys: tuple[OverrideKey, ...]
    # pipeline parameter name per override key that carries a value
    parameter_names: Mapping[OverrideKey, str]
    # the compiled PipelineSpec as YAML text (deterministic for the same input)
    spec_yaml: str
    # the spec's DAG task name of the main component
    main_task: str
    # pipeline name inside the spec
    pipeline_name: str
    # the quote around paths in the args (overrides.path_quote)
    quote: str
    # the main component runs as a custom job: its return value is a file in its run dir
    main_custom_job: bool = False

    @functools.cached_property
    def spec(self) -> dict[str, Any]:
        loaded: dict[str, Any] = yaml.safe_load(self.spec_yaml)
        return loaded

    @functools.cached_property
    def digest(self) -> str:
        return hashlib.sha256(self.spec_yaml.encode()).hexdigest()[:12]

    def runtime_parameters(
        self, overrides: Sequence[JobOverride], run_dir: str, runtime: Mapping[str, Any]
    ) -> dict[str, str]:
        """A job's runtime parameters: its override values, its main run dir (a plain path) and
        its launching job's runtime fields."""
        values = override_parameters(overrides, self.parameter_names)
        return values | {
            HYDRA_RUN_DIR_PARAMETER: in_quotes(run_dir, self.quote),
            HYDRA_RUNTIME_PARAMETER: arg_json(dict(runtime)),
        }


def main_task(conf: VertexPipelineLauncherConf) -> str:
    """The DAG task name of the main component."""
    return kfp_name(next(name for name, comp in conf.components.items() if comp.main))


def _component_args(
    comp: ComponentConf,
    overrides: Sequence[tuple[str, str | None]],
    input_names: Mapping[str, str],
    return_value: bool,
    launching_overrides: Sequence[str],
    quote: str,
    texts: Mapping[str, str],
) -> list[str]:
    """The component's argv after its command: (main: the launching command line's Hydra
    overrides,) overrides, fixed args, artifacts, the run dir, (main: the launching job)."""

    def path(name: str) -> str:
        return f"{quote}{texts[name]}{quote}"

    args = list(launching_overrides) if comp.main else []
    args += [
        key_element if name is None else f"{key_element}={texts[name]}"
        for key_element, name in overrides
    ]
    args += list(comp.args)
    args += [f"{key}={path(input_names[key])}" for key in comp.inputs]
    args += [f"{key}={path(output)}" for output, key in comp.outputs.items()]
    if not comp.main:
        # every component is a Hydra app: its output dir (logs, .hydra) is kept as an artifact
        args.append(f"hydra.run.dir={path(HYDRA_OUTPUT_ARTIFACT)}")
        return args
    # the launched app: its run dir is the job's (one per job); a single run (even when the
    # app's config says MULTIRUN), with the launching job's runtime fields set back
    args.append(f"hydra.run.dir={path(HYDRA_RUN_DIR_PARAMETER)}")
    args.append("++hydra.mode=RUN")  # `++`: Hydra 1.1 has no hydra.mode
    prefix = f"++hydra.callbacks.{RUNTIME_CALLBACK_NAME}"
    args.append(f"{prefix}._target_={RUNTIME_CALLBACK_TARGET}")
    args.append(f"{prefix}.runtime='{texts[HYDRA_RUNTIME_PARAMETER]}'")
    if return_value:
        prefix = f"++hydra.callbacks.{CALLBACK_NAME}"
        args.append(f"{prefix}._target_={CALLBACK_TARGET}")
        if is_custom_job(comp):
            args.append(return_value_arg(prefix))
        else:
            args.append(f"{prefix}.output_file={path(RETURN_VALUE_OUTPUT)}")
    return args


def _component_overrides(
    comp: ComponentConf, keys: Sequence[OverrideKey], names: Mapping[OverrideKey, str]
) -> list[tuple[str, str | None]]:
    """(key element, parameter name or None for a literal arg) of this component's overrides."""
    return [
        (key.key_element, names.get(key))
        for key in keys
        if comp.main or any(matches_prefix(key.config_key, p) for p in comp.overrides)
    ]


def _build_component(
    comp_name: str,
    comp: ComponentConf,
    keys: Sequence[OverrideKey],
    names: Mapping[OverrideKey, str],
    return_value: bool,
    launching_overrides: Sequence[str],
    quote: str,
    conf: VertexPipelineLauncherConf,
) -> tuple[Any, list[str]]:
    """The kfp component (a custom-job component when it has a machine type) and the pipeline
    parameters it takes, in order."""
    overrides = _component_overrides(comp, keys, names)
    params = [name for _, name in overrides if name is not None]
    if comp.main:
        params += MAIN_PARAMETERS
    input_names = input_artifact_names(comp)
    signature: list[tuple[str, Any]] = [(p, str) for p in params]
    signature += [(n, dsl.Input[dsl.Artifact]) for n in input_names.values()]
    signature += [(n, dsl.Output[dsl.Artifact]) for n in comp.outputs]
    if not comp.main:
        signature.append((HYDRA_OUTPUT_ARTIFACT, dsl.Output[dsl.Artifact]))
    elif return_value and not is_custom_job(comp):
        signature.append((RETURN_VALUE_OUTPUT, dsl.OutputPath(str)))

    def build_args(texts: Mapping[str, str]) -> list[str]:
        return _component_args(
            comp, overrides, input_names, return_value, launching_overrides, quote, texts
        )

    component = kfp_components.container_component(
        kfp_name(comp_name).replace("-", "_"),
        signature,
        comp.image or "unset",
        comp.command,
        build_args,
    )
    if is_custom_job(comp):
        component = custom_job_component(component, comp_name, comp, conf)
    return component, params


def _configure_task(task: Any, comp_name: str, comp: ComponentConf, enable_caching: bool) -> None:
    # a custom job's machine, accelerators and env are in its payload, not on the task
    res = ResourcesConf() if is_custom_job(comp) else comp.resources
    env = {} if is_custom_job(comp) else comp.env
    if res.cpu is not None:
        task.set_cpu_limit(res.cpu)
    if res.memory is not None:
        task.set_memory_limit(res.memory)
    if res.accelerator_type is not None:
        task.set_accelerator_type(res.accelerator_type)
        count = 1 if res.accelerator_count is None else res.accelerator_count
        task.set_accelerator_limit(count)
    if comp.retries > 0:
        task.set_retry(comp.retries)
    task.set_caching_options(enable_caching if comp.caching is None else comp.caching)
    for env_name, env_value in sorted(env.items()):
        task.set_env_variable(env_name, env_value)
    task.set_display_name(comp.display_name or comp_name)


def template_parameter_names(
    conf: VertexPipelineLauncherConf, override_keys: Sequence[OverrideKey]
) -> dict[OverrideKey, str]:
    """The pipeline parameter name of each override key that carries a value (refused with the
    key when it cannot have one, before anything is compiled)."""
    return parameter_names(override_keys, _reserved_names(conf))


def _reserved_names(conf: VertexPipelineLauncherConf) -> set[str]:
    """Names the override parameters must not take: outputs, inputs, the launcher's own."""
    reserved = {n for comp in conf.components.values() for n in comp.outputs}
    reserved |= {
        n for comp in conf.components.values() for n in input_artifact_names(comp).values()
    }
    return reserved | set(RESERVED_NAMES)


def compile_template(
    conf: VertexPipelineLauncherConf,
    override_keys: Sequence[OverrideKey],
    launching_overrides: Sequence[str] = (),
    quote: str = '"',
) -> PipelineTemplate:
    """Compile the pipeline of one set of override keys with the kfp compiler; the main
    component also gets `launching_overrides` (JobPlan.launching_overrides); paths in args are
    between `quote`s (overrides.path_quote)."""
    names = template_parameter_names(conf, override_keys)
    order = component_order(conf.components)
    built = {
        name: _build_component(
            name,
            conf.components[name],
            override_keys,
            names,
            conf.return_value,
            launching_overrides,
            quote,
            conf,
        )
        for name in order
    }
    pipeline_name = kfp_name(conf.pipeline_name)

    def body(parameters: Mapping[str, Any]) -> None:
        tasks: dict[str, Any] = {}
        for comp_name in order:
            comp = conf.components[comp_name]
            component, params = built[comp_name]
            kwargs: dict[str, Any] = {p: parameters[p] for p in params}
            for key, source in comp.inputs.items():
                producer, output = source.split(".", 1)
                kwargs[input_artifact_names(comp)[key]] = tasks[producer].outputs[output]
            task = kfp_components.container_task(component, kwargs)
            for other in comp.after:
                task.after(tasks[other])
            _configure_task(task, comp_name, comp, conf.enable_caching)
            tasks[comp_name] = task

    graph = kfp_components.pipeline(pipeline_name, [*names.values(), *MAIN_PARAMETERS], body)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pipeline.yaml"
        compiler.Compiler().compile(pipeline_func=graph, package_path=str(path))
        spec_yaml = path.read_text()
    return PipelineTemplate(
        override_keys=tuple(override_keys),
        parameter_names=names,
        spec_yaml=spec_yaml,
        main_task=main_task(conf),
        pipeline_name=pipeline_name,
        quote=quote,
        main_custom_job=any(c.main and is_custom_job(c) for c in conf.components.values()),
    )
