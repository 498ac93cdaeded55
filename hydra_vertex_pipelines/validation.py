"""Checks of the launcher config, run before anything is compiled, written, run or submitted."""

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
from .default_pipeline import APP, APP_KEY, default_component, unused_app_settings
from .errors import LauncherConfigError
from .executors.vertex.labels import label_problem, room_for_user_labels
from .machine_checks import custom_job_problems
from .typed_components import entry_override, override_value, removal
from .vertex_facts import MAX_LABEL_LENGTH

_CPU = re.compile(r"^([0-9]*[.])?[0-9]+m?$")
_MEMORY = re.compile(r"^[0-9]+(E|Ei|P|Pi|T|Ti|G|Gi|M|Mi|K|Ki)?$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# env values are written into the compiled spec in clear text
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|PRIVATE_KEY", re.I)
_L = "hydra.launcher"
# an image URI in the form Artifact Registry gives them, for messages
IMAGE_EXAMPLE = "us-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE:TAG"
IMAGE_ENV = "VERTEX_PIPELINE_IMAGE"
INVALID_CONFIG = "Invalid launcher config; nothing was compiled, run or submitted:\n  - "


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
            f"add one, {_L}.components.<component>.outputs.<name>=<config key it writes>."
        )
    return (
        f"{key}.inputs.{input_key}={source!r}{problem}: read one of "
        f"{', '.join(readable)}, e.g. {entry_override(f'{key}.inputs', input_key, readable[0])}."
    )


def _component(
    name: str, comp: ComponentConf, conf: VertexPipelineLauncherConf, key: str | None = None
) -> Iterator[str]:
    """The problems of one component; `key` is where its settings are written when not under
    hydra.launcher.components (the default pipeline's: hydra.launcher.app)."""
    configured = key is None
    key = key or f"{_L}.components.{name}"
    if not kfp_name(name):
        yield f"{key}: the component name has no letter or digit; rename it."
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
    yield from _resources(f"{key}.resources", comp.resources)
    yield from custom_job_problems(f"{key}.resources", comp.resources, conf)
    if comp.retries < 0:
        yield f"{key}.retries={comp.retries}: set 0 or more, e.g. {key}.retries=0."
    for env_name in comp.env:
        if not _ENV_NAME.match(env_name):
            yield (
                f"{key}.env.{env_name}: not a variable name; use [A-Za-z_][A-Za-z0-9_]* "
                f"({removal(f'{key}.env', env_name)})."
            )
        elif _SECRET_NAME.search(env_name):
            yield (
                f"{key}.env.{env_name} looks like a secret, and env values are written into the "
                "pipeline spec in clear text: read it at run time from Secret Manager instead "
                f"({removal(f'{key}.env', env_name)})."
            )
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


def _images(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    """Vertex mode runs every component in a container image."""
    if conf.mode != Mode.vertex or conf.image:
        return
    if not conf.components:
        yield (
            f"{_L}.image is required in vertex mode: set it to the app's container image, "
            f"e.g. {_L}.image={IMAGE_EXAMPLE}, or set the environment variable {IMAGE_ENV}."
        )
    for name, comp in conf.components.items():
        if not comp.image:
            key = f"{_L}.components.{name}.image"
            yield (
                f"{key} is required in vertex mode: set it to the component's container image, "
                f"e.g. {key}={IMAGE_EXAMPLE} (or {_L}.image for every component without one)."
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
        fix = " ".join(f"{_L}.components.{m}.main=false" for m in mains if m != keep)
    else:
        fix = f"{_L}.components.{(last or list(conf.components))[-1]}.main=true"
    return (
        f"{_L}.components: exactly one component must have main=true (found: "
        f"{', '.join(mains) if mains else 'none'}); it is the launched app, e.g. {fix}."
    )


def _components(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    if not conf.components:
        # the default pipeline: hydra.launcher.app as its main component
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
                f"{_L}.components.{name} and {seen[kfp_name(name)]} have the same pipeline "
                f"name {kfp_name(name)!r}; rename one."
            )
        seen[kfp_name(name)] = name
        yield from _component(name, comp, conf)


def _vertex(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    if not conf.pipeline_root or not conf.pipeline_root.startswith("gs://"):
        yield (
            f"{_L}.pipeline_root={conf.pipeline_root!r}: vertex mode needs a Cloud Storage "
            f"URI, e.g. {_L}.pipeline_root=gs://my-bucket/pipelines."
        )
    if not conf.project:
        yield (
            f"{_L}.project is not set: set {_L}.project=my-project or the environment "
            "variable GOOGLE_CLOUD_PROJECT."
        )
    if not conf.location:
        yield f"{_L}.location is empty: set it to a region, e.g. {_L}.location=us-central1."


def _local(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    if conf.local.max_parallel_jobs < 1:
        yield (
            f"{_L}.local.max_parallel_jobs={conf.local.max_parallel_jobs}: set 1 or more, "
            f"e.g. {_L}.local.max_parallel_jobs=1."
        )
    if conf.local.main == LocalMain.inline and conf.local.max_parallel_jobs > 1:
        yield (
            f"{_L}.local.main=inline runs the task function in this process, one job at a time: "
            f"set {_L}.local.max_parallel_jobs=1 or {_L}.local.main=subprocess."
        )
    if conf.local.timeout_s is not None and conf.local.timeout_s <= 0:
        yield (
            f"{_L}.local.timeout_s={conf.local.timeout_s}: set a positive number or null, "
            f"e.g. {_L}.local.timeout_s=null."
        )


def _label_fix(key: str, value: str) -> str:
    if label_problem(key, "") is None:  # the key is fine: the value is too long
        return "++" + entry_override(f"{_L}.labels", key, str(value)[:MAX_LABEL_LENGTH])
    return removal(f"{_L}.labels", key)


def problems(conf: VertexPipelineLauncherConf) -> list[str]:
    found = []
    if not kfp_name(conf.pipeline_name):
        found.append(
            f"{_L}.pipeline_name={conf.pipeline_name!r} has no letter or digit; rename it, "
            f"e.g. {_L}.pipeline_name=my-pipeline."
        )
    if conf.max_concurrent_submissions < 1:
        found.append(
            f"{_L}.max_concurrent_submissions={conf.max_concurrent_submissions}: set 1 or more, "
            f"e.g. {_L}.max_concurrent_submissions=16."
        )
    if conf.poll_interval_s <= 0:
        found.append(
            f"{_L}.poll_interval_s={conf.poll_interval_s}: set a positive number, "
            f"e.g. {_L}.poll_interval_s=30."
        )
    room = room_for_user_labels(bool(conf.experiment))
    if len(conf.labels) > room:
        extra = list(conf.labels)[room:]
        found.append(
            f"{_L}.labels has {len(conf.labels)} labels; with the launcher's own a job may carry "
            f"{room} more: remove {len(extra)}, e.g. "
            f"{' '.join(removal(f'{_L}.labels', k) for k in extra)}."
        )
    for label_key, label_value in conf.labels.items():
        problem = label_problem(label_key, label_value)
        if problem:
            found.append(
                f"{_L}.labels.{label_key}: {problem} ({_label_fix(label_key, label_value)})"
            )
    if conf.reserved_ip_ranges and not conf.network:
        found.append(
            f"{_L}.reserved_ip_ranges are ranges of a VPC network: set it, e.g. "
            f"{_L}.network=projects/NUMBER/global/networks/NAME."
        )
    found += _components(conf)
    found += _images(conf)
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
        raise LauncherConfigError(INVALID_CONFIG + "\n  - ".join(found))
