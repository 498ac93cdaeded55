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


# accelerators of a Vertex AI machine spec: aiplatform v1 AcceleratorType without its
# ACCELERATOR_TYPE_UNSPECIFIED (google-cloud-aiplatform 2.7;
# https://cloud.google.com/vertex-ai/docs/reference/rest/v1/MachineSpec#acceleratortype)
ACCELERATOR_TYPES = (
    "NVIDIA_TESLA_K80",
    "NVIDIA_TESLA_P100",
    "NVIDIA_TESLA_V100",
    "NVIDIA_TESLA_P4",
    "NVIDIA_TESLA_T4",
    "NVIDIA_TESLA_A100",
    "NVIDIA_A100_80GB",
    "NVIDIA_L4",
    "NVIDIA_H100_80GB",
    "NVIDIA_H100_MEGA_80GB",
    "NVIDIA_H200_141GB",
    "NVIDIA_B200",
    "NVIDIA_GB200",
    "NVIDIA_RTX_PRO_6000",
    "TPU_V2",
    "TPU_V3",
    "TPU_V4_POD",
    "TPU_V5_LITEPOD",
)
# Vertex documents no maximum for a task's retries (PipelineTaskSpec.RetryPolicy.max_retry_count
# is an int32, kfp's pipeline_spec.proto; retries happen within backoff_max_duration, 1 h at most,
# https://cloud.google.com/vertex-ai/docs/pipelines/configure-retries): this is the launcher's cap,
# far above any useful count, that catches typos such as retries=100000
MAX_TASK_RETRIES = 100
# kfp.dsl.utils.validate_pipeline_name: ^[a-z0-9][a-z0-9-]{0,127}$
MAX_PIPELINE_NAME_LENGTH = 128
# https://cloud.google.com/resource-manager/docs/creating-managing-projects: a project id has 6 to
# 30 lowercase letters, digits or hyphens, starts with a letter, does not end with a hyphen
# (legacy ids are domain-scoped: example.com:my-project); a project number is digits
PROJECT_ID = re.compile(r"^([a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]*[a-z0-9]$|^[0-9]+$")
PROJECT_ID_LENGTHS = (6, 30)
# regions (us-central1, europe-west4, ...): lowercase letters, digits and hyphens
LOCATION = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9_.-]*[a-z0-9]$")
_DOTTED_DECIMAL = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$")


def bucket_name_problem(name: str) -> str | None:
    """Why Cloud Storage refuses a bucket name, or None
    (https://cloud.google.com/storage/docs/buckets#naming)."""
    parts = name.split(".")
    if len(name) < 3 or "" in parts:
        return "a bucket name has at least 3 characters and no empty part between dots"
    if not _BUCKET.match(name):
        return (
            "a bucket name has lowercase letters, digits, '-', '_' and '.', and starts and ends "
            "with a letter or digit"
        )
    if len(name) > (222 if len(parts) > 1 else 63) or any(len(p) > 63 for p in parts):
        return "a bucket name has at most 63 characters (222 with dots, 63 between dots)"
    if _DOTTED_DECIMAL.match(name):
        return "a bucket name cannot be an IP address"
    if name.startswith("goog") or "google" in name:
        return "a bucket name cannot start with 'goog' or contain 'google'"
    return None


def object_path_problem(path: str) -> str | None:
    """Why a path under a bucket (gs://bucket/<path>) is refused, or None: object names have no
    CR or LF and no `.` or `..` part (https://cloud.google.com/storage/docs/objects#naming); an
    empty part (`a//b`) is refused too, as FUSE mounts (/gcs/) cannot show it."""
    if "\r" in path or "\n" in path:
        return "object names cannot contain a carriage return or line feed"
    parts = path.removesuffix("/").split("/") if path else []
    if any(part in ("", ".", "..") for part in parts):
        return "the path has an empty, '.' or '..' part"
    return None
