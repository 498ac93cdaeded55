"""The list filter parser on its own: grammar, precedence, values, and its error messages."""

import re
from typing import Any

import pytest

from hydra_vertex_emulator.filters import (
    AllOf,
    AnyOf,
    FilterError,
    Not,
    Restriction,
    matches,
    parse_filter,
)

JOB: dict[str, Any] = {
    "name": "projects/1/locations/l/pipelineJobs/job-7",
    "displayName": 'say "hi"',
    "state": "PIPELINE_STATE_RUNNING",
    "labels": {"sweep": "s-1", "team": "ml"},
    "pipelineSpec": {"pipelineInfo": {"name": "train-pipe"}},
    "createTime": "2026-01-02T03:04:05.000000Z",
}


def test_or_binds_tighter_than_and() -> None:
    a, b, c = (Restriction(f"labels.{k}", "=", "1") for k in "abc")
    assert parse_filter("labels.a=1 AND labels.b=1 OR labels.c=1") == AllOf((a, AnyOf((b, c))))
    assert parse_filter("labels.a=1 labels.b=1") == AllOf((a, b))  # juxtaposition is AND
    assert parse_filter("NOT NOT labels.a=1") == Not(Not(a))
    assert parse_filter("  ") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r'displayName="say \"hi\""', True),
        ("display_name:*", True),
        ("pipelineName=train-* AND pipelineJobUserId=job-7", True),
        ("labels.sweep=s-1 AND NOT labels.team=ops", True),
        ("labels:team AND NOT labels:owner", True),
        ("labels.owner!=someone", True),
        ("labels.owner=*", False),
        ('create_time>="2026-01-02T04:04:05+01:00"', True),
        ('create_time>"2026-01-02T03:04:05Z"', False),
        ('end_time<"2030-01-01T00:00:00Z"', False),
        ("(state=PIPELINE_STATE_RUNNING OR state=PIPELINE_STATE_PENDING) labels.team=ml", True),
    ],
)
def test_matches(text: str, expected: bool) -> None:
    assert matches(parse_filter(text), JOB) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("labels.sweep", "expected a comparison operator at 13, found the end"),
        ("state=PIPELINE_STATE_RUNNING AND", "expected a field name at 33"),
        ("(labels.a=1", "expected ')'"),
        ("labels.a=1)", "expected AND, OR or the end at 11"),
        ("labels.=1", "needs a key"),
        ("labels=x", "labels:<key>"),
        ("display_name>a", "takes =, != or :"),
        ('create_time>"soon"', "not an RFC 3339 time"),
        ('display_name="open', "unexpected character at 14"),
    ],
)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(FilterError, match=re.escape(message)):
        parse_filter(text)
