"""Malformed requests get Google's error JSON with a 4xx, never a dropped connection, a server
error or a job that fails later; the emulator keeps serving.

The create requests are shape-aware: every field the emulator reads, in a valid request, is given
each kind of wrong value (wrong JSON type, unknown reference, out of range), then seeded random
combinations of those; the list requests carry seeded corruptions of valid filters, orders,
page sizes and tokens.
"""

import copy
import json
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from emulator_helpers import Pipeline, sdk, wait_done
from raw_requests import JOBS_PATH, JSON, Answer, call, create, create_body

from hydra_vertex_emulator.emulator import Emulator
from hydra_vertex_pipelines.vertex_api import PipelineState

SEED = 20261130
RANDOM_COMBINATIONS = 120
RANDOM_LISTS = 120

T = "pipelineSpec.root.dag.tasks.*"
C = "pipelineSpec.components.*"
X = "pipelineSpec.deploymentSpec.executors.*.container"
# each field the emulator reads, by what it must be
FIELDS = {
    "object": [
        "runtimeConfig",
        "runtimeConfig.parameterValues",
        "runtimeConfig.parameters",
        "pipelineSpec",
        "pipelineSpec.pipelineInfo",
        "pipelineSpec.root",
        "pipelineSpec.root.dag",
        "pipelineSpec.root.dag.tasks",
        T,
        f"{T}.componentRef",
        f"{T}.inputs",
        f"{T}.inputs.parameters",
        f"{T}.inputs.parameters.*",
        f"{T}.inputs.artifacts",
        f"{T}.inputs.artifacts.*",
        f"{T}.inputs.artifacts.*.taskOutputArtifact",
        f"{T}.cachingOptions",
        f"{T}.taskInfo",
        f"{T}.retryPolicy",
        "pipelineSpec.root.inputDefinitions",
        "pipelineSpec.root.inputDefinitions.parameters",
        "pipelineSpec.root.inputDefinitions.parameters.*",
        "pipelineSpec.components",
        C,
        f"{C}.inputDefinitions",
        f"{C}.inputDefinitions.parameters",
        f"{C}.inputDefinitions.parameters.*",
        f"{C}.inputDefinitions.artifacts",
        f"{C}.inputDefinitions.artifacts.*",
        f"{C}.outputDefinitions",
        f"{C}.outputDefinitions.parameters",
        f"{C}.outputDefinitions.parameters.*",
        f"{C}.outputDefinitions.artifacts",
        f"{C}.outputDefinitions.artifacts.*",
        "pipelineSpec.deploymentSpec",
        "pipelineSpec.deploymentSpec.executors",
        "pipelineSpec.deploymentSpec.executors.*",
        X,
        f"{X}.resources",
        "encryptionSpec",
        "pscInterfaceConfig",
    ],
    "string": [
        "displayName",
        "serviceAccount",
        "network",
        "templateUri",
        "runtimeConfig.parameterValues.*",
        "pipelineSpec.pipelineInfo.name",
        f"{T}.taskInfo.name",
        "pipelineSpec.root.inputDefinitions.parameters.*.parameterType",
        f"{C}.inputDefinitions.parameters.*.parameterType",
        f"{X}.image",
        f"{X}.command.*",
        f"{X}.args.*",
    ],
    "list": [f"{T}.dependentTasks", f"{X}.command", f"{X}.args", "reservedIpRanges"],
    "reference": [
        f"{T}.componentRef.name",
        f"{T}.dependentTasks.*",
        f"{T}.inputs.parameters.*.componentInputParameter",
        f"{T}.inputs.artifacts.*.taskOutputArtifact.producerTask",
        f"{T}.inputs.artifacts.*.taskOutputArtifact.outputArtifactKey",
        f"{C}.executorLabel",
    ],
    "bool": [f"{T}.cachingOptions.enableCache", "preflightValidations"],
    "count": [f"{T}.retryPolicy.maxRetryCount"],
    "labels": ["labels"],
    "root": ["runtimeConfig.gcsOutputDirectory"],
    "policy": ["runtimeConfig.failurePolicy"],
    "env": [f"{X}.env"],
}
_OBJECTS: list[Any] = [[], 7, "text", True, [{"a": 1}]]
_STRINGS: list[Any] = [7, 2.5, [], {}, True, ["python"]]
WRONG: dict[str, list[Any]] = {
    "object": _OBJECTS,
    "string": _STRINGS,
    "list": [{}, 7, "python", True, [1, 2], [None]],
    "reference": [*_STRINGS, "no-such-name"],
    "bool": ["yes", 1, [], {}, "true"],
    "count": ["lots", -1, 1.5, True, [], {}, 2**31, "3x"],
    "labels": [[], "team=ml", {"Team": "ml"}, {"team": 5}, {"team": "ML x"}, {"1a": "b"}],
    "root": [7, [], "", "gs://", "s3://bucket/x", "gs://UPPER/x", "gs://bk t/x", "/gcs/b/x"],
    "policy": ["BOGUS", 99, -1, [], {}, True],
    "env": ["A=1", {"A": "1"}, [1], [{"name": 1}], [{"name": "A", "value": 2}], [["A", "1"]]],
}
# requests whose raw bytes or headers are wrong
RAW: list[tuple[bytes, dict[str, str]]] = [
    (b"not json", JSON),
    (b"[1, 2]", JSON),
    (b'"a string"', JSON),
    (b"null", JSON),
    (b'{"a":' * 50_000, JSON),
    (b"[" * 100_000, JSON),
    (b"\xff\xfe\x00", JSON),
    (b"{}", {**JSON, "Content-Length": "abc"}),
    (b"{}", {**JSON, "Content-Length": "-1"}),
    (b"{}", {**JSON, "Content-Length": str(1 << 40)}),
    (b"{}", {"Content-Type": "text/plain"}),
    (b"{}", {"Content-Type": "application/x-www-form-urlencoded"}),
    (b'{"bogusField": 1}', JSON),
    (b'{"runtimeConfig": {"bogus": 1}}', JSON),
]


def _matching(node: Any, parts: list[str], path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Concrete paths of a pattern (`*`: every key or index); the last part may be absent."""
    if not parts:
        yield path
        return
    head, rest = parts[0], parts[1:]
    if isinstance(node, dict):
        keys = list(node) if head == "*" else [head] if head in node or not rest else []
    elif isinstance(node, list) and head == "*":
        keys = [str(i) for i in range(len(node))]
    else:
        return
    for key in keys:
        child = node[int(key)] if isinstance(node, list) else node.get(key)
        yield from _matching(child, rest, (*path, key))


def _set(body: Any, path: tuple[str, ...], value: Any) -> bool:
    """Set the value at the path; False if the path no longer leads anywhere."""
    node = body
    for key in path[:-1]:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return False
    if isinstance(node, dict):
        node[path[-1]] = value
    elif isinstance(node, list) and path[-1].isdigit():
        node[int(path[-1])] = value
    else:
        return False
    return True


def mutations(body: dict[str, Any]) -> list[tuple[tuple[str, ...], Any]]:
    """Every (concrete path, wrong value) of the valid body."""
    found = []
    for kind, patterns in FIELDS.items():
        for pattern in patterns:
            for path in _matching(body, pattern.split("."), ()):
                found += [(path, value) for value in WRONG[kind]]
    return found


ISSUE_CASES: list[tuple[tuple[str, ...], Any]] = [
    (("runtimeConfig", "parameterValues"), ["a", "b"]),
    (("runtimeConfig", "parameters"), 7),
    (("pipelineSpec", "root", "dag", "tasks", "train", "inputs"), ["x"]),
    (("pipelineSpec", "root", "dag", "tasks", "train", "dependentTasks"), 3),
    (("pipelineSpec", "deploymentSpec", "executors", "exec-prep", "container", "args"), [1, 2]),
    (("pipelineSpec", "root", "dag", "tasks", "prep", "retryPolicy"), {"maxRetryCount": "lots"}),
    (("pipelineSpec", "root", "dag", "tasks", "prep", "cachingOptions"), "yes"),
    (("pipelineSpec", "deploymentSpec", "executors", "exec-prep", "container", "command"), "py"),
]


def valid_body(pipeline: Pipeline) -> dict[str, Any]:
    """A valid create body that also has the optional fields the emulator reads."""
    body: dict[str, Any] = create_body(pipeline)
    spec = body["pipelineSpec"]
    spec["root"]["dag"]["tasks"]["prep"]["retryPolicy"] = {"maxRetryCount": 1}
    container = spec["deploymentSpec"]["executors"]["exec-prep"]["container"]
    container["env"] = [{"name": "A_FLAG", "value": "1"}]
    container["resources"] = {"cpuLimit": 1.0, "accelerator": {"type": "NVIDIA_L4", "count": "1"}}
    return body


def assert_refused(answer: Answer, what: object) -> None:
    assert 400 <= answer.status < 500, (what, answer)
    assert answer.google_error, (what, answer)


def test_malformed_creates_and_lists_get_google_errors(
    vertex_aiplatform: Emulator, pipeline: Pipeline
) -> None:
    emulator = vertex_aiplatform
    valid = valid_body(pipeline)
    assert create(emulator, valid, "valid-but-deleted").status == 200
    wait_done(sdk().PipelineJob.get("valid-but-deleted"))
    sdk().PipelineJob.get("valid-but-deleted").delete()
    emulator.reset_stats()
    rng = random.Random(SEED)
    single = mutations(valid)
    combined = [rng.sample(single, rng.randint(2, 4)) for _ in range(RANDOM_COMBINATIONS)]
    sent = 0
    for n, changes in enumerate([[case] for case in ISSUE_CASES + single] + combined):
        body = copy.deepcopy(valid)
        if not any([_set(body, path, copy.deepcopy(value)) for path, value in changes]):
            continue
        assert_refused(create(emulator, body, f"bad-{n}"), changes)
        sent += 1
    for n, (raw, headers) in enumerate(RAW):
        assert_refused(create(emulator, raw, f"raw-{n}", headers), (raw[:40], headers))
    lists = list_queries(rng)
    for query in lists:
        assert_refused(call(emulator, "GET", f"{JOBS_PATH}?{urlencode(query)}", None, {}), query)
    print(f"{sent + len(RAW)} malformed creates, {len(lists)} malformed lists")
    assert sent + len(RAW) >= 200 and len(lists) >= 100
    stats = emulator.stats()
    assert stats["created"] == {}
    assert stats["requests"]["create"] + stats["refused"] == sent + len(RAW)
    # still serving, the real client included
    job = pipeline.job("after-the-fuzz")
    job.submit()
    assert wait_done(job) == PipelineState.PIPELINE_STATE_SUCCEEDED
    assert [j.name for j in sdk().PipelineJob.list()] == ["after-the-fuzz"]


VALID_RESTRICTIONS = [
    'state="PIPELINE_STATE_FAILED"',
    'labels.team="ml"',
    'display_name="a*"',
    'create_time>"2026-01-01T00:00:00Z"',
    "labels:team",
    "NOT state=PIPELINE_STATE_RUNNING",
]


def _corruption(rng: random.Random, n: int) -> str:
    valid = rng.choice(VALID_RESTRICTIONS)
    deep = rng.randint(65, 3000)
    return rng.choice(
        [
            f'bogus_field_{n}="x"',
            f'state="RUNNING_{n}"',
            f'create_time>"day {n}"',
            'display_name<"x"',
            f"({valid}",
            f"{valid})",
            f"{valid} AND",
            "()",
            'display_name="unterminated',
            "labels.=x",
            f"{valid} @ {valid}",
            "(" * deep + valid + ")" * deep,
            "NOT " * deep + valid,
        ]
    )


def list_queries(rng: random.Random) -> list[dict[str, str]]:
    """Seeded invalid list queries: a corrupted filter among valid restrictions, or a bad
    orderBy, pageSize or pageToken."""
    queries = []
    for n in range(RANDOM_LISTS):
        parts = [rng.choice(VALID_RESTRICTIONS) for _ in range(rng.randint(0, 3))]
        parts.insert(rng.randint(0, len(parts)), _corruption(rng, n))
        queries.append({"filter": f" {rng.choice(['AND', 'OR'])} ".join(parts)})
    bad_other = [
        {"orderBy": "bogus desc"},
        {"orderBy": "create_time sideways"},
        {"orderBy": "create_time desc extra"},
        {"orderBy": ",,"},
        {"pageSize": "abc"},
        {"pageSize": "-1"},
        {"pageSize": "1.5"},
        {"pageToken": "garbage!"},
        {"pageToken": "eyJhZnRlciI6IFtdfQ=="},
    ]
    return queries + bad_other


@pytest.mark.parametrize("deep", [3000])
def test_a_deeply_nested_filter_is_a_400(vertex_emulator: Emulator, deep: int) -> None:
    query = urlencode({"filter": "(" * deep + 'labels.a="b"' + ")" * deep})
    answer = call(vertex_emulator, "GET", f"{JOBS_PATH}?{query}", None, {})
    assert answer.status == 400 and "deeper than" in answer.body["error"]["message"]
    assert json.dumps(answer.body)  # an answer, not a dropped connection
