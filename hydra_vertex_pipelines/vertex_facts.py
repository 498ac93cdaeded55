"""What Vertex AI Pipelines fixes, written once for the launcher and the emulator: Cloud Storage
URIs and their FUSE mount, job states, failure policies, resource names, field-name casing and
the limits of ids, labels and display names."""

import re

GS = "gs://"
# Vertex AI mounts Cloud Storage into every container here (Cloud Storage FUSE)
GCS_MOUNT = "/gcs/"

# PipelineState names of a job that will not change any more
TERMINAL_JOB_STATES = frozenset(
    {"PIPELINE_STATE_SUCCEEDED", "PIPELINE_STATE_FAILED", "PIPELINE_STATE_CANCELLED"}
)
# runtimeConfig.failurePolicy names (Vertex's default, unspecified, is fail-slow)
FAIL_FAST = "PIPELINE_FAILURE_POLICY_FAIL_FAST"
FAIL_SLOW = "PIPELINE_FAILURE_POLICY_FAIL_SLOW"

# pipelineJobId: lowercase letters, digits and hyphens, starting with a letter
MAX_JOB_ID_LENGTH = 128
MAX_DISPLAY_NAME_LENGTH = 128
# labels: keys and values of at most 63 lowercase letters, digits, '_' and '-'; keys start with
# a letter; at most 64 a job, one of which Vertex adds itself
MAX_LABEL_LENGTH = 63
MAX_LABELS = 64
BILLING_LABEL = "vertex-ai-pipelines-run-billing-id"


def split_gs_uri(uri: str) -> tuple[str, str]:
    """gs://bucket/a/b -> ("bucket", "a/b")."""
    bucket, _, path = uri.removeprefix(GS).partition("/")
    return bucket, path.strip("/")


def mounted_path(uri: str) -> str:
    """The path of a gs:// URI inside a Vertex AI container: gs://b/p -> /gcs/b/p."""
    return GCS_MOUNT + uri.removeprefix(GS)


def job_id_of(name: str) -> str:
    """The job id of a resource name projects/{p}/locations/{l}/pipelineJobs/{id}."""
    return name.rsplit("/", 1)[-1]


def camel_case(name: str) -> str:
    """update_time -> updateTime (Google's JSON names; the APIs accept both)."""
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def snake_case(name: str) -> str:
    """updateTime -> update_time."""
    return re.sub(r"(?<=[a-z])([A-Z])", r"_\1", name).lower()


def console_url(project: str, location: str, job_id: str) -> str:
    """The run's page in the Google Cloud console."""
    return (
        f"https://console.cloud.google.com/vertex-ai/locations/{location}/pipelines/runs/"
        f"{job_id}?project={project}"
    )
