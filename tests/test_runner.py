"""The LocalRunner on hand-written pipeline specs: order, placeholders, failure policies, retries,
caching, output parameters, cancellation, and what the TaskHandler sees.

Components are `sh -c` one-liners (fast to start); each appends to a file under the test's folder,
so the test counts what really ran.
"""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from hydra_vertex_pipelines.runner import (
    JobDirHandler,
    LocalRunner,
    MemoryTaskCache,
    PipelineOutcome,
    RunSettings,
    SpecError,
    TaskResult,
    TaskState,
    task_order,
)
from hydra_vertex_pipelines.runner.placeholders import resolve, resolve_inputs


def task(
    script: str,
    *,
    after: Sequence[str] = (),
    params: Mapping[str, Any] | None = None,
    artifacts: Mapping[str, str] | None = None,
    outputs: Sequence[str] = (),
    output_params: Sequence[str] = (),
    retries: int = 0,
    cache: bool = False,
) -> dict[str, Any]:
    """One task of the root DAG with its own component and executor; `script` runs in sh -c with
    `$0`.. the args. `params`: input name -> source; `artifacts`: input name -> producer task
    (whose output `data` it reads)."""
    return {
        "script": script,
        "after": list(after),
        "params": dict(params or {}),
        "artifacts": dict(artifacts or {}),
        "outputs": list(outputs),
        "output_params": list(output_params),
        "retries": retries,
        "cache": cache,
    }


def spec(tasks: Mapping[str, Mapping[str, Any]], parameters: Sequence[str] = ()) -> dict[str, Any]:
    """A PipelineSpec dict as kfp compiles it, for the tasks above."""
    dag: dict[str, Any] = {}
    components: dict[str, Any] = {}
    executors: dict[str, Any] = {}
    for name, t in tasks.items():
        inputs: dict[str, Any] = {}
        if t["params"]:
            inputs["parameters"] = dict(t["params"])
        if t["artifacts"]:
            inputs["artifacts"] = {
                key: {"taskOutputArtifact": {"producerTask": producer, "outputArtifactKey": "data"}}
                for key, producer in t["artifacts"].items()
            }
        node: dict[str, Any] = {"componentRef": {"name": f"comp-{name}"}, "inputs": inputs}
        if t["after"]:
            node["dependentTasks"] = t["after"]
        if t["retries"]:
            node["retryPolicy"] = {"maxRetryCount": t["retries"]}
        if t["cache"]:
            node["cachingOptions"] = {"enableCache": True}
        dag[name] = node
        components[f"comp-{name}"] = {
            "executorLabel": f"exec-{name}",
            "outputDefinitions": {
                "artifacts": {o: {} for o in t["outputs"]},
                "parameters": {o: {"parameterType": "STRING"} for o in t["output_params"]},
            },
        }
        args = [f"{{{{$.inputs.parameters['{p}']}}}}" for p in t["params"]]
        args += [f"{{{{$.inputs.artifacts['{a}'].path}}}}" for a in t["artifacts"]]
        args += [f"{{{{$.outputs.artifacts['{o}'].path}}}}" for o in t["outputs"]]
        args += [f"{{{{$.outputs.parameters['{o}'].output_file}}}}" for o in t["output_params"]]
        executors[f"exec-{name}"] = {
            "container": {"image": "unused", "command": ["sh", "-c", t["script"]], "args": args}
        }
    declared = {p: {"parameterType": "STRING"} for p in parameters}
    return {
        "pipelineInfo": {"name": "test"},
        "root": {"dag": {"tasks": dag}, "inputDefinitions": {"parameters": declared}},
        "components": components,
        "deploymentSpec": {"executors": executors},
    }


class RecordingHandler(JobDirHandler):
    """The local layout, and every state change seen."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder, folder / "artifacts")
        self.changes: list[tuple[str, TaskState]] = []

    def task_changed(self, result: TaskResult) -> None:
        self.changes.append((result.task, result.state))


def run(
    tmp_path: Path,
    pipeline: dict[str, Any],
    parameters: Mapping[str, str] | None = None,
    *,
    fail_fast: bool = True,
    cache: MemoryTaskCache | None = None,
) -> tuple[Any, RecordingHandler]:
    handler = RecordingHandler(tmp_path)
    runner = LocalRunner(
        pipeline,
        parameters or {},
        RunSettings(label="t", echo=False, fail_fast=fail_fast),
        handler,
        cache=cache,
    )
    return runner.run(), handler


def ran(tmp_path: Path) -> list[str]:
    """What the components appended to `ran` (one line per execution)."""
    path = tmp_path / "ran"
    return path.read_text().split() if path.exists() else []


def mark(name: str, tmp_path: Path) -> str:
    return f"echo {name} >> '{tmp_path}/ran'"


def test_order_follows_dependencies_then_spec_order() -> None:
    pipeline = spec(
        {
            "c": task("true", after=["b"]),
            "a": task("true"),
            "b": task("true", artifacts={"x": "a"}),
            "d": task("true"),
        }
    )
    pipeline["components"]["comp-a"]["outputDefinitions"]["artifacts"] = {"data": {}}
    assert task_order(pipeline) == ["a", "b", "c", "d"]


def test_cycles_and_unknown_dependencies_are_refused() -> None:
    with pytest.raises(SpecError, match="cycle"):
        task_order(spec({"a": task("true", after=["b"]), "b": task("true", after=["a"])}))
    with pytest.raises(SpecError, match="unknown task 'z'"):
        task_order(spec({"a": task("true", after=["z"])}))


def test_parameters_artifacts_and_outputs_are_substituted(tmp_path: Path) -> None:
    pipeline = spec(
        {
            "make": task('mkdir "$1"; echo "$0" > "$1/v"', params={"p": {}}, outputs=["data"]),
            "use": task(
                'cat "$1/v" > "$2"; printf "%s" "$0" >> "$2"',
                params={"k": {"runtimeValue": {"constant": 7}}},
                artifacts={"in": "make"},
                output_params=["out"],
            ),
        },
        parameters=["p"],
    )
    pipeline["root"]["dag"]["tasks"]["make"]["inputs"]["parameters"]["p"] = {
        "componentInputParameter": "p"
    }
    result, _ = run(tmp_path, pipeline, {"p": "a=b, 'ñ'"})
    assert result.outcome == PipelineOutcome.SUCCEEDED
    use = result.tasks["use"]
    assert use.input_parameters == {"k": "7"}  # a non-string constant arrives as JSON text
    assert use.input_artifacts["in"] == tmp_path / "artifacts" / "make" / "data"
    assert use.output_parameters["out"] == "a=b, 'ñ'\n7"


def test_resolve_names_every_placeholder_kind(tmp_path: Path) -> None:
    result = TaskResult(
        task="t",
        input_parameters={"p": "v"},
        input_artifacts={"a": tmp_path / "a"},
        output_artifacts={"o": tmp_path / "o"},
        output_parameter_files={"r": tmp_path / "r"},
    )
    text = (
        "{{$.inputs.parameters['p']}}|{{$.inputs.artifacts['a'].path}}|"
        "{{$.outputs.artifacts['o'].uri}}|{{$.outputs.parameters['r'].output_file}}"
    )
    assert resolve(text, result) == f"v|{tmp_path}/a|{tmp_path}/o|{tmp_path}/r"
    with pytest.raises(SpecError, match="unknown input/output 'q'"):
        resolve("{{$.inputs.parameters['q']}}", result)


def test_a_missing_parameter_takes_the_spec_default(tmp_path: Path) -> None:
    pipeline = spec({"t": task("true", params={"p": {"componentInputParameter": "p"}})}, ["p"])
    pipeline["root"]["inputDefinitions"]["parameters"]["p"]["defaultValue"] = "dflt"
    result = TaskResult(task="t")
    resolve_inputs(pipeline, {}, pipeline["root"]["dag"]["tasks"]["t"], {}, result)
    assert result.input_parameters == {"p": "dflt"}


def test_unknown_and_missing_runtime_parameters_are_refused(tmp_path: Path) -> None:
    pipeline = spec({"t": task("true")}, parameters=["needed"])
    with pytest.raises(SpecError, match="missing values for pipeline parameters: needed"):
        run(tmp_path, pipeline)
    with pytest.raises(SpecError, match="unknown pipeline parameters: extra"):
        run(tmp_path, pipeline, {"needed": "1", "extra": "2"})


def siblings(tmp_path: Path) -> dict[str, Any]:
    """`bad` fails; `good` is independent of it; `after_bad` depends on it."""
    return spec(
        {
            "bad": task(f"{mark('bad', tmp_path)}; exit 3"),
            "good": task(mark("good", tmp_path)),
            "after_bad": task(mark("after_bad", tmp_path), after=["bad"]),
        }
    )


def test_fail_fast_stops_scheduling_after_the_first_failure(tmp_path: Path) -> None:
    result, _ = run(tmp_path, siblings(tmp_path), fail_fast=True)
    assert result.outcome == PipelineOutcome.FAILED
    states = {name: t.state for name, t in result.tasks.items()}
    assert states == {
        "bad": TaskState.FAILED,
        "good": TaskState.SKIPPED,
        "after_bad": TaskState.SKIPPED,
    }
    assert ran(tmp_path) == ["bad"]
    assert result.error is not None and result.error.startswith("task bad failed: exited")


def test_fail_slow_runs_every_task_that_can_run(tmp_path: Path) -> None:
    result, _ = run(tmp_path, siblings(tmp_path), fail_fast=False)
    assert result.outcome == PipelineOutcome.FAILED
    states = {name: t.state for name, t in result.tasks.items()}
    assert states == {
        "bad": TaskState.FAILED,
        "good": TaskState.SUCCEEDED,  # would be SKIPPED under fail-fast
        "after_bad": TaskState.SKIPPED,  # its upstream failed
    }
    assert ran(tmp_path) == ["bad", "good"]


def test_retries_rerun_until_success(tmp_path: Path) -> None:
    # fails on its first two executions, succeeds on the third
    script = f"{mark('flaky', tmp_path)}; [ $(wc -l < '{tmp_path}/ran') -ge 3 ]"
    result, handler = run(tmp_path, spec({"flaky": task(script, retries=3)}))
    assert result.outcome == PipelineOutcome.SUCCEEDED
    assert ran(tmp_path) == ["flaky"] * 3
    assert result.tasks["flaky"].error is None
    assert handler.changes == [("flaky", TaskState.RUNNING), ("flaky", TaskState.SUCCEEDED)]
    exhausted, _ = run(tmp_path / "x", spec({"t": task("exit 1", retries=1)}))
    assert exhausted.outcome == PipelineOutcome.FAILED


def test_cache_reuses_an_equal_execution_only(tmp_path: Path) -> None:
    cache = MemoryTaskCache()
    make = task(f'{mark("make", tmp_path)}; echo "$0" > "$1"', outputs=["data"], cache=True)
    make["params"] = {"p": {"componentInputParameter": "p"}}
    pipeline = spec({"make": make}, parameters=["p"])
    first, _ = run(tmp_path / "1", pipeline, {"p": "x"}, cache=cache)
    second, _ = run(tmp_path / "2", pipeline, {"p": "x"}, cache=cache)
    other, _ = run(tmp_path / "3", pipeline, {"p": "y"}, cache=cache)
    assert ran(tmp_path) == ["make", "make"]  # the second run was a cache hit
    assert (first.tasks["make"].cached, second.tasks["make"].cached) == (False, True)
    assert not other.tasks["make"].cached
    # a hit hands over the earlier execution's outputs
    assert second.tasks["make"].output_artifacts == first.tasks["make"].output_artifacts
    uncached = dict(make, cache=False)
    again, _ = run(tmp_path / "4", spec({"make": uncached}, ["p"]), {"p": "x"}, cache=cache)
    assert not again.tasks["make"].cached and ran(tmp_path) == ["make"] * 3


def test_a_failed_execution_is_not_cached(tmp_path: Path) -> None:
    cache = MemoryTaskCache()
    pipeline = spec({"t": task(f"{mark('t', tmp_path)}; exit 1", cache=True)})
    run(tmp_path / "1", pipeline, cache=cache)
    run(tmp_path / "2", pipeline, cache=cache)
    assert ran(tmp_path) == ["t", "t"]


def test_an_unwritten_output_parameter_fails_the_task(tmp_path: Path) -> None:
    result, _ = run(tmp_path, spec({"t": task("true", output_params=["value"])}))
    assert result.tasks["t"].state == TaskState.FAILED
    assert "did not write its output parameter 'value'" in str(result.tasks["t"].error)


def test_stderr_tail_and_exit_status_are_reported(tmp_path: Path) -> None:
    result, _ = run(tmp_path, spec({"t": task("echo first >&2; echo boom >&2; exit 7")}))
    error = str(result.tasks["t"].error)
    assert error.startswith("exited with status 7; last stderr lines:")
    assert error.endswith("first\nboom")
    assert (tmp_path / "logs" / "t.log").read_text() == "first\nboom\n"


def test_a_command_that_cannot_start_fails_its_task(tmp_path: Path) -> None:
    pipeline = spec({"t": task("true")})
    pipeline["deploymentSpec"]["executors"]["exec-t"]["container"]["command"] = ["/no/such"]
    result, _ = run(tmp_path, pipeline)
    assert "cannot start '/no/such'" in str(result.tasks["t"].error)


def test_cancel_before_run_runs_nothing(tmp_path: Path) -> None:
    handler = RecordingHandler(tmp_path)
    runner = LocalRunner(
        spec({"a": task(mark("a", tmp_path)), "b": task(mark("b", tmp_path))}),
        {},
        RunSettings(label="t", echo=False),
        handler,
    )
    runner.cancel()
    result = runner.run()
    assert result.outcome == PipelineOutcome.CANCELLED
    assert [t.state for t in result.tasks.values()] == [TaskState.CANCELLED] * 2
    assert ran(tmp_path) == []
    assert handler.changes == [("a", TaskState.CANCELLED), ("b", TaskState.CANCELLED)]
