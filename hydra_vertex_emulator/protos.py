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

from google.cloud.aiplatform_v1.types import PipelineJob
from google.protobuf import json_format
from google.protobuf.message import Message
from kfp.pipeline_spec.pipeline_spec_pb2 import PipelineDeploymentConfig, PipelineSpec

from .errors import invalid_argument


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
