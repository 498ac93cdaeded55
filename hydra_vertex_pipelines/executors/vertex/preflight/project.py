"""The project reachable, with Vertex AI enabled and the submitter allowed to use it: one cheap
call, a List of at most one pipeline job (name only) in the sweep's region."""

from google.api_core import exceptions
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.protobuf.field_mask_pb2 import FieldMask

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from ....vertex_api import ListPipelineJobsRequest, PipelineServiceClient
from ..retry import describe, is_retryable
from .credentials import LOGIN
from .findings import REQUEST_TIMEOUT_S, Finding, ok, problem, warning

_L = "hydra.launcher"


def _service_disabled(error: exceptions.GoogleAPICallError) -> bool:
    """Google answers a call to a disabled API 403 with the reason SERVICE_DISABLED."""
    reason = getattr(error, "reason", None)
    text = str(error)
    return reason == "SERVICE_DISABLED" or "SERVICE_DISABLED" in text or "is disabled" in text


def _refusal(e: exceptions.GoogleAPICallError, conf: VertexPipelineLauncherConf, who: str) -> str:
    project, location = conf.project, conf.location
    error = f"{e.code} {type(e).__name__}: {e.message}"
    if isinstance(e, exceptions.Forbidden) and _service_disabled(e):
        return (
            f"the Vertex AI API is not enabled in project {project}: run `gcloud services enable "
            f"aiplatform.googleapis.com --project={project}` (and wait a minute). ({error})"
        )
    if isinstance(e, exceptions.Forbidden):
        return (
            f"{who} may not use Vertex AI Pipelines in project {project} ({error}): check "
            f"{_L}.project={project}, or have {who} granted roles/aiplatform.user there."
        )
    if isinstance(e, exceptions.Unauthorized):
        return f"Vertex AI did not accept {who} ({error}): run `{LOGIN}`."
    if isinstance(e, exceptions.NotFound):
        return (
            f"Vertex AI does not know projects/{project}/locations/{location} ({error}): set "
            f"{_L}.project to your project's id and {_L}.location to a Vertex AI region, "
            f"e.g. {_L}.location=us-central1."
        )
    return (
        f"Vertex AI refused to list the pipeline jobs of projects/{project}/locations/{location} "
        f"({error}): check {_L}.project and {_L}.location."
    )


def check_project(
    conf: VertexPipelineLauncherConf, credentials: Credentials | None, who: str
) -> list[Finding]:
    """`credentials`: None for a plain-http endpoint (an emulator), which gets none."""
    endpoint = conf.api_endpoint or f"{conf.location}-aiplatform.googleapis.com"
    anonymous = AnonymousCredentials()  # type: ignore[no-untyped-call]
    client = PipelineServiceClient(
        transport="rest",
        credentials=credentials or anonymous,
        client_options=ClientOptions(api_endpoint=endpoint),
    )
    request = ListPipelineJobsRequest(
        parent=f"projects/{conf.project}/locations/{conf.location}",
        page_size=1,
        read_mask=FieldMask(paths=["name"]),
    )
    try:
        client.list_pipeline_jobs(request=request, retry=None, timeout=REQUEST_TIMEOUT_S)
    except Exception as e:  # every failure is a finding, none a crash
        if is_retryable(e):
            text = f"Vertex AI at {endpoint} did not answer ({describe(e)}): project not checked"
            return [warning("project", text)]
        if isinstance(e, exceptions.GoogleAPICallError):
            return [problem("project", _refusal(e, conf, who))]
        return [problem("project", f"Vertex AI at {endpoint} cannot be called: {e}")]
    finally:
        client.transport.close()  # type: ignore[no-untyped-call]
    return [ok("project", f"project {conf.project} ({conf.location}) answers")]
