"""ListPipelineJobs' `orderBy`, page tokens and `readMask`, over jobs as JSON.

Page tokens are keyset cursors (the sort key of the page's last job), so jobs created while a
client pages through a listing never shift what the next page holds.
"""

import base64
import binascii
import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hydra_vertex_pipelines.vertex_facts import camel_case, snake_case

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
DEFAULT_ORDER = "create_time desc"
_ORDER_FIELDS = {
    "display_name": "displayName",
    "create_time": "createTime",
    "update_time": "updateTime",
    "start_time": "startTime",
    "end_time": "endTime",
}


class ListingError(ValueError):
    """orderBy, pageSize, pageToken or readMask is not acceptable."""


@dataclass(frozen=True)
class Page:
    jobs: list[dict[str, Any]]
    # empty on the last page
    next_page_token: str


@functools.total_ordering
class _Key:
    """One element of a sort key, reversed for a `desc` field."""

    def __init__(self, value: str, descending: bool) -> None:
        self.value = value
        self.descending = descending

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self.value == other.value

    def __lt__(self, other: "_Key") -> bool:
        return self.value > other.value if self.descending else self.value < other.value


def parse_order_by(text: str) -> list[tuple[str, bool]]:
    """(JSON field, descending) per comma-separated `field [asc|desc]`."""
    order: list[tuple[str, bool]] = []
    for part in (text or DEFAULT_ORDER).split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise ListingError(f"orderBy {text!r}: write `field [asc|desc]`, comma-separated")
        field = _ORDER_FIELDS.get(snake_case(words[0]))
        if field is None:
            raise ListingError(
                f"cannot order PipelineJobs by {words[0]!r}; fields: {', '.join(_ORDER_FIELDS)}"
            )
        order.append((field, len(words) == 2 and words[1] == "desc"))
    return order


def _sort_values(job: Mapping[str, Any], order: Sequence[tuple[str, bool]]) -> list[str]:
    """The job's sort key as text; the job's name breaks ties."""
    return [str(job.get(field, "")) for field, _ in order] + [job["name"]]


def _sort_key(values: Sequence[str], order: Sequence[tuple[str, bool]]) -> list[_Key]:
    flags = [descending for _, descending in order] + [False]
    return [_Key(value, descending) for value, descending in zip(values, flags, strict=True)]


def _query_digest(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()[:16]


def _encode_token(values: Sequence[str], query: str) -> str:
    data = json.dumps({"after": list(values), "query": _query_digest(query)}).encode()
    return base64.urlsafe_b64encode(data).decode()


def _decode_token(token: str, query: str, width: int) -> list[str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        values = data["after"]
        valid = data["query"] == _query_digest(query) and len(values) == width
    except (binascii.Error, ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise ListingError("pageToken is invalid or belongs to another filter/orderBy")
    return [str(v) for v in values]


def page_size_of(text: str) -> int:
    try:
        size = int(text) if text else 0
    except ValueError:
        raise ListingError(f"pageSize {text!r} is not a number") from None
    if size < 0:
        raise ListingError("pageSize must not be negative")
    return min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def paginate(
    jobs: Sequence[dict[str, Any]],
    order_by: str,
    page_size: int,
    page_token: str,
    query: str,
) -> Page:
    """One page of the ordered jobs after the token's cursor; `query` names the listing the token
    belongs to (filter and orderBy)."""
    order = parse_order_by(order_by)
    ordered = sorted(jobs, key=lambda job: _sort_key(_sort_values(job, order), order))
    if page_token:
        cursor = _sort_key(_decode_token(page_token, query, len(order) + 1), order)
        ordered = [j for j in ordered if _sort_key(_sort_values(j, order), order) > cursor]
    page = ordered[:page_size]
    more = len(ordered) > page_size
    token = _encode_token(_sort_values(page[-1], order), query) if more else ""
    return Page(page, token)


def apply_read_mask(job: Mapping[str, Any], mask: str) -> dict[str, Any]:
    """Only the fields the comma-separated paths name (snake_case or camelCase)."""
    out: dict[str, Any] = {}
    for path in (p.strip() for p in mask.split(",")):
        if not path:
            continue
        source: Any = job
        parts = [camel_case(p) for p in path.split(".")]
        for part in parts:
            source = source.get(part) if isinstance(source, Mapping) else None
        if source is None:
            continue
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = source
    return out
