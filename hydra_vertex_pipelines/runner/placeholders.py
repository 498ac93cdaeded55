"""The placeholders of a container's command and args, resolved as Vertex resolves them:
`{{$.inputs.parameters['p']}}` is the value, the others the path of an artifact or output file."""

import json
import re
from collections.abc import Mapping
from typing import Any

from .results import TaskResult
from .spec import SpecError, pipeline_parameters

_PLACEHOLDER = re.compile(
    r"\{\{\$\.(inputs|outputs)\.(parameters|artifacts)\['([^']*)'\](?:\.(path|uri|output_file))?\}\}"
)


def resolve(text: str, result: TaskResult) -> str:
    """`text` with every placeholder replaced from the task's resolved inputs and outputs."""

    def substitute(match: "re.Match[str]") -> str:
        direction, kind, name, _attr = match.groups()
        if direction == "inputs" and kind == "parameters":
            return result.input_parameters[name]
        if direction == "inputs":
            return str(result.input_artifacts[name])
        if kind == "parameters":
            return str(result.output_parameter_files[name])
        return str(result.output_artifacts[name])

    try:
        return _PLACEHOLDER.sub(substitute, text)
    except KeyError as e:
        raise SpecError(f"task {result.task}: placeholder names unknown input/output {e}") from e


def resolve_inputs(
    spec: Mapping[str, Any],
    runtime_parameters: Mapping[str, str],
    task: Mapping[str, Any],
    results: Mapping[str, TaskResult],
    result: TaskResult,
) -> None:
    """Fill the task's input parameters (from the runtime parameters, the spec's defaults,
    upstream outputs or constants) and input artifacts (upstream outputs) into `result`."""
    defaults = pipeline_parameters(spec)
    for name, source in task.get("inputs", {}).get("parameters", {}).items():
        if "componentInputParameter" in source:
            pipeline_param = source["componentInputParameter"]
            value = runtime_parameters.get(
                pipeline_param, defaults.get(pipeline_param, {}).get("defaultValue")
            )
        elif "taskOutputParameter" in source:
            out = source["taskOutputParameter"]
            value = results[out["producerTask"]].output_parameters[out["outputParameterKey"]]
        elif "runtimeValue" in source:
            value = source["runtimeValue"]["constant"]
        else:
            raise SpecError(f"task {result.task}: unsupported input parameter source {source}")
        result.input_parameters[name] = value if isinstance(value, str) else json.dumps(value)
    for name, source in task.get("inputs", {}).get("artifacts", {}).items():
        out = source.get("taskOutputArtifact")
        if out is None:
            raise SpecError(f"task {result.task}: unsupported input artifact source {source}")
        producer = results[out["producerTask"]]
        result.input_artifacts[name] = producer.output_artifacts[out["outputArtifactKey"]]
