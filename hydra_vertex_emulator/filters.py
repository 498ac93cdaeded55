"""The `filter` of ListPipelineJobs (AIP-160 subset): a tokenizer, a recursive-descent parser and
the evaluation of the parsed expression against a job's JSON.

    expression  := sequence ("AND" sequence)*
    sequence    := factor factor*              (juxtaposition is AND)
    factor      := term ("OR" term)*           (OR binds tighter than AND, as in AIP-160)
    term        := "NOT" term | "(" expression ")" | restriction
    restriction := field ("=" | "!=" | "<" | "<=" | ">" | ">=" | ":") value

Fields: display_name, pipeline_name, pipeline_job_user_id, state, template_uri, create_time,
update_time, start_time, end_time (snake_case or camelCase), labels.<key>, and `labels:<key>`.
Values are "quoted" or bare words; `*` in a string value matches anything; times are RFC 3339.
"""

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hydra_vertex_pipelines.vertex_facts import snake_case

from .resources import PIPELINE_STATES

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op>!=|<=|>=|=|<|>|:)
      | (?P<paren>[()])
      | (?P<word>[^\s()"=!<>:]+)
    )""",
    re.VERBOSE,
)
_STRING_FIELDS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "display_name": lambda job: job.get("displayName"),
    "pipeline_name": lambda job: job.get("pipelineSpec", {}).get("pipelineInfo", {}).get("name"),
    "pipeline_job_user_id": lambda job: job["name"].rsplit("/", 1)[1],
    "state": lambda job: job.get("state"),
    "template_uri": lambda job: job.get("templateUri"),
}
_TIME_FIELDS = {
    "create_time": "createTime",
    "update_time": "updateTime",
    "start_time": "startTime",
    "end_time": "endTime",
}
_LABEL_PREFIX = "labels."
# parentheses and NOTs nested deeper than this are refused (the parser recurses on them)
MAX_DEPTH = 64


class FilterError(ValueError):
    """The filter cannot be parsed or names what cannot be filtered on."""


@dataclass(frozen=True)
class Token:
    kind: str  # string, op, paren, word, or end
    text: str
    position: int


@dataclass(frozen=True)
class Restriction:
    # a canonical field name (snake_case), "labels.<key>", or "labels"
    field: str
    op: str
    # the value, unquoted
    value: str


@dataclass(frozen=True)
class Not:
    operand: "Node"


@dataclass(frozen=True)
class AllOf:
    operands: tuple["Node", ...]


@dataclass(frozen=True)
class AnyOf:
    operands: tuple["Node", ...]


Node = Restriction | Not | AllOf | AnyOf


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while text[position:].strip():
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise FilterError(f"unexpected character at {position + 1} in filter {text!r}")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append(Token(kind, value, match.start(kind)))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_keyword(self, keyword: str) -> bool:
        return self.peek.kind == "word" and self.peek.text == keyword

    def fail(self, what: str) -> FilterError:
        token = self.peek
        found = "the end" if token.kind == "end" else repr(token.text)
        return FilterError(
            f"expected {what} at {token.position + 1}, found {found}, in filter {self.text!r}"
        )

    def expression(self) -> Node:
        operands = [self.sequence()]
        while self.at_keyword("AND"):
            self.take()
            operands.append(self.sequence())
        return operands[0] if len(operands) == 1 else AllOf(tuple(operands))

    def sequence(self) -> Node:
        operands = [self.factor()]
        while self.peek.kind in ("word", "string") or self.peek.text == "(":
            if self.at_keyword("AND") or self.at_keyword("OR"):
                break
            operands.append(self.factor())
        return operands[0] if len(operands) == 1 else AllOf(tuple(operands))

    def factor(self) -> Node:
        operands = [self.term()]
        while self.at_keyword("OR"):
            self.take()
            operands.append(self.term())
        return operands[0] if len(operands) == 1 else AnyOf(tuple(operands))

    def term(self) -> Node:
        nested = self.at_keyword("NOT") or (self.peek.text == "(" and self.peek.kind == "paren")
        if not nested:
            return self.restriction()
        if self.depth == MAX_DEPTH:
            raise FilterError(f"the filter nests NOT and parentheses deeper than {MAX_DEPTH}")
        self.depth += 1
        if self.take().text == "NOT":
            inner: Node = Not(self.term())
        else:
            inner = self.expression()
            if self.peek.text != ")":
                raise self.fail("')'")
            self.take()
        self.depth -= 1
        return inner

    def restriction(self) -> Restriction:
        if self.peek.kind != "word" or self.peek.text in ("AND", "OR", "NOT"):
            raise self.fail("a field name")
        field_name = _canonical_field(self.take().text)
        if self.peek.kind != "op":
            raise self.fail("a comparison operator")
        op = self.take().text
        if self.peek.kind not in ("word", "string"):
            raise self.fail("a value")
        restriction = Restriction(field_name, op, self.take().text)
        _check(restriction)
        return restriction


def _canonical_field(name: str) -> str:
    if name.startswith(_LABEL_PREFIX):
        if len(name) == len(_LABEL_PREFIX):
            raise FilterError("a label filter needs a key: labels.<key>=<value>")
        return name
    snake = snake_case(name)
    if snake not in _STRING_FIELDS and snake not in _TIME_FIELDS and snake != "labels":
        known = ", ".join([*_STRING_FIELDS, *_TIME_FIELDS, "labels.<key>"])
        raise FilterError(f"cannot filter PipelineJobs on {name!r}; fields: {known}")
    return snake


def _parse_time(text: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(re.sub(r"[zZ]$", "+00:00", text))
    except ValueError:
        raise FilterError(f"{text!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def _check(restriction: Restriction) -> None:
    """Refuse, at parse time, what the evaluation could not answer."""
    field_name, op, value = restriction.field, restriction.op, restriction.value
    if field_name in _TIME_FIELDS:
        if not (op == ":" and value == "*"):
            _parse_time(value)
        return
    if op not in ("=", "!=", ":"):
        raise FilterError(f"{field_name} takes =, != or :, not {op}")
    if field_name == "labels" and op != ":":
        raise FilterError("write labels.<key>=<value>, or labels:<key> for having the label")
    if field_name == "state" and value not in PIPELINE_STATES and "*" not in value:
        raise FilterError(f"{value!r} is not a PipelineState ({', '.join(PIPELINE_STATES)})")


def parse_filter(text: str) -> Node | None:
    """The parsed filter; None for an empty one."""
    if not text.strip():
        return None
    parser = _Parser(text)
    node = parser.expression()
    if parser.peek.kind != "end":
        raise parser.fail("AND, OR or the end")
    return node


def _string_matches(actual: str | None, op: str, pattern: str) -> bool:
    if op == ":" and pattern == "*":
        return bool(actual)
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    equal = actual is not None and re.fullmatch(regex, actual) is not None
    return not equal if op == "!=" else equal


def _time_matches(actual: str | None, op: str, value: str) -> bool:
    if op == ":":
        return actual is not None
    if actual is None:
        return op == "!="
    left, right = _parse_time(actual), _parse_time(value)
    comparisons: dict[str, Callable[[datetime.datetime, datetime.datetime], bool]] = {
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    return comparisons[op](left, right)


def _restriction_matches(r: Restriction, job: Mapping[str, Any]) -> bool:
    labels: Mapping[str, str] = job.get("labels", {})
    if r.field == "labels":
        return r.value in labels
    if r.field.startswith(_LABEL_PREFIX):
        return _string_matches(labels.get(r.field[len(_LABEL_PREFIX) :]), r.op, r.value)
    if r.field in _TIME_FIELDS:
        return _time_matches(job.get(_TIME_FIELDS[r.field]), r.op, r.value)
    return _string_matches(_STRING_FIELDS[r.field](job), r.op, r.value)


def matches(node: Node | None, job: Mapping[str, Any]) -> bool:
    """Whether the job (its PipelineJob JSON, enums as names) passes the filter."""
    if node is None:
        return True
    if isinstance(node, Restriction):
        return _restriction_matches(node, job)
    if isinstance(node, Not):
        return not matches(node.operand, job)
    if isinstance(node, AllOf):
        return all(matches(operand, job) for operand in node.operands)
    return any(matches(operand, job) for operand in node.operands)
