"""What both baselines do first: point the aiplatform SDK at the emulator, as the emulator's
`vertex_aiplatform` fixture does, with PipelineJob.submit()'s bucket check skipped (it only
retries offline; skipping it is in the baselines' favour)."""

from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform
from google.cloud.aiplatform.utils import gcs_utils


def _skip_bucket_check(**kwargs: object) -> object:
    """In place of PipelineJob.submit()'s bucket check: the pipeline root as it is."""
    return kwargs.get("output_artifacts_gcs_dir")


def connect(endpoint: str) -> None:
    """aiplatform.init for the emulator's test project at `endpoint`."""
    gcs_utils.create_gcs_bucket_for_pipeline_artifacts_if_it_does_not_exist = _skip_bucket_check  # type: ignore[assignment]
    aiplatform.init(
        project="test-project",
        location="us-central1",
        api_endpoint=endpoint,
        api_transport="rest",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
    )
