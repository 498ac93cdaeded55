"""Checks of single launcher values against what Cloud Storage, Vertex AI and kfp accept: the
pipeline root, project and location, the API endpoint, the pipeline name's length, labels that
would merge, machine resources and output names. Each problem names the key and a fix that is an
override."""

import difflib
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
from .override_text import entry_override, override_value, removal
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
_ROOT_EXAMPLE = "gs://my-bucket/pipelines"
# scheme://user[:password]@ at the start of a URL
_URL_USER = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@")


def _root_fix(bucket: str, path: str) -> str:
    """A pipeline root close to gs://<bucket>/<path> that Cloud Storage takes."""
    clean = re.sub(r"[^a-z0-9_.-]+", "-", bucket.lower()).strip("-_.")
    if bucket_name_problem(clean) is not None:
        clean = "my-bucket"
    parts = [part for part in path.split("/") if part not in ("", ".", "..")]
    return f"{GS}{clean}/{'/'.join(parts) or 'pipelines'}"


def pipeline_root_problems(root: str | None) -> Iterator[str]:
    """gs://<bucket>/<path>: a valid bucket, a path without `..`, `.` or empty parts."""
    if root is None or not root.startswith(GS):
        return  # vertex mode requires a gs:// root (validation.py); others may leave it out
    bucket, _ = split_gs_uri(root)
    at = f"{_L}.pipeline_root={root!r}"
    if not bucket:
        yield (
            f"{at} names no bucket: write gs://<bucket>/<path>, e.g. "
            f"{_L}.pipeline_root={_ROOT_EXAMPLE}."
        )
        return
    path = root[len(GS) + len(bucket) + 1 :]
    fix = f"{_L}.pipeline_root={_root_fix(bucket, path)}"
    problem = bucket_name_problem(bucket)
    if problem:
        yield (
            f"{at}: {problem} (https://cloud.google.com/storage/docs/buckets#naming); e.g. {fix}."
        )
    problem = object_path_problem(path)
    if problem:
        yield f"{at}: {problem}; write a plain path such as {fix}."


def _project_location(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    project, location = conf.project, conf.location
    shortest, longest = PROJECT_ID_LENGTHS
    if project and not PROJECT_ID.match(project):
        yield (
            f"{_L}.project={project!r} is not a project id: lowercase letters, digits and "
            "hyphens, starting with a letter (or the project number), e.g. "
            f"{_L}.project=my-project."
        )
    elif (
        project
        and not project.isdigit()
        and not conf.api_endpoint  # an emulator takes any project id
        and not shortest <= len(project.rpartition(":")[2]) <= longest
    ):
        yield (
            f"{_L}.project={project!r}: a project id has {shortest} to {longest} "
            f"characters; use the id `gcloud projects list` shows, e.g. {_L}.project=my-project."
        )
    if location and not LOCATION.match(location):
        yield f"{_L}.location={location!r} is not a region: write e.g. {_L}.location=us-central1."


def _api_endpoint(endpoint: str | None) -> Iterator[str]:
    """The endpoint is logged and recorded in the sweep's manifest: no password in it."""
    if endpoint and _URL_USER.search(endpoint):
        fix = _URL_USER.sub(r"\1", endpoint)
        yield (
            f"{_L}.api_endpoint: the URL holds a user name or password, which would be logged "
            "and written into <sweep dir>/vertex_jobs.jsonl; the launcher authenticates with "
            f"Application Default Credentials: leave them out, {_L}.api_endpoint="
            f"{override_value(fix)}."
        )


def _labels(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    """Labels are lowercased and cleaned: two keys that become one would merge silently."""
    seen: dict[str, str] = {}
    for key in conf.labels:
        clean = sanitize_label(key)
        if clean in seen:
            yield (
                f"{_L}.labels.{seen[clean]} and {_L}.labels.{key} are the same label "
                f"{clean!r} on Vertex AI (lowercase letters, digits, _ and -): keep one, "
                f"{removal(f'{_L}.labels', key)}."
            )
        seen.setdefault(clean, key)


def resource_problems(key: str, res: ResourcesConf) -> Iterator[str]:
    """Beyond the quantities' syntax (component_checks.py): zero, and accelerators Vertex has."""
    if res.cpu is not None and _ZERO_CPU.match(res.cpu):
        yield (
            f"{key}.cpu={res.cpu!r}: a task needs more than 0 CPUs; write e.g. {key}.cpu=1 "
            f"(or 500m)."
        )
    if res.memory is not None and _ZERO_MEMORY.match(res.memory):
        yield (
            f"{key}.memory={res.memory!r}: a task needs more than 0 memory; write e.g. "
            f"{key}.memory=4G."
        )
    if (
        res.accelerator_type is not None
        and res.machine_type is None  # a custom job's are checked with its machine type
        and res.accelerator_type not in ACCELERATOR_TYPES
    ):
        gpus = [a for a in ACCELERATOR_TYPES if a.startswith("NVIDIA_")]
        close = difflib.get_close_matches(res.accelerator_type, gpus, n=1) or ["NVIDIA_TESLA_T4"]
        yield (
            f"{key}.accelerator_type={res.accelerator_type!r} is not a Vertex AI accelerator: "
            f"use one of {', '.join(ACCELERATOR_TYPES)}, e.g. {key}.accelerator_type={close[0]}."
        )


def _renamed(key: str, output: str, new: str, output_key: str) -> str:
    """The overrides that rename an output."""
    at = f"{key}.outputs"
    return f"{removal(at, output)} {entry_override(at, new, output_key)}"


def output_name_problems(key: str, comp: ComponentConf) -> Iterator[str]:
    for output, output_key in comp.outputs.items():
        if not _OUTPUT_NAME.match(output):
            new = re.sub("[^A-Za-z0-9_]", "_", output).strip("_")
            new = new if _OUTPUT_NAME.match(new) else "dataset"
            yield (
                f"{key}.outputs.{output}: kfp makes an output name a Python parameter: start "
                f"with a letter, then letters, digits or '_' (e.g. {new}): rename it, "
                f"{_renamed(key, output, new, output_key)}."
            )
        elif keyword.iskeyword(output) or output == "self":
            yield (
                f"{key}.outputs.{output}: {output!r} is a Python keyword, which kfp cannot "
                f"take as a parameter name; rename it (e.g. {output}_out), "
                f"{_renamed(key, output, f'{output}_out', output_key)}."
            )


def launcher_value_problems(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    name = kfp_name(conf.pipeline_name)
    if len(name) > MAX_PIPELINE_NAME_LENGTH:
        shorter = name[:MAX_PIPELINE_NAME_LENGTH].rstrip("-")
        yield (
            f"{_L}.pipeline_name has {len(name)} characters as a pipeline name; kfp and "
            f"Vertex AI take at most {MAX_PIPELINE_NAME_LENGTH}: shorten it, e.g. "
            f"{_L}.pipeline_name={shorter}."
        )
    yield from pipeline_root_problems(conf.pipeline_root)
    yield from _api_endpoint(conf.api_endpoint)
    if conf.mode == Mode.vertex:
        yield from _project_location(conf)
    yield from _labels(conf)
