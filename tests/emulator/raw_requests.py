"""Requests to the emulator as any HTTP client (a browser, a script) may send them: every header,
the body's bytes and the Content-Length are the caller's."""

import copy
import http.client
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from emulator_helpers import PIPELINE_ROOT, Pipeline

from hydra_vertex_emulator.emulator import Emulator
from hydra_vertex_emulator.names import parent_name
from hydra_vertex_emulator.pytest_plugin import LOCATION, PROJECT

JSON = {"Content-Type": "application/json"}
JOBS_PATH = f"/v1/{parent_name(PROJECT, LOCATION)}/pipelineJobs"


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any

    @property
    def google_error(self) -> bool:
        """Google's error JSON, its code the HTTP status."""
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return (
            isinstance(error, dict)
            and error.get("code") == self.status
            and isinstance(error.get("message"), str)
            and isinstance(error.get("status"), str)
        )


def call(
    emulator: Emulator,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: Mapping[str, str] = JSON,
) -> Answer:
    """One request on a fresh connection; `headers` replace http.client's own Host (and any
    Content-Length given is sent as is)."""
    address = urlsplit(emulator.endpoint)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host="Host" in headers, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        if body is not None and "Content-Length" not in headers:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    try:
        return Answer(response.status, json.loads(data))
    except ValueError:
        return Answer(response.status, data.decode(errors="replace"))


def create_body(pipeline: Pipeline, root: str = PIPELINE_ROOT) -> dict[str, Any]:
    """A valid CreatePipelineJob body (what the aiplatform client sends) for the pipeline."""
    return {
        "displayName": "raw",
        "pipelineSpec": copy.deepcopy(pipeline.template.spec),
        "runtimeConfig": {"gcsOutputDirectory": root, "parameterValues": pipeline.parameters()},
    }


def create(emulator: Emulator, body: Any, job_id: str, headers: Mapping[str, str] = JSON) -> Answer:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return call(emulator, "POST", f"{JOBS_PATH}?pipelineJobId={job_id}", data, headers)
