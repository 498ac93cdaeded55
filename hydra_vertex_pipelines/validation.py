"""Checks of the launcher config, run before anything is compiled, written, run or submitted."""

import math
import re
from collections.abc import Iterator

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ComponentConf,
    ResourcesConf,
    VertexPipelineLauncherConf,
)

from .choices import LocalMain, Mode
from .compiling.graph import component_order, kfp_name
from .compiling.template import RESERVED_NAMES
from .errors import LauncherConfigError, config_problems
from .executors.vertex.labels import label_problem, room_for_user_labels
from .machine_checks import custom_job_problems
from .secret_checks import secret_problems
from .value_checks import launcher_value_problems
from .vertex_facts import MAX_TASK_RETRIES

_CPU = re.compile(r"^([0-9]*[.])?[0-9]+m?$")
_MEMORY = re.compile(r"^[0-9]+(E|Ei|P|Pi|T|Ti|G|Gi|M|Mi|K|Ki)?$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# kfp keeps a-z, 0-9 and '-' of a name (graph.kfp_name)
_KFP_NAME_RULE = "kfp keeps only ASCII letters, digits and '-' of a name"
_L = "hydra.launcher"


def _resources(key: str, res: ResourcesConf) -> Iterator[str]:
    if res.cpu is not None and not _CPU.match(res.cpu):
        yield f'{key}.cpu={res.cpu!r} is not a CPU quantity: write e.g. "8", "0.5" or "500m".'
    if res.memory is not None and not _MEMORY.match(res.memory):
        yield (
            f"{key}.memory={res.memory!r} is not a memory quantity: write a whole number with an "
            'optional K, M, G, T (or Ki, Mi, Gi, Ti) suffix, e.g. "32G".'
        )
    if res.accelerator_count is not None and res.accelerator_type is None:
        yield (
            f"{key}.accelerator_count={res.accelerator_count} has no accelerator_type: "
            f"set {key}.accelerator_type (e.g. NVIDIA_TESLA_T4) or drop the count."
        )
    count = res.accelerator_count
    if res.accelerator_type is not None and count is not None and count < 1:
        yield (
            f"{key}.accelerator_count={res.accelerator_count} with accelerator_type="
            f"{res.accelerator_type}: set a count of 1 or more, or drop the accelerator_type."
        )


def _component(name: str, comp: ComponentConf, conf: VertexPipelineLauncherConf) -> Iterator[str]:
    key = f"{_L}.components.{name}"
    if not kfp_name(name):
        yield (
            f"{key}: the component name has no ASCII letter or digit ({_KFP_NAME_RULE}); rename it."
        )
    for input_key, source in comp.inputs.items():
        producer, _, output = source.partition(".")
        if producer not in conf.components or producer == name:
            yield (
                f"{key}.inputs.{input_key}={source!r} names no other component: write "
                f"<component>.<output> with one of "
                f"{', '.join(c for c in conf.components if c != name)}."
            )
        elif output not in conf.components[producer].outputs:
            yield (
                f"{key}.inputs.{input_key}={source!r}: component {producer} has no output "
                f"{output!r}; add it to {_L}.components.{producer}.outputs."
            )
    for other in comp.after:
        if other not in conf.components or other == name:
            yield f"{key}.after names {other!r}, which is no other component: fix or remove it."
    bound: dict[str, str] = {k: f"inputs.{k}" for k in comp.inputs}
    for output, output_key in comp.outputs.items():
        if output in RESERVED_NAMES:
            yield f"{key}.outputs.{output}: {output!r} is reserved by the launcher; rename it."
        if output_key in bound:
            yield (
                f"{key}.outputs.{output} binds {output_key!r}, already bound by "
                f"{bound[output_key]}: bind each key once."
            )
        bound[output_key] = f"outputs.{output}"
    yield from _resources(f"{key}.resources", comp.resources)
    yield from custom_job_problems(f"{key}.resources", comp.resources, conf)
    if not 0 <= comp.retries <= MAX_TASK_RETRIES:
        yield f"{key}.retries={comp.retries}: set 0 or more, at most {MAX_TASK_RETRIES}."
    for env_name in comp.env:
        if not _ENV_NAME.match(env_name):
            yield f"{key}.env.{env_name}: not a variable name; use [A-Za-z_][A-Za-z0-9_]*."
    yield from secret_problems(key, comp)
    if conf.mode == Mode.vertex and not comp.image:
        yield f"{key}.image is required in vertex mode: set it to the container image URI."
    inline = comp.main and conf.local.main == LocalMain.inline
    if conf.mode == Mode.local and not comp.command and not inline:
        yield (
            f"{key}.command is required in local mode (no image entrypoint runs here): "
            "set it, e.g. [python, -m, my_app]."
        )


def _components(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    if not conf.components:
        yield (
            f"{_L}.components is empty: define the pipeline, e.g. "
            f"{_L}.components.app={{main:true,command:[python,-m,my_app]}}."
        )
        return
    mains = [n for n, c in conf.components.items() if c.main]
    if len(mains) != 1:
        found = ", ".join(mains) if mains else "none"
        yield (
            f"{_L}.components: exactly one component must have main=true (found: {found}); "
            "it is the launched app."
        )
    seen: dict[str, str] = {}
    for name, comp in conf.components.items():
        if kfp_name(name) in seen:
            yield (
                f"{_L}.components.{name} and {seen[kfp_name(name)]} have the same pipeline "
                f"name {kfp_name(name)!r}; rename one."
            )
        seen[kfp_name(name)] = name
        yield from _component(name, comp, conf)


def _vertex(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    if not conf.pipeline_root or not conf.pipeline_root.startswith("gs://"):
        yield (
            f"{_L}.pipeline_root={conf.pipeline_root!r}: vertex mode needs a Cloud Storage "
            "URI, e.g. gs://my-bucket/pipelines."
        )
    if not conf.project:
        yield (
            f"{_L}.project is not set: set {_L}.project=my-project or the environment "
            "variable GOOGLE_CLOUD_PROJECT."
        )
    if not conf.location:
        yield f"{_L}.location is empty: set it to a region, e.g. us-central1."


def _local(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    if conf.local.max_parallel_jobs < 1:
        yield f"{_L}.local.max_parallel_jobs={conf.local.max_parallel_jobs}: set 1 or more."
    if conf.local.main == LocalMain.inline and conf.local.max_parallel_jobs > 1:
        yield (
            f"{_L}.local.main=inline runs the task function in this process, one job at a time: "
            f"set {_L}.local.max_parallel_jobs=1 or {_L}.local.main=subprocess."
        )
    if conf.local.timeout_s is not None and not 0 < conf.local.timeout_s < math.inf:
        yield f"{_L}.local.timeout_s={conf.local.timeout_s}: set a positive number or null."


def problems(conf: VertexPipelineLauncherConf) -> list[str]:
    found = []
    if not kfp_name(conf.pipeline_name):
        found.append(
            f"{_L}.pipeline_name={conf.pipeline_name!r} has no ASCII letter or digit "
            f"({_KFP_NAME_RULE}); rename it."
        )
    if conf.max_concurrent_submissions < 1:
        found.append(f"{_L}.max_concurrent_submissions: set 1 or more.")
    if not 0 < conf.poll_interval_s < math.inf:
        found.append(f"{_L}.poll_interval_s={conf.poll_interval_s}: set a positive number.")
    room = room_for_user_labels(bool(conf.experiment))
    if len(conf.labels) > room:
        found.append(
            f"{_L}.labels has {len(conf.labels)} labels; with the launcher's own a job may carry "
            f"{room} more: remove {len(conf.labels) - room}."
        )
    for label_key, label_value in conf.labels.items():
        problem = label_problem(label_key, label_value)
        if problem:
            found.append(f"{_L}.labels.{label_key}: {problem}")
    if conf.reserved_ip_ranges and not conf.network:
        found.append(
            f"{_L}.reserved_ip_ranges are ranges of a VPC network: set {_L}.network "
            "(projects/NUMBER/global/networks/NAME)."
        )
    found += _components(conf)
    found += launcher_value_problems(conf)
    if conf.mode == Mode.vertex:
        found += _vertex(conf)
    if conf.mode == Mode.local:
        found += _local(conf)
    if not found:
        try:
            component_order(conf.components)
        except LauncherConfigError as e:
            found.append(str(e))
    return found


def validate(conf: VertexPipelineLauncherConf) -> None:
    """Raise one LauncherConfigError listing every problem of the config."""
    found = problems(conf)
    if found:
        raise config_problems(found)
