"""The REST surface: which (method, path) is which PipelineService call, and its query and body.

Paths are those of the aiplatform v1 REST transport (v1beta1 is accepted too); a project id in a
path stands for its number, as on Vertex.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hydra_vertex_pipelines.vertex_facts import camel_case

from .errors import invalid_argument
from .names import job_name, parent_name
from .resources import enums_as_ints, job_json
from .service import PipelineService
from .store import JobRecord

_PREFIX = r"^/v1(?:beta1)?/projects/(?P<project>[^/:]+)/locations/(?P<location>[^/:]+)"
_JOB = r"/pipelineJobs/(?P<job>[^/:]+)"
# project ids and numbers; regions
_PROJECT = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_LOCATION = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class Request:
    # named groups of the path
    params: Mapping[str, str]
    # query parameters by camelCase name
    query: Mapping[str, str]
    # the JSON body (None without one)
    body: Any

    @property
    def parent(self) -> str:
        project, location = self.params["project"], self.params["location"]
        if not _PROJECT.match(project):
            raise invalid_argument(f"{project!r} is not a project id or number.")
        if not _LOCATION.match(location):
            raise invalid_argument(f"{location!r} is not a location, e.g. us-central1.")
        return parent_name(project, location)

    @property
    def job(self) -> str:
        return job_name(self.parent, self.params["job"])

    @property
    def int_enums(self) -> bool:
        """`$alt=json;enum-encoding=int`: what the GAPIC clients ask for."""
        return "enum-encoding=int" in self.query.get("$alt", "")


@dataclass(frozen=True)
class Reply:
    body: dict[str, Any]
    # the id of the job a create made
    created: str | None = None


def _job_reply(record: JobRecord, request: Request, created: bool = False) -> Reply:
    body = job_json(record)
    if request.int_enums:
        enums_as_ints(body)
    return Reply(body, record.job_id if created else None)


def _create(service: PipelineService, request: Request) -> Reply:
    job_id = request.query.get("pipelineJobId")
    return _job_reply(service.create(request.parent, job_id, request.body), request, created=True)


def _get(service: PipelineService, request: Request) -> Reply:
    return _job_reply(service.get(request.job), request)


def _list(service: PipelineService, request: Request) -> Reply:
    query = request.query
    body = service.list(
        request.parent,
        query.get("filter", ""),
        query.get("orderBy", ""),
        query.get("pageSize", ""),
        query.get("pageToken", ""),
        query.get("readMask", ""),
    )
    if request.int_enums:
        for job in body.get("pipelineJobs", []):
            enums_as_ints(job)
    return Reply(body)


def _cancel(service: PipelineService, request: Request) -> Reply:
    service.cancel(request.job)
    return Reply({})


def _delete(service: PipelineService, request: Request) -> Reply:
    return Reply(service.delete(request.job))


def _get_operation(service: PipelineService, request: Request) -> Reply:
    return Reply(service.get_operation(f"{request.parent}/operations/{request.params['op']}"))


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    # what the request does (stats and fault selection name it so)
    kind: str
    handler: Callable[[PipelineService, Request], Reply]


ROUTES = (
    Route("POST", re.compile(_PREFIX + r"/pipelineJobs$"), "create", _create),
    Route("GET", re.compile(_PREFIX + r"/pipelineJobs$"), "list", _list),
    Route("GET", re.compile(_PREFIX + _JOB + "$"), "get", _get),
    Route("DELETE", re.compile(_PREFIX + _JOB + "$"), "delete", _delete),
    Route("POST", re.compile(_PREFIX + _JOB + ":cancel$"), "cancel", _cancel),
    Route(
        "GET", re.compile(_PREFIX + r"/operations/(?P<op>[^/:]+)$"), "get_operation", _get_operation
    ),
)


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in ROUTES:
        match = route.pattern.match(path)
        if route.method == method and match:
            return route, match.groupdict()
    return None


def query_params(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The query by camelCase name (Google APIs take snake_case too); the last value wins."""
    return {camel_case(k): v for k, v in pairs}
