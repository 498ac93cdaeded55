"""Checks of the launcher config, run before anything is compiled, written, run or submitted:
every problem is listed at once, each with its key and a fix that is an override."""

import math
from collections.abc import Iterator

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from .choices import LocalMain, Mode
from .compiling.graph import component_order, kfp_name
from .component_checks import KFP_NAME_RULE, component_problems, image_problems
from .errors import LauncherConfigError, config_problems
from .executors.vertex.labels import label_problem, room_for_user_labels
from .override_text import entry_override, removal
from .value_checks import launcher_value_problems
from .vertex_facts import MAX_LABEL_LENGTH

_L = "hydra.launcher"


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
    if conf.local.timeout_s is not None and not 0 < conf.local.timeout_s < math.inf:
        yield (
            f"{_L}.local.timeout_s={conf.local.timeout_s}: set a positive number or null, "
            f"e.g. {_L}.local.timeout_s=null."
        )


def _label_fix(key: str, value: str) -> str:
    if label_problem(key, "") is None:  # the key is fine: the value is too long
        return "++" + entry_override(f"{_L}.labels", key, str(value)[:MAX_LABEL_LENGTH])
    return removal(f"{_L}.labels", key)


def _labels(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    room = room_for_user_labels(bool(conf.experiment))
    if len(conf.labels) > room:
        extra = list(conf.labels)[room:]
        yield (
            f"{_L}.labels has {len(conf.labels)} labels; with the launcher's own a job may carry "
            f"{room} more: remove {len(extra)}, e.g. "
            f"{' '.join(removal(f'{_L}.labels', k) for k in extra)}."
        )
    for label_key, label_value in conf.labels.items():
        problem = label_problem(label_key, label_value)
        if problem:
            yield f"{_L}.labels.{label_key}: {problem} ({_label_fix(label_key, label_value)})"


def _durability(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    deadline = conf.outage_deadline_s
    if not math.isfinite(deadline) or deadline < 0:
        yield (
            f"{_L}.outage_deadline_s={deadline}: set a number of seconds, 0 or more, e.g. "
            f"{_L}.outage_deadline_s=600."
        )
    if conf.resume and conf.mode != Mode.vertex:
        yield (
            f"{_L}.resume=true adopts jobs submitted to Vertex AI: it needs mode=vertex "
            f"(mode={conf.mode.value} records no jobs to resume); drop it, {_L}.resume=false."
        )


def problems(conf: VertexPipelineLauncherConf) -> list[str]:
    found = []
    if not kfp_name(conf.pipeline_name):
        found.append(
            f"{_L}.pipeline_name={conf.pipeline_name!r} has no ASCII letter or digit "
            f"({KFP_NAME_RULE}); rename it, e.g. {_L}.pipeline_name=my-pipeline."
        )
    if conf.max_concurrent_submissions < 1:
        found.append(
            f"{_L}.max_concurrent_submissions={conf.max_concurrent_submissions}: set 1 or more, "
            f"e.g. {_L}.max_concurrent_submissions=16."
        )
    if not 0 < conf.poll_interval_s < math.inf:
        found.append(
            f"{_L}.poll_interval_s={conf.poll_interval_s}: set a positive number, "
            f"e.g. {_L}.poll_interval_s=30."
        )
    found += _durability(conf)
    found += _labels(conf)
    if conf.reserved_ip_ranges and not conf.network:
        found.append(
            f"{_L}.reserved_ip_ranges are ranges of a VPC network: set it, e.g. "
            f"{_L}.network=projects/NUMBER/global/networks/NAME."
        )
    found += component_problems(conf)
    found += image_problems(conf)
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
