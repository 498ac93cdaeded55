"""The emulator runs commands, so it serves this machine's API clients only: requests a web page
can make (CORS simple requests, DNS rebinding) are refused before anything runs, and no path
derived from a request leaves its storage dir."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from emulator_helpers import Pipeline, poll, runs
from raw_requests import JOBS_PATH, JSON, call, create, create_body

from hydra_vertex_emulator.emulator import Emulator, EmulatorConfig
from hydra_vertex_emulator.errors import ApiError
from hydra_vertex_emulator.guard import RequestGuard

ATTACKS = {
    # a form or fetch() without preflight: text/plain is a CORS simple request
    "text-plain": {"Content-Type": "text/plain"},
    "no-content-type": {},
    # a page on another site, with a JSON body (its preflight is not answered either)
    "foreign-origin": {**JSON, "Origin": "http://evil.example"},
    "cross-site-fetch": {**JSON, "Sec-Fetch-Site": "cross-site"},
    # DNS rebinding: attacker.example resolves to 127.0.0.1, the browser sends its name
    "rebinding-host": {**JSON, "Host": "attacker.example:8080"},
}


def test_requests_a_web_page_can_make_start_nothing(
    vertex_emulator: Emulator, pipeline: Pipeline, tmp_path: Path
) -> None:
    body = create_body(pipeline)
    for n, (name, headers) in enumerate(ATTACKS.items()):
        answer = create(vertex_emulator, body, f"attack-{n}", headers)
        assert 400 <= answer.status < 500 and answer.google_error, (name, answer)
    listing = call(vertex_emulator, "GET", JOBS_PATH, headers={"Host": "attacker.example"})
    assert listing.status == 403 and listing.google_error
    stats = vertex_emulator.stats()
    assert stats["refused"] == len(ATTACKS) + 1
    assert stats["created"] == {}
    assert call(vertex_emulator, "GET", JOBS_PATH, headers={}).body == {}  # no job at all
    assert runs(tmp_path, "prep") == 0  # the command that writes this file never ran
    # the same request from an API client runs the command: the file is its proof
    assert create(vertex_emulator, body, "allowed").status == 200
    poll(lambda: runs(tmp_path, "prep") == 1, "the allowed job's first task to run")


@pytest.mark.parametrize(
    "host", ["localhost", "127.0.0.1:8080", "LOCALHOST:1", "127.1.2.3", "[::1]:8080"]
)
def test_this_machine_s_names_are_served(vertex_emulator: Emulator, host: str) -> None:
    assert call(vertex_emulator, "GET", JOBS_PATH, headers={"Host": host}).status == 200


def test_bodiless_reads_need_no_content_type(vertex_emulator: Emulator) -> None:
    """curl and requests send no Content-Type on a GET; the GAPIC clients send JSON always."""
    assert call(vertex_emulator, "GET", JOBS_PATH, headers={}).status == 200
    assert call(vertex_emulator, "GET", "/emulator/stats", headers={}).status == 200
    # the emulator's own endpoints are guarded too: faults are settings of the server
    refused = call(vertex_emulator, "POST", "/emulator/reset", b"", {"Content-Type": "text/plain"})
    assert refused.status == 400 and refused.google_error


def test_listening_beyond_this_machine_needs_an_explicit_flag(tmp_path: Path) -> None:
    """Refused before anything listens; what a wildcard bind then accepts is checked without
    binding one (the tests use 127.0.0.1 only)."""
    config = EmulatorConfig(host="0.0.0.0", port=0, storage_dir=tmp_path / "s")
    with pytest.raises(ValueError, match="--allow-remote"):
        Emulator(config)
    assert not (tmp_path / "s").exists()
    wildcard = RequestGuard("0.0.0.0", 8080)
    # an address is fine (DNS rebinding goes by a name), a name other than localhost is not
    assert wildcard.host_allowed("192.0.2.7") and wildcard.host_allowed("localhost")
    assert not wildcard.host_allowed("attacker.example")
    with pytest.raises(ApiError, match="is not this machine"):
        wildcard.check("GET", {"host": "attacker.example:8080"}, has_body=False)
    named = RequestGuard("build-box.internal", 8080)
    assert named.host_allowed("build-box.internal") and not named.host_allowed("192.0.2.7")


def _rename_task(body: dict[str, Any], old: str, new: str) -> None:
    tasks = body["pipelineSpec"]["root"]["dag"]["tasks"]
    tasks[new] = tasks.pop(old)
    for task in tasks.values():
        task["dependentTasks"] = [new if d == old else d for d in task.get("dependentTasks", [])]
        for source in task.get("inputs", {}).get("artifacts", {}).values():
            output = source["taskOutputArtifact"]
            output["producerTask"] = (
                new if output["producerTask"] == old else output["producerTask"]
            )


def _rename_output(body: dict[str, Any], new: str) -> None:
    spec = body["pipelineSpec"]
    artifacts = spec["components"]["comp-prep"]["outputDefinitions"]["artifacts"]
    artifacts[new] = artifacts.pop("dataset")
    source = spec["root"]["dag"]["tasks"]["train"]["inputs"]["artifacts"]["dataset"]
    source["taskOutputArtifact"]["outputArtifactKey"] = new


ESCAPES: dict[str, Callable[[dict[str, Any]], None]] = {
    "root": lambda body: body["runtimeConfig"].update(gcsOutputDirectory="gs://bkt/../../../x"),
    "task-key": lambda body: _rename_task(body, "prep", "../../../../../x"),
    "task-key-log": lambda body: _rename_task(body, "prep", "../x"),
    "output-name": lambda body: _rename_output(body, "../../../../../../x"),
    "gcs-mount-value": lambda body: body["runtimeConfig"]["parameterValues"].update(
        hydra_run_dir="/gcs/bkt/../../../x"
    ),
}


@pytest.mark.parametrize("escape", ESCAPES, ids=list(ESCAPES))
def test_paths_leading_outside_the_storage_dir_are_refused(
    vertex_emulator: Emulator, pipeline: Pipeline, tmp_path: Path, escape: str
) -> None:
    body = create_body(pipeline)
    ESCAPES[escape](body)
    answer = create(vertex_emulator, body, "escape")
    assert answer.status == 400 and answer.google_error, answer
    assert "must stay inside the emulator's storage" in answer.body["error"]["message"]
    assert vertex_emulator.stats()["created"] == {}
    assert runs(tmp_path, "prep") == 0
    outside = {p.name for p in tmp_path.iterdir()} - {"vertex-storage", "emulated.yaml"}
    assert outside == set()
