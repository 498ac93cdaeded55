"""Checks of the pipeline's components (validation.py lists what these find with the rest): the
graph (main, inputs, after, outputs), resources, retries, env, secrets, command and image. The
default pipeline's one component is checked as written at hydra.launcher.app."""

import re
from collections.abc import Iterator

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ComponentConf,
    ResourcesConf,
    VertexPipelineLauncherConf,
)

from .choices import LocalMain, Mode
from .compiling.graph import kfp_name
from .compiling.template import RESERVED_NAMES
from .default_pipeline import APP, APP_KEY, default_component, unused_app_settings
from .machine_checks import custom_job_problems
from .override_text import entry_override, override_value, removal
from .secret_checks import secret_problems
from .value_checks import output_name_problems, resource_problems
from .vertex_facts import MAX_TASK_RETRIES

_CPU = re.compile(r"^([0-9]*[.])?[0-9]+m?$")
_MEMORY = re.compile(r"^[0-9]+(E|Ei|P|Pi|T|Ti|G|Gi|M|Mi|K|Ki)?$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# kfp keeps a-z, 0-9 and '-' of a name (graph.kfp_name)
KFP_NAME_RULE = "kfp keeps only ASCII letters, digits and '-' of a name"
_C = "hydra.launcher.components"
# an image URI in the form Artifact Registry gives them, for messages
IMAGE_EXAMPLE = "us-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE:TAG"
IMAGE_ENV = "VERTEX_PIPELINE_IMAGE"


def _resources(key: str, res: ResourcesConf) -> Iterator[str]:
    if res.cpu is not None and not _CPU.match(res.cpu):
        yield (
            f"{key}.cpu={res.cpu!r} is not a CPU quantity: write a number of CPUs, e.g. "
            f"{key}.cpu=8 (or 0.5, 500m)."
        )
    if res.memory is not None and not _MEMORY.match(res.memory):
        yield (
            f"{key}.memory={res.memory!r} is not a memory quantity: write a whole number with an "
            f"optional K, M, G, T (or Ki, Mi, Gi, Ti) suffix, e.g. {key}.memory=32G."
        )
    if res.accelerator_count is not None and res.accelerator_type is None:
        yield (
            f"{key}.accelerator_count={res.accelerator_count} has no accelerator_type: "
            f"set one, e.g. {key}.accelerator_type=NVIDIA_TESLA_T4, or drop the count, "
            f"{key}.accelerator_count=null."
        )
    count = res.accelerator_count
    if res.accelerator_type is not None and count is not None and count < 1:
        yield (
            f"{key}.accelerator_count={res.accelerator_count} with accelerator_type="
            f"{res.accelerator_type}: set a count of 1 or more, e.g. {key}.accelerator_count=1, "
            f"or drop the accelerator, {key}.accelerator_type=null."
        )
    yield from resource_problems(key, res)


def _input_problem(
    key: str, name: str, input_key: str, source: str, conf: VertexPipelineLauncherConf
) -> str | None:
    producer, _, output = source.partition(".")
    if producer in conf.components and producer != name:
        if output in conf.components[producer].outputs:
            return None
        problem = f": component {producer} has no output {output!r}"
    else:
        problem = " names no other component"
    others = {other: c for other, c in conf.components.items() if other != name}
    readable = [f"{other}.{out}" for other, c in others.items() for out in c.outputs]
    if not readable:
        return (
            f"{key}.inputs.{input_key}={source!r}{problem}, and no other component has outputs: "
            f"add one, {_C}.<component>.outputs.<name>=<config key it writes>."
        )
    return (
        f"{key}.inputs.{input_key}={source!r}{problem}: read one of "
        f"{', '.join(readable)}, e.g. {entry_override(f'{key}.inputs', input_key, readable[0])}."
    )


def _graph(
    key: str, name: str, comp: ComponentConf, conf: VertexPipelineLauncherConf
) -> Iterator[str]:
    """Its inputs, after and outputs."""
    for input_key, source in comp.inputs.items():
        problem = _input_problem(key, name, input_key, source, conf)
        if problem:
            yield problem
    known = [other for other in comp.after if other in conf.components and other != name]
    for other in comp.after:
        if other not in known:
            yield (
                f"{key}.after names {other!r}, which is no other component: remove it, "
                f"{key}.after={override_value(known)}."
            )
    bound: dict[str, str] = {k: f"inputs.{k}" for k in comp.inputs}
    for output, output_key in comp.outputs.items():
        if output in RESERVED_NAMES:
            yield (
                f"{key}.outputs.{output}: {output!r} is reserved by the launcher; rename it, "
                f"{removal(f'{key}.outputs', output)} "
                f"{entry_override(f'{key}.outputs', f'{output}_out', output_key)}."
            )
        if output_key in bound:
            yield (
                f"{key}.outputs.{output} binds {output_key!r}, already bound by "
                f"{bound[output_key]}: bind each key once (remove it, "
                f"{removal(f'{key}.outputs', output)}, or bind another key)."
            )
        bound[output_key] = f"outputs.{output}"
    yield from output_name_problems(key, comp)


def _component(
    name: str, comp: ComponentConf, conf: VertexPipelineLauncherConf, key: str | None = None
) -> Iterator[str]:
    """The problems of one component; `key` is where its settings are written when not under
    hydra.launcher.components (the default pipeline's: hydra.launcher.app)."""
    configured = key is None
    key = key or f"{_C}.{name}"
    if not kfp_name(name):
        yield (
            f"{key}: the component name has no ASCII letter or digit ({KFP_NAME_RULE}); rename it."
        )
    yield from _graph(key, name, comp, conf)
    yield from _resources(f"{key}.resources", comp.resources)
    yield from custom_job_problems(f"{key}.resources", comp.resources, conf)
    if not 0 <= comp.retries <= MAX_TASK_RETRIES:
        yield (
            f"{key}.retries={comp.retries}: set 0 or more, at most {MAX_TASK_RETRIES}, e.g. "
            f"{key}.retries={0 if comp.retries < 0 else MAX_TASK_RETRIES}."
        )
    for env_name in comp.env:
        if not _ENV_NAME.match(env_name):
            yield (
                f"{key}.env.{env_name}: not a variable name; use [A-Za-z_][A-Za-z0-9_]* "
                f"({removal(f'{key}.env', env_name)})."
            )
    yield from secret_problems(key, comp)
    inline = comp.main and conf.local.main == LocalMain.inline
    if configured and not comp.image and not comp.command and not inline:
        yield (
            f"{key} sets neither command nor image, so it would run nothing (an override that "
            f"misspells a component's name makes a new one): remove it, ~{key}, or set its "
            f"command, e.g. {key}.command=[python,-m,my_app]."
        )
    elif conf.mode == Mode.local and not comp.command and not inline:
        yield (
            f"{key}.command is required in local mode (no image entrypoint runs here): "
            f"set it, e.g. {key}.command=[python,-m,my_app]."
        )


def _main_problem(conf: VertexPipelineLauncherConf) -> str | None:
    mains = [n for n, c in conf.components.items() if c.main]
    if len(mains) == 1:
        return None
    # the launched app is likely the last step: a component no other one depends on
    needed = {dep for c in conf.components.values() for dep in [*c.after, *c.inputs.values()]}
    last = [n for n in conf.components if not any(d.split(".")[0] == n for d in needed)]
    if mains:
        keep = ([m for m in mains if m in last] or mains)[-1]
        fix = " ".join(f"{_C}.{m}.main=false" for m in mains if m != keep)
    else:
        fix = f"{_C}.{(last or list(conf.components))[-1]}.main=true"
    return (
        f"{_C}: exactly one component must have main=true (found: "
        f"{', '.join(mains) if mains else 'none'}); it is the launched app, e.g. {fix}."
    )


def component_problems(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    """The problems of the configured components, or of the default pipeline's app."""
    if not conf.components:
        yield from _component(APP, default_component(conf), conf, key=APP_KEY)
        return
    yield from unused_app_settings(conf)
    main_problem = _main_problem(conf)
    if main_problem:
        yield main_problem
    seen: dict[str, str] = {}
    for name, comp in conf.components.items():
        if kfp_name(name) in seen:
            yield (
                f"{_C}.{name} and {seen[kfp_name(name)]} have the same pipeline "
                f"name {kfp_name(name)!r}; rename one."
            )
        seen[kfp_name(name)] = name
        yield from _component(name, comp, conf)


def image_problems(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    """Vertex mode runs every component in a container image."""
    if conf.mode != Mode.vertex or conf.image:
        return
    if not conf.components:
        yield (
            f"hydra.launcher.image is required in vertex mode: set it to the app's container "
            f"image, e.g. hydra.launcher.image={IMAGE_EXAMPLE}, or set the environment variable "
            f"{IMAGE_ENV}."
        )
    for name, comp in conf.components.items():
        if not comp.image:
            key = f"{_C}.{name}.image"
            yield (
                f"{key} is required in vertex mode: set it to the component's container image, "
                f"e.g. {key}={IMAGE_EXAMPLE} (or hydra.launcher.image for every component "
                "without one)."
            )
