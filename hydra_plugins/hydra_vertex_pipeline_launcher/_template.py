"""PipelineTemplate: the KFP pipeline spec of one set of override keys, compiled by kfp."""

import hashlib
import inspect
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from kfp import compiler, dsl

from ._graph import component_order, input_artifact_names, kfp_name
from ._overrides import JobOverride, matches_prefix, parameter_names, parameter_values
from .config import ComponentConf, VertexPipelineLauncherConf

RETURN_VALUE_OUTPUT = "return_value"
HYDRA_OUTPUT_ARTIFACT = "hydra_output"
# the main component's hydra.run.dir: a pipeline parameter, since each job has its own
HYDRA_RUN_DIR_PARAMETER = "hydra_run_dir"
RESERVED_NAMES = (RETURN_VALUE_OUTPUT, HYDRA_OUTPUT_ARTIFACT, HYDRA_RUN_DIR_PARAMETER)
CALLBACK_NAME = "vertex_pipeline_return_value"
CALLBACK_TARGET = "hydra_plugins.hydra_vertex_pipeline_launcher.callbacks.ReturnValueCallback"


@dataclass(frozen=True)
class PipelineTemplate:
    """A compiled pipeline spec and how a job's overrides become its runtime parameters."""

    # override signatures (key element, '=' when a value travels) in job order
    signatures: tuple[str, ...]
    # pipeline parameter name per signature that carries a value
    parameter_names: Mapping[str, str]
    # the compiled PipelineSpec as YAML text (deterministic for the same input)
    spec_yaml: str
    # the spec's DAG task name of the main component
    main_task: str
    # pipeline name inside the spec
    pipeline_name: str

    @property
    def spec(self) -> dict[str, Any]:
        loaded: dict[str, Any] = yaml.safe_load(self.spec_yaml)
        return loaded

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.spec_yaml.encode()).hexdigest()[:12]

    def parameter_values(
        self, overrides: Sequence[JobOverride], hydra_run_dir: str
    ) -> dict[str, str]:
        """The job's runtime parameters: its override values and its main run dir."""
        values = parameter_values(overrides, self.parameter_names)
        return values | {HYDRA_RUN_DIR_PARAMETER: hydra_run_dir}


def template_signatures(overrides: Sequence[JobOverride]) -> tuple[str, ...]:
    return tuple(o.signature for o in overrides)


def _placeholder_kind(annotation: Any) -> Callable[[Any], str]:
    """How a placeholder object of this input/output turns into arg text."""
    if annotation in (str,) or isinstance(annotation, dsl.OutputPath):
        return str
    return lambda artifact: str(artifact.path)


def _container_component(
    name: str,
    signature: Sequence[tuple[str, Any]],
    image: str,
    command: Sequence[str],
    build_args: Callable[[Mapping[str, str]], list[str]],
) -> Any:
    """A kfp container component whose inputs and outputs are given at run time."""
    names = [n for n, _ in signature]
    to_text = {n: _placeholder_kind(a) for n, a in signature}

    def component(*placeholders: Any) -> dsl.ContainerSpec:
        texts = {n: to_text[n](p) for n, p in zip(names, placeholders, strict=False)}
        return dsl.ContainerSpec(image=image, command=list(command), args=build_args(texts))

    component.__name__ = name
    params = [
        inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=a)
        for n, a in signature
    ]
    component.__signature__ = inspect.Signature(params, return_annotation=dsl.ContainerSpec)  # type: ignore[attr-defined]
    component.__annotations__ = {n: a for n, a in signature} | {"return": dsl.ContainerSpec}
    return dsl.container_component(component)


def _component_args(
    comp: ComponentConf,
    overrides: Sequence[tuple[str, str | None]],
    input_names: Mapping[str, str],
    return_value: bool,
    main_args: Sequence[str],
    texts: Mapping[str, str],
) -> list[str]:
    """The component's argv after its command: overrides, fixed args, artifacts, main's extras."""
    args = [
        key_element if name is None else f"{key_element}={texts[name]}"
        for key_element, name in overrides
    ]
    args += list(comp.args)
    args += [f"{key}={texts[input_names[key]]}" for key in comp.inputs]
    args += [f"{key}={texts[output]}" for output, key in comp.outputs.items()]
    if not comp.main:
        # every component is a Hydra app: its output dir (logs, .hydra) is kept as an artifact
        args.append(f"hydra.run.dir={texts[HYDRA_OUTPUT_ARTIFACT]}")
        return args
    # the launched app: its run dir is the job's (one per job), and the launching job's settings
    args.append(f"hydra.run.dir={texts[HYDRA_RUN_DIR_PARAMETER]}")
    args += list(main_args)
    if return_value:
        prefix = f"++hydra.callbacks.{CALLBACK_NAME}"
        args.append(f"{prefix}._target_={CALLBACK_TARGET}")
        args.append(f"{prefix}.output_file={texts[RETURN_VALUE_OUTPUT]}")
    return args


def _component_overrides(
    comp: ComponentConf, signatures: Sequence[str], names: Mapping[str, str]
) -> list[tuple[str, str | None]]:
    """(key element, parameter name or None for a literal arg) of this component's overrides."""
    selected = []
    for signature in signatures:
        key_element = signature.rstrip("=")
        key = key_element.lstrip("+~").split("@", 1)[0]
        if comp.main or any(matches_prefix(key, p) for p in comp.overrides):
            selected.append((key_element, names.get(signature)))
    return selected


def _build_component(
    comp_name: str,
    comp: ComponentConf,
    signatures: Sequence[str],
    names: Mapping[str, str],
    return_value: bool,
    main_args: Sequence[str],
) -> tuple[Any, list[str]]:
    """The kfp component and the pipeline parameters it takes, in order."""
    overrides = _component_overrides(comp, signatures, names)
    params = [name for _, name in overrides if name is not None]
    if comp.main:
        params.append(HYDRA_RUN_DIR_PARAMETER)
    input_names = input_artifact_names(comp)
    signature: list[tuple[str, Any]] = [(p, str) for p in params]
    signature += [(n, dsl.Input[dsl.Artifact]) for n in input_names.values()]
    signature += [(n, dsl.Output[dsl.Artifact]) for n in comp.outputs]
    if not comp.main:
        signature.append((HYDRA_OUTPUT_ARTIFACT, dsl.Output[dsl.Artifact]))
    elif return_value:
        signature.append((RETURN_VALUE_OUTPUT, dsl.OutputPath(str)))

    def build_args(texts: Mapping[str, str]) -> list[str]:
        return _component_args(comp, overrides, input_names, return_value, main_args, texts)

    component = _container_component(
        kfp_name(comp_name).replace("-", "_"),
        signature,
        comp.image or "unset",
        comp.command,
        build_args,
    )
    return component, params


def _configure_task(task: Any, comp_name: str, comp: ComponentConf, enable_caching: bool) -> None:
    res = comp.resources
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
    for env_name, env_value in sorted(comp.env.items()):
        task.set_env_variable(env_name, env_value)
    task.set_display_name(comp.display_name or comp_name)


def compile_template(
    conf: VertexPipelineLauncherConf, signatures: Sequence[str], main_args: Sequence[str] = ()
) -> PipelineTemplate:
    """Compile the pipeline of one set of override signatures with the kfp compiler;
    `main_args` are fixed Hydra overrides of the main component (the launching job's settings)."""
    reserved = {n for comp in conf.components.values() for n in comp.outputs}
    reserved |= {
        n for comp in conf.components.values() for n in input_artifact_names(comp).values()
    }
    reserved |= set(RESERVED_NAMES)
    names = parameter_names(signatures, reserved)
    order = component_order(conf.components)
    built = {
        name: _build_component(
            name, conf.components[name], signatures, names, conf.return_value, main_args
        )
        for name in order
    }
    pipeline_params = [*names.values(), HYDRA_RUN_DIR_PARAMETER]
    pipeline_name = kfp_name(conf.pipeline_name)

    def pipeline(*values: str) -> None:
        by_name = dict(zip(pipeline_params, values, strict=False))
        tasks: dict[str, Any] = {}
        for comp_name in order:
            comp = conf.components[comp_name]
            component, params = built[comp_name]
            kwargs: dict[str, Any] = {p: by_name[p] for p in params}
            for key, source in comp.inputs.items():
                producer, output = source.split(".", 1)
                kwargs[input_artifact_names(comp)[key]] = tasks[producer].outputs[output]
            task = component(**kwargs)
            for other in comp.after:
                task.after(tasks[other])
            _configure_task(task, comp_name, comp, conf.enable_caching)
            tasks[comp_name] = task

    pipeline.__name__ = pipeline_name.replace("-", "_")
    pipeline.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str)
            for p in pipeline_params
        ]
    )
    pipeline.__annotations__ = {p: str for p in pipeline_params}
    graph = dsl.pipeline(name=pipeline_name)(pipeline)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pipeline.yaml"
        compiler.Compiler().compile(pipeline_func=graph, package_path=str(path))
        spec_yaml = path.read_text()
    main_name = next(n for n, c in conf.components.items() if c.main)
    return PipelineTemplate(
        signatures=tuple(signatures),
        parameter_names=names,
        spec_yaml=spec_yaml,
        main_task=kfp_name(main_name),
        pipeline_name=pipeline_name,
    )
