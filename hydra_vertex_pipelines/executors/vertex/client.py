"""VertexClient: the PipelineService calls the launcher makes, each under its RetryPolicy.

It talks to the GAPIC PipelineServiceClient over REST (the same transport for Vertex AI and for a
plain-http emulator); the GAPIC's own retry is switched off per call so that the policy is ours.
"""

import google.auth.exceptions
from google.api_core import exceptions
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.protobuf.field_mask_pb2 import FieldMask
from hydra.errors import CompactHydraException
from requests.adapters import HTTPAdapter

from ...vertex_api import (
    ListPipelineJobsRequest,
    PipelineJob,
    PipelineServiceClient,
    PipelineServiceRestTransport,
)
from ...vertex_facts import job_id_of
from .retry import RetryPolicy, call_with_retries

# seconds one HTTP request may take before it counts as a (retryable) connection error
REQUEST_TIMEOUT_S = 60.0
# AIP-158: a larger page size than the service allows is lowered to its maximum, not refused
LIST_PAGE_SIZE = 1000
# what a status poll reads of each job (List answers are otherwise full PipelineJobs): the
# labels say which job of the sweep it is and what it runs (resume checks the digest)
LIST_READ_MASK = ("name", "state", "labels")


class VertexCredentialsError(CompactHydraException):
    """Application Default Credentials are missing or unreadable (Hydra prints the message
    alone)."""


def pipeline_service(
    location: str, api_endpoint: str | None, connections: int
) -> PipelineServiceClient:
    """The GAPIC client: ADC credentials for Google's endpoints, none for a plain-http endpoint
    (an emulator on the loopback interface); `connections` kept open for concurrent calls."""
    endpoint = api_endpoint or f"{location}-aiplatform.googleapis.com"
    anonymous = endpoint.startswith("http://")
    credentials = AnonymousCredentials() if anonymous else None  # type: ignore[no-untyped-call]
    try:
        client = PipelineServiceClient(
            transport="rest",
            credentials=credentials,
            client_options=ClientOptions(api_endpoint=endpoint),
        )
    except google.auth.exceptions.DefaultCredentialsError as e:
        raise VertexCredentialsError(
            f"No Google Cloud credentials to call {endpoint}, so nothing was submitted: run "
            "`gcloud auth application-default login` (or point GOOGLE_APPLICATION_CREDENTIALS at "
            f"a credentials file). {e}"
        ) from e
    # The REST transport's requests session keeps 10 connections per host: more threads would
    # open and drop a connection per call (and log a warning each time). Not with mutual TLS,
    # whose adapter the session sets up itself.
    transport = client.transport
    assert isinstance(transport, PipelineServiceRestTransport)
    if not transport._session.is_mtls:
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=connections)
        transport._session.mount("http://", adapter)
        transport._session.mount("https://", adapter)
    return client


def rpc_status(error: exceptions.GoogleAPICallError) -> str:
    """The google.rpc status of an error answered over REST (e.g. ALREADY_EXISTS): the HTTP code
    alone is ambiguous (409 is also ABORTED, 400 also INVALID_ARGUMENT)."""
    try:
        return str(error.response.json()["error"]["status"])
    except (AttributeError, ValueError, KeyError, TypeError):
        return ""


class VertexClient:
    def __init__(
        self, service: PipelineServiceClient, project: str, location: str, policy: RetryPolicy
    ) -> None:
        self.service = service
        self.project = project
        self.location = location
        self.parent = f"projects/{project}/locations/{location}"
        self.policy = policy

    def with_policy(self, policy: RetryPolicy) -> "VertexClient":
        """The same connection under another retry policy."""
        return VertexClient(self.service, self.project, self.location, policy)

    def name_of(self, job_id: str) -> str:
        return f"{self.parent}/pipelineJobs/{job_id}"

    def create(self, job: PipelineJob, job_id: str) -> PipelineJob:
        """Create the job; if the id exists (a create whose answer was lost did succeed, or the
        sweep ran before), the existing job is returned: the caller checks it is the same job."""
        try:
            return call_with_retries(
                lambda: self.service.create_pipeline_job(
                    parent=self.parent,
                    pipeline_job=job,
                    pipeline_job_id=job_id,
                    retry=None,
                    timeout=REQUEST_TIMEOUT_S,
                ),
                self.policy,
                f"create {job_id}",
            )
        except exceptions.Conflict as e:
            if rpc_status(e) != "ALREADY_EXISTS":
                raise
            return self.get(self.name_of(job_id))

    def get(self, name: str) -> PipelineJob:
        return call_with_retries(
            lambda: self.service.get_pipeline_job(name=name, retry=None, timeout=REQUEST_TIMEOUT_S),
            self.policy,
            f"get {job_id_of(name)}",
        )

    def list_labelled(self, key: str, value: str) -> list[PipelineJob]:
        """Name and state of every job with the label key=value: one request per page."""
        request = ListPipelineJobsRequest(
            parent=self.parent,
            filter=f'labels.{key}="{value}"',
            page_size=LIST_PAGE_SIZE,
            read_mask=FieldMask(paths=list(LIST_READ_MASK)),
        )
        return call_with_retries(
            lambda: list(
                self.service.list_pipeline_jobs(
                    request=request, retry=None, timeout=REQUEST_TIMEOUT_S
                )
            ),
            self.policy,
            f"list jobs labelled {key}={value}",
        )

    def cancel(self, name: str) -> bool:
        """Ask Vertex to cancel the job: True if asked; False if it had ended meanwhile (it is
        left as it is)."""
        try:
            call_with_retries(
                lambda: self.service.cancel_pipeline_job(
                    name=name, retry=None, timeout=REQUEST_TIMEOUT_S
                ),
                self.policy,
                f"cancel {job_id_of(name)}",
            )
        except exceptions.BadRequest as e:
            if rpc_status(e) != "FAILED_PRECONDITION":
                raise
            return False
        return True
