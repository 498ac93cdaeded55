"""ListPipelineJobs: filters (labels, state, names; AND/OR/NOT), order, pages and read masks."""

from typing import TYPE_CHECKING

import pytest
from emulator_helpers import Pipeline, sdk, wait_done
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.protobuf.field_mask_pb2 import FieldMask

from hydra_vertex_emulator.emulator import Emulator
from hydra_vertex_emulator.names import parent_name
from hydra_vertex_emulator.pytest_plugin import LOCATION, PROJECT
from hydra_vertex_pipelines.vertex_api import (
    ListPipelineJobsRequest,
    PipelineServiceClient,
    PipelineState,
)

if TYPE_CHECKING:
    from google.cloud import aiplatform

FAILING = ("data.n=3", "optim.lr=0.1", "+mode=fail")


def gapic_client(emulator: Emulator) -> PipelineServiceClient:
    return PipelineServiceClient(
        transport="rest",
        client_options={"api_endpoint": emulator.endpoint},
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
    )


@pytest.fixture
def three_jobs(vertex_aiplatform: Emulator, pipeline: Pipeline) -> "list[aiplatform.PipelineJob]":
    """a1 and a2 (sweep=a; a2 fails) and b1 (sweep=b), all finished."""
    jobs = [
        pipeline.job("a1", labels={"sweep": "a"}),
        pipeline.job("a2", labels={"sweep": "a"}, overrides=FAILING),
        pipeline.job("b1", labels={"sweep": "b", "team": "x"}),
    ]
    for job in jobs:
        job.submit()
    for job in jobs:
        wait_done(job)
    return jobs


# filter -> the jobs of three_jobs it lists
FILTERS: list[tuple[str, list[str]]] = [
    ('labels.sweep="a"', ["a1", "a2"]),
    ("labels.sweep=b", ["b1"]),
    ('labels.sweep="a" AND state="PIPELINE_STATE_SUCCEEDED"', ["a1"]),
    ("labels.sweep=a OR labels.team:*", ["a1", "a2", "b1"]),
    # AIP-160: OR binds tighter than AND
    ("state=PIPELINE_STATE_FAILED AND labels.sweep=a OR labels.sweep=b", ["a2"]),
    ("(state=PIPELINE_STATE_FAILED AND labels.sweep=a) OR labels.sweep=b", ["a2", "b1"]),
    ("NOT labels.sweep=a", ["b1"]),
    ('labels.sweep!="a"', ["b1"]),
    ('display_name="display-a*"', ["a1", "a2"]),
    ('pipeline_name="emulated" pipeline_job_user_id="b1"', ["b1"]),
    ('create_time>"2000-01-01T00:00:00Z" AND end_time:*', ["a1", "a2", "b1"]),
    ('createTime<"2000-01-01T00:00:00Z"', []),
]


def test_filters(three_jobs: "list[aiplatform.PipelineJob]") -> None:
    listed = {
        text: sorted(job.name for job in sdk().PipelineJob.list(filter=text)) for text, _ in FILTERS
    }
    assert listed == dict(FILTERS)


def test_order_by(three_jobs: "list[aiplatform.PipelineJob]") -> None:
    by_creation = [job.name for job in sdk().PipelineJob.list(order_by="create_time")]
    assert by_creation == ["a1", "a2", "b1"]
    by_name = [job.name for job in sdk().PipelineJob.list(order_by="display_name desc")]
    assert by_name == ["b1", "a2", "a1"]
    states = {job.name: job.state for job in sdk().PipelineJob.list()}
    assert states["a2"] == PipelineState.PIPELINE_STATE_FAILED


def test_pages_and_read_mask(
    vertex_aiplatform: Emulator, three_jobs: "list[aiplatform.PipelineJob]"
) -> None:
    client = gapic_client(vertex_aiplatform)
    request = ListPipelineJobsRequest(
        parent=parent_name(PROJECT, LOCATION),
        filter="labels.sweep:*",
        page_size=2,
        read_mask=FieldMask(paths=["name", "state", "labels"]),
    )
    pages = list(client.list_pipeline_jobs(request=request).pages)
    assert [len(page.pipeline_jobs) for page in pages] == [2, 1]
    jobs = [job for page in pages for job in page.pipeline_jobs]
    assert sorted(job.name.rsplit("/", 1)[1] for job in jobs) == ["a1", "a2", "b1"]
    assert all(job.state and job.labels and not job.display_name for job in jobs)
    assert all(not job.job_detail.task_details for job in jobs)
    assert vertex_aiplatform.stats()["requests"]["list"] == 2


def test_jobs_created_while_paging_do_not_shift_pages(
    vertex_aiplatform: Emulator, pipeline: Pipeline, three_jobs: "list[aiplatform.PipelineJob]"
) -> None:
    client = gapic_client(vertex_aiplatform)
    parent = parent_name(PROJECT, LOCATION)
    first = client.list_pipeline_jobs(
        request=ListPipelineJobsRequest(parent=parent, page_size=2, order_by="create_time")
    )
    pipeline.job("c1").submit()
    second = client.list_pipeline_jobs(
        request=ListPipelineJobsRequest(
            parent=parent, page_size=2, order_by="create_time", page_token=first.next_page_token
        )
    )
    names = [job.name.rsplit("/", 1)[1] for job in [*first.pipeline_jobs, *second.pipeline_jobs]]
    assert names == ["a1", "a2", "b1", "c1"]


@pytest.mark.parametrize(
    ("filter_text", "order_by", "page_token", "message"),
    [
        ("labels.sweep=", "", "", "expected a value"),
        ("colour=red", "", "", "cannot filter PipelineJobs on 'colour'"),
        ("state=DONE", "", "", "is not a PipelineState"),
        ("", "colour", "", "cannot order PipelineJobs by 'colour'"),
        ("", "", "not-a-token", "pageToken is invalid"),
    ],
)
def test_bad_list_requests(
    vertex_aiplatform: Emulator, filter_text: str, order_by: str, page_token: str, message: str
) -> None:
    request = ListPipelineJobsRequest(
        parent=parent_name(PROJECT, LOCATION),
        filter=filter_text,
        order_by=order_by,
        page_token=page_token,
    )
    with pytest.raises(exceptions.BadRequest, match=message):
        list(gapic_client(vertex_aiplatform).list_pipeline_jobs(request=request))
