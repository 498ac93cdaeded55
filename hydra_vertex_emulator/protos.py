"""A create request parsed as Vertex parses it, strictly: the body as the aiplatform_v1
PipelineJob message, its pipelineSpec (a Struct there) as kfp's PipelineSpec and the spec's
deploymentSpec (a Struct in turn) as PipelineDeploymentConfig, unknown fields refused
(kfp.pipeline_spec.pipeline_spec_pb2, the IR that Vertex AI Pipelines runs). A field of the wrong
type anywhere, or one these messages do not have, is a 400 before anything is created.

These checks come after the emulator's own (validate.py, spec_shape.py), whose messages name
what the emulator reads; they catch the rest.
"""

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

from hydra_vertex_pipelines.compiling.kfp_import import import_kfp
from hydra_vertex_pipelines.vertex_api import PipelineJob

from .errors import invalid_argument

# kfp without its KFP-server client (kubernetes; 0.3 s of the emulator's start), as the launcher
# imports it; pipeline_spec_pb2 needs only the package
import_kfp()
from kfp.pipeline_spec.pipeline_spec_pb2 import (  # noqa: E402
    PipelineDeploymentConfig,
    PipelineSpec,
)


def _parse(data: Any, message: Message, what: str) -> None:
    try:
        json_format.ParseDict(data, message, ignore_unknown_fields=False)
    except (json_format.ParseError, TypeError, ValueError, AttributeError) as e:
        raise invalid_argument(f"Invalid JSON payload received: {what}: {e}") from e


def check_pipeline_job(body: Mapping[str, Any]) -> None:
    """The request body is a PipelineJob (proto3 JSON: camelCase or snake_case names)."""
    _parse(body, PipelineJob.pb(PipelineJob()), "pipeline_job")


def check_pipeline_spec(spec: Mapping[str, Any]) -> None:
    """The spec is a PipelineSpec, its deploymentSpec a PipelineDeploymentConfig."""
    _parse(spec, PipelineSpec(), "pipeline_job.pipeline_spec is not a PipelineSpec")
    deployment = spec.get("deploymentSpec", {})
    what = "pipeline_job.pipeline_spec.deploymentSpec is not a PipelineDeploymentConfig"
    _parse(deployment, PipelineDeploymentConfig(), what)
