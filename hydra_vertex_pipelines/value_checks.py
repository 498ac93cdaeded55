"""Checks of single launcher values against what Cloud Storage, Vertex AI and kfp accept: the
pipeline root, project and location, the pipeline name's length, labels that would merge,
machine resources and output names. Each problem names the key and the fix."""

import keyword
import re
from collections.abc import Iterator

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ComponentConf,
    ResourcesConf,
    VertexPipelineLauncherConf,
)

from .choices import Mode
from .compiling.graph import kfp_name
from .executors.vertex.labels import sanitize_label
from .vertex_facts import (
    ACCELERATOR_TYPES,
    GS,
    LOCATION,
    MAX_PIPELINE_NAME_LENGTH,
    PROJECT_ID,
    PROJECT_ID_LENGTHS,
    bucket_name_problem,
    object_path_problem,
    split_gs_uri,
)

_L = "hydra.launcher"
# kfp makes each output a Python parameter of the component's function
_OUTPUT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# zero as a CPU quantity ("0", "0.0", "0m") or a memory quantity ("0", "0G", "0Mi")
_ZERO_CPU = re.compile(r"^(0+(\.0*)?|\.0+)m?$")
_ZERO_MEMORY = re.compile(r"^0+[A-Za-z]*$")


def pipeline_root_problems(root: str | None) -> Iterator[str]:
    """gs://<bucket>/<path>: a valid bucket, a path without `..`, `.` or empty parts."""
    if root is None or not root.startswith(GS):
        return  # vertex mode requires a gs:// root (validation.py); others may leave it out
    bucket, _ = split_gs_uri(root)
    at = f"{_L}.pipeline_root={root!r}"
    if not bucket:
        yield f"{at} names no bucket: write gs://<bucket>/<path>, e.g. gs://my-bucket/pipelines."
        return
    problem = bucket_name_problem(bucket)
    if problem:
        yield f"{at}: {problem} (https://cloud.google.com/storage/docs/buckets#naming)."
    problem = object_path_problem(root[len(GS) + len(bucket) + 1 :])
    if problem:
        yield f"{at}: {problem}; write a plain path such as gs://my-bucket/pipelines."


def _project_location(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    project, location = conf.project, conf.location
    shortest, longest = PROJECT_ID_LENGTHS
    if project and not PROJECT_ID.match(project):
        yield (
            f"{_L}.project={project!r} is not a project id: lowercase letters, digits and "
            "hyphens, starting with a letter (or the project number)."
        )
    elif (
        project
        and not project.isdigit()
        and not conf.api_endpoint  # an emulator takes any project id
        and not shortest <= len(project.rpartition(":")[2]) <= longest
    ):
        yield (
            f"{_L}.project={project!r}: a project id has {shortest} to {longest} "
            "characters; use the id `gcloud projects list` shows."
        )
    if location and not LOCATION.match(location):
        yield f"{_L}.location={location!r} is not a region: write e.g. us-central1."


def _labels(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    """Labels are lowercased and cleaned: two keys that become one would merge silently."""
    seen: dict[str, str] = {}
    for key in conf.labels:
        clean = sanitize_label(key)
        if clean in seen:
            yield (
                f"{_L}.labels.{seen[clean]} and {_L}.labels.{key} are the same label "
                f"{clean!r} on Vertex AI (lowercase letters, digits, _ and -): keep one."
            )
        seen.setdefault(clean, key)


def resource_problems(key: str, res: ResourcesConf) -> Iterator[str]:
    """Beyond the quantities' syntax (validation.py): zero, and accelerators Vertex has."""
    if res.cpu is not None and _ZERO_CPU.match(res.cpu):
        yield f'{key}.cpu={res.cpu!r}: a task needs more than 0 CPUs; write e.g. "1" or "500m".'
    if res.memory is not None and _ZERO_MEMORY.match(res.memory):
        yield f'{key}.memory={res.memory!r}: a task needs more than 0 memory; write e.g. "4G".'
    if (
        res.accelerator_type is not None
        and res.machine_type is None  # a custom job's are checked with its machine type
        and res.accelerator_type not in ACCELERATOR_TYPES
    ):
        yield (
            f"{key}.accelerator_type={res.accelerator_type!r} is not a Vertex AI accelerator: "
            f"use one of {', '.join(ACCELERATOR_TYPES)}."
        )


def output_name_problems(key: str, comp: ComponentConf) -> Iterator[str]:
    for output in comp.outputs:
        if not _OUTPUT_NAME.match(output):
            yield (
                f"{key}.outputs.{output}: kfp makes an output name a Python parameter: start "
                "with a letter, then letters, digits or '_' (e.g. "
                f"{re.sub('[^A-Za-z0-9_]', '_', output).strip('_') or 'dataset'})."
            )
        elif keyword.iskeyword(output) or output == "self":
            yield (
                f"{key}.outputs.{output}: {output!r} is a Python keyword, which kfp cannot "
                f"take as a parameter name; rename it (e.g. {output}_out)."
            )


def launcher_value_problems(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    name = kfp_name(conf.pipeline_name)
    if len(name) > MAX_PIPELINE_NAME_LENGTH:
        yield (
            f"{_L}.pipeline_name has {len(name)} characters as a pipeline name; kfp and "
            f"Vertex AI take at most {MAX_PIPELINE_NAME_LENGTH}: shorten it."
        )
    yield from pipeline_root_problems(conf.pipeline_root)
    if conf.mode == Mode.vertex:
        yield from _project_location(conf)
    yield from _labels(conf)
    for comp_name, comp in conf.components.items():
        key = f"{_L}.components.{comp_name}"
        yield from resource_problems(f"{key}.resources", comp.resources)
        yield from output_name_problems(key, comp)
