"""Every kind of answer the emulator gives parses strictly (unknown fields refused) into the
message Vertex answers with, and back without losing anything: PipelineJob (create, get),
ListPipelineJobsResponse (list, also with a read mask), Empty (cancel), Operation (delete and
its operation), with enums as names and as numbers; errors are Google's HTTP error JSON
(AIP-193), each HTTP code the one google.api_core maps its status to."""

import datetime
import re
from typing import Any

import grpc
from emulator_helpers import Pipeline, sdk, wait_done
from google.api_core import exceptions
from google.cloud.aiplatform_v1.types import operation as _operation_types  # noqa: F401
from google.cloud.aiplatform_v1.types.pipeline_service import ListPipelineJobsResponse
from google.longrunning import operations_pb2
from google.protobuf import empty_pb2, json_format
from google.protobuf.message import Message
from google.rpc import code_pb2
from raw_requests import JOBS_PATH, Answer, call, create, create_body

from hydra_vertex_emulator.emulator import Emulator
from hydra_vertex_pipelines.vertex_api import PipelineJob

_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
INT_ENUMS = "$alt=json;enum-encoding=int"


def _comparable(value: Any) -> Any:
    """The JSON with times as datetimes and proto3's defaults (absent, "", 0, false, empty)
    left out, which a message does not tell apart from absent."""
    if isinstance(value, dict):
        kept = {k: _comparable(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", 0, False, [], {})}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, str) and _TIME.match(value):
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def round_trip(answer: Answer, message: Message, int_enums: bool = False) -> None:
    """The answer is the message, strictly, and nothing is lost in it."""
    assert answer.status == 200, answer
    json_format.ParseDict(answer.body, message, ignore_unknown_fields=False)
    again = json_format.MessageToDict(message, use_integers_for_enums=int_enums)
    assert _comparable(again) == _comparable(answer.body)


def job_path(job_id: str) -> str:
    return f"{JOBS_PATH}/{job_id}"


def test_every_answer_is_a_vertex_message(vertex_aiplatform: Emulator, pipeline: Pipeline) -> None:
    emulator = vertex_aiplatform
    round_trip(create(emulator, create_body(pipeline), "ok"), PipelineJob.pb(PipelineJob()))
    failing = pipeline.job("fails", overrides=("data.n=3", "optim.lr=0.1", "+mode=fail"))
    failing.submit()
    for job_id in ("ok", "fails"):
        wait_done(sdk().PipelineJob.get(job_id))
        for query in ("", f"?{INT_ENUMS}"):
            answer = call(emulator, "GET", job_path(job_id) + query, None, {})
            assert answer.body["jobDetail"]["taskDetails"]
            round_trip(answer, PipelineJob.pb(PipelineJob()), bool(query))
    assert call(emulator, "GET", job_path("fails"), None, {}).body["error"]["code"] == 9
    for query in ("", f"?{INT_ENUMS}", "?readMask=name,state,labels,jobDetail.pipelineContext"):
        answer = call(emulator, "GET", JOBS_PATH + query, None, {})
        assert len(answer.body["pipelineJobs"]) == 2
        response = ListPipelineJobsResponse.pb(ListPipelineJobsResponse())
        round_trip(answer, response, query == f"?{INT_ENUMS}")
    sleeping = pipeline.job("sleeps", overrides=("data.n=3", "optim.lr=0.1", "+mode=sleep"))
    sleeping.submit()
    round_trip(call(emulator, "POST", job_path("sleeps") + ":cancel", b"{}"), empty_pb2.Empty())
    wait_done(sleeping)
    deleted = call(emulator, "DELETE", job_path("ok"), None, {})
    round_trip(deleted, operations_pb2.Operation())
    operation = call(emulator, "GET", f"/v1/{deleted.body['name']}", None, {})
    round_trip(operation, operations_pb2.Operation())


def assert_google_error(answer: Answer, status: str) -> None:
    """Google's HTTP error JSON: {"error": {"code": <HTTP>, "message", "status"}}, the HTTP code
    the one google.api_core maps the status to."""
    assert set(answer.body) == {"error"}, answer
    error = answer.body["error"]
    assert set(error) <= {"code", "message", "status", "details"}
    assert error["status"] == status and code_pb2.Code.Value(status)
    assert isinstance(error["message"], str) and error["message"]
    mapped = exceptions.exception_class_for_grpc_status(grpc.StatusCode[status])  # type: ignore[no-untyped-call]
    assert error["code"] == answer.status == mapped.code


def test_every_error_is_a_google_error(vertex_aiplatform: Emulator, pipeline: Pipeline) -> None:
    emulator = vertex_aiplatform
    body = create_body(pipeline)
    assert_google_error(create(emulator, {"bogus": 1}, "bad"), "INVALID_ARGUMENT")
    assert create(emulator, body, "twice").status == 200
    assert_google_error(create(emulator, body, "twice"), "ALREADY_EXISTS")
    assert_google_error(call(emulator, "GET", job_path("nope"), None, {}), "NOT_FOUND")
    wait_done(sdk().PipelineJob.get("twice"))
    finished = call(emulator, "POST", job_path("twice") + ":cancel", b"{}")
    assert_google_error(finished, "FAILED_PRECONDITION")
    bad_list = call(emulator, "GET", f"{JOBS_PATH}?pageSize=x", None, {})
    assert_google_error(bad_list, "INVALID_ARGUMENT")
