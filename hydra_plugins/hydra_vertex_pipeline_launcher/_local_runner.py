"""LocalRunner: executes a compiled KFP pipeline spec on this machine, task by task.

It reads the spec, not the Hydra config: each task's container command and args run as a subprocess
(argv list, no shell) with the placeholders resolved, so what runs here is what Vertex runs.
"""

import contextlib
import hashlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

log = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(
    r"\{\{\$\.(inputs|outputs)\.(parameters|artifacts)\['([^']*)'\](?:\.(path|uri|output_file))?\}\}"
)
_ECHO_LOCK = threading.Lock()
STDERR_TAIL_LINES = 20
KILL_GRACE_S = 5.0


class SpecError(ValueError):
    """The spec or its parameter values cannot run (Vertex answers such a request with 400)."""


class TaskCache(Protocol):
    """Where earlier successful executions are found by cache key (the emulator has one)."""

    def lookup(self, key: str) -> "TaskResult | None": ...

    def store(self, key: str, result: "TaskResult") -> None: ...


@dataclass
class TaskResult:
    # the task's name in the spec's DAG
    task: str
    # PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED, or SKIPPED (upstream failed or cancelled)
    state: str = "PENDING"
    # wall-clock times (time.time()) of start and end
    start_time: float | None = None
    end_time: float | None = None
    # exit status of the last attempt's process; negative: killed by that signal
    exit_code: int | None = None
    # why the task failed
    error: str | None = None
    # outputs were reused from an earlier execution
    cached: bool = False
    # resolved input parameter values
    input_parameters: dict[str, str] = field(default_factory=dict)
    # paths of the input artifacts
    input_artifacts: dict[str, Path] = field(default_factory=dict)
    # values of the output parameters
    output_parameters: dict[str, str] = field(default_factory=dict)
    # files the component writes its output parameters to
    output_parameter_files: dict[str, Path] = field(default_factory=dict)
    # paths of the output artifacts
    output_artifacts: dict[str, Path] = field(default_factory=dict)
    # what an inline task's function gave back
    inline_return: Any = None


class MemoryTaskCache:
    """Successful executions by cache key while this object lives; safe across threads."""

    def __init__(self) -> None:
        self._results: dict[str, TaskResult] = {}
        self._lock = threading.Lock()

    def lookup(self, key: str) -> TaskResult | None:
        with self._lock:
            return self._results.get(key)

    def store(self, key: str, result: TaskResult) -> None:
        with self._lock:
            self._results.setdefault(key, result)


@dataclass
class PipelineResult:
    # SUCCEEDED, FAILED or CANCELLED
    state: str
    # per task, in execution order
    tasks: dict[str, TaskResult]
    # the first failure, with the task's name
    error: str | None = None


def task_order(spec: Mapping[str, Any]) -> list[str]:
    """DAG tasks in dependency order (spec order among independent ones)."""
    tasks = spec["root"]["dag"]["tasks"]
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            raise SpecError(f"the pipeline's DAG has a cycle through task {name!r}")
        visiting.add(name)
        for dep in _upstream_tasks(tasks[name]):
            if dep not in tasks:
                raise SpecError(f"task {name!r} depends on unknown task {dep!r}")
            visit(dep)
        order.append(name)

    for name in tasks:
        visit(name)
    return order


def _upstream_tasks(task: Mapping[str, Any]) -> list[str]:
    deps = list(task.get("dependentTasks", []))
    inputs = task.get("inputs", {})
    for spec in inputs.get("artifacts", {}).values():
        deps.append(spec.get("taskOutputArtifact", {}).get("producerTask"))
    for spec in inputs.get("parameters", {}).values():
        deps.append(spec.get("taskOutputParameter", {}).get("producerTask"))
    return [d for d in dict.fromkeys(deps) if d]


def check_parameter_values(spec: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    """Refuse unknown parameters and missing required ones, as Vertex does."""
    declared = spec.get("root", {}).get("inputDefinitions", {}).get("parameters", {})
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise SpecError(f"unknown pipeline parameters: {', '.join(unknown)}")
    missing = sorted(
        n
        for n, d in declared.items()
        if n not in values and "defaultValue" not in d and not d.get("isOptional")
    )
    if missing:
        raise SpecError(f"missing values for pipeline parameters: {', '.join(missing)}")


def _interpreter(argv: list[str]) -> list[str]:
    """`python`/`python3` as argv[0] means this interpreter."""
    if argv and argv[0] in ("python", "python3"):
        return [sys.executable, *argv[1:]]
    return argv


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _kill_group(proc: "subprocess.Popen[bytes]") -> None:
    """Stop the process and everything it started (its own session): TERM, a grace period,
    then KILL for whatever is left, also once the process itself has exited."""
    if proc.poll() is None:
        _signal_group(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=KILL_GRACE_S)
    _signal_group(proc.pid, signal.SIGKILL)
    proc.wait()


def _describe_resources(container: Mapping[str, Any]) -> str:
    res = container.get("resources", {})
    parts = []
    if "resourceCpuLimit" in res or "cpuLimit" in res:
        parts.append(f"cpu {res.get('resourceCpuLimit', res.get('cpuLimit'))}")
    if "resourceMemoryLimit" in res or "memoryLimit" in res:
        parts.append(f"memory {res.get('resourceMemoryLimit', res.get('memoryLimit'))}")
    acc = res.get("accelerator")
    if acc:
        parts.append(
            f"{acc.get('resourceType', acc.get('type'))} "
            f"x{acc.get('resourceCount', acc.get('count'))}"
        )
    return ", ".join(parts)


class LocalRunner:
    """Runs one pipeline job: the spec, its parameter values, and where its files go."""

    def __init__(
        self,
        spec: Mapping[str, Any],
        parameter_values: Mapping[str, str],
        *,
        job_dir: Path,
        artifact_root: Path,
        label: str,
        echo: bool = True,
        timeout_s: float | None = None,
        failure_policy: str = "fast",
        inline_task: str | None = None,
        inline_main: Callable[[list[str]], Any] | None = None,
        cache: TaskCache | None = None,
        on_update: Callable[[TaskResult], None] | None = None,
        task_root: Callable[[str], Path] | None = None,
    ) -> None:
        """`task_root(task)` is the folder of a task's outputs (default `artifact_root / task`);
        the emulator lays them out as Vertex does, one folder per execution."""
        check_parameter_values(spec, parameter_values)
        self.spec = spec
        self.parameter_values = dict(parameter_values)
        self.job_dir = job_dir
        self.artifact_root = artifact_root
        self.label = label
        self.echo = echo
        self.timeout_s = timeout_s
        self.failure_policy = failure_policy
        self.inline_task = inline_task
        self.inline_main = inline_main
        self.cache = cache
        self.on_update = on_update
        self.task_root = task_root
        self._cancelled = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._proc_lock = threading.Lock()

    def cancel(self) -> None:
        """Stop the running task and run no more (safe from any thread)."""
        self._cancelled.set()
        with self._proc_lock:
            if self._proc is not None:
                _kill_group(self._proc)

    def run(self) -> PipelineResult:
        order = task_order(self.spec)
        dag = self.spec["root"]["dag"]["tasks"]
        results: dict[str, TaskResult] = {name: TaskResult(task=name) for name in order}
        first_error: str | None = None
        for name in order:
            result = results[name]
            blocked = [d for d in _upstream_tasks(dag[name]) if results[d].state != "SUCCEEDED"]
            if self._cancelled.is_set():
                result.state = "CANCELLED"
            elif blocked or (first_error and self.failure_policy == "fast"):
                result.state = "SKIPPED"
            else:
                self._run_task(name, dag[name], results, result)
                if result.state == "FAILED" and first_error is None:
                    first_error = f"task {name} failed: {result.error}"
            self._notify(result)
        if self._cancelled.is_set():
            return PipelineResult("CANCELLED", results, "the pipeline job was cancelled")
        state = "FAILED" if first_error else "SUCCEEDED"
        return PipelineResult(state, results, first_error)

    def _notify(self, result: TaskResult) -> None:
        if self.on_update is not None:
            self.on_update(result)

    def _executor(self, task: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        component = self.spec["components"][task["componentRef"]["name"]]
        executor = self.spec["deploymentSpec"]["executors"][component["executorLabel"]]
        if "container" not in executor:
            kinds = ", ".join(executor)
            raise SpecError(f"executor {component['executorLabel']} ({kinds}) is not a container")
        return component, executor["container"]

    def _resolve_inputs(
        self, task: Mapping[str, Any], results: Mapping[str, TaskResult], result: TaskResult
    ) -> None:
        defaults = self.spec["root"].get("inputDefinitions", {}).get("parameters", {})
        for name, source in task.get("inputs", {}).get("parameters", {}).items():
            if "componentInputParameter" in source:
                pipeline_param = source["componentInputParameter"]
                value = self.parameter_values.get(
                    pipeline_param, defaults.get(pipeline_param, {}).get("defaultValue")
                )
            elif "taskOutputParameter" in source:
                out = source["taskOutputParameter"]
                value = results[out["producerTask"]].output_parameters[out["outputParameterKey"]]
            elif "runtimeValue" in source:
                value = source["runtimeValue"]["constant"]
            else:
                raise SpecError(f"task {result.task}: unsupported input parameter source {source}")
            result.input_parameters[name] = value if isinstance(value, str) else json.dumps(value)
        for name, source in task.get("inputs", {}).get("artifacts", {}).items():
            out = source.get("taskOutputArtifact")
            if out is None:
                raise SpecError(f"task {result.task}: unsupported input artifact source {source}")
            producer = results[out["producerTask"]]
            result.input_artifacts[name] = producer.output_artifacts[out["outputArtifactKey"]]

    def _resolve(self, text: str, result: TaskResult) -> str:
        def substitute(match: "re.Match[str]") -> str:
            direction, kind, name, _attr = match.groups()
            if direction == "inputs" and kind == "parameters":
                return result.input_parameters[name]
            if direction == "inputs":
                return str(result.input_artifacts[name])
            if kind == "parameters":
                return str(result.output_parameter_files[name])
            return str(result.output_artifacts[name])

        try:
            return _PLACEHOLDER.sub(substitute, text)
        except KeyError as e:
            raise SpecError(
                f"task {result.task}: placeholder names unknown input/output {e}"
            ) from e

    def _cache_key(
        self, component: Mapping[str, Any], container: Mapping[str, Any], result: TaskResult
    ) -> str:
        identity = {
            "component": component,
            "container": {k: v for k, v in container.items() if k != "resources"},
            "parameters": result.input_parameters,
            "artifacts": {k: str(v) for k, v in result.input_artifacts.items()},
        }
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()

    def _run_task(
        self,
        name: str,
        task: Mapping[str, Any],
        results: Mapping[str, TaskResult],
        result: TaskResult,
    ) -> None:
        component, container = self._executor(task)
        self._resolve_inputs(task, results, result)
        outputs = component.get("outputDefinitions", {})
        task_root = self.artifact_root / name if self.task_root is None else self.task_root(name)
        result.output_artifacts = {n: task_root / n for n in outputs.get("artifacts", {})}
        param_paths = {n: task_root / n for n in outputs.get("parameters", {})}
        result.output_parameter_files = param_paths
        caching = bool(task.get("cachingOptions", {}).get("enableCache")) and self.cache is not None
        key = self._cache_key(component, container, result) if caching else ""
        if caching:
            assert self.cache is not None
            hit = self.cache.lookup(key)
            if hit is not None:
                result.output_parameters = dict(hit.output_parameters)
                result.output_artifacts = dict(hit.output_artifacts)
                result.state, result.cached = "SUCCEEDED", True
                result.start_time = result.end_time = time.time()
                log.info(f"[{self.label}/{name}] cached: reusing an earlier execution's outputs")
                return
        command = [self._resolve(a, result) for a in container.get("command", [])]
        args = [self._resolve(a, result) for a in container.get("args", [])]
        for path in [*result.output_artifacts.values(), *param_paths.values()]:
            path.parent.mkdir(parents=True, exist_ok=True)
        described = _describe_resources(container)
        if described:
            log.info(f"[{self.label}/{name}] resources (not enforced locally): {described}")
        retries = int(task.get("retryPolicy", {}).get("maxRetryCount", 0))
        result.state, result.start_time = "RUNNING", time.time()
        self._notify(result)
        for attempt in range(retries + 1):
            if attempt:
                log.info(f"[{self.label}/{name}] retry {attempt} of {retries}")
            if name == self.inline_task and self.inline_main is not None:
                self._run_inline(args, result)
            else:
                self._run_process(_interpreter(command + args), container, result)
            if result.state != "FAILED" or self._cancelled.is_set():
                break
        if result.state == "RUNNING":
            self._read_output_parameters(param_paths, result, inline=name == self.inline_task)
        result.end_time = time.time()
        if result.state == "RUNNING":
            result.state = "SUCCEEDED"
            if caching:
                assert self.cache is not None
                self.cache.store(key, result)

    def _read_output_parameters(
        self, paths: Mapping[str, Path], result: TaskResult, inline: bool
    ) -> None:
        for out_name, path in paths.items():
            if path.is_file():
                result.output_parameters[out_name] = path.read_text(encoding="utf-8")
            elif not inline:
                result.state = "FAILED"
                result.error = (
                    f"the component did not write its output parameter {out_name!r} ({path})"
                )

    def _run_inline(self, args: list[str], result: TaskResult) -> None:
        assert self.inline_main is not None
        result.state, result.error = "RUNNING", None
        try:
            result.inline_return = self.inline_main(args)
        except Exception as e:
            result.state, result.error = "FAILED", f"{type(e).__name__}: {e}"

    def _run_process(
        self, argv: list[str], container: Mapping[str, Any], result: TaskResult
    ) -> None:
        env = dict(os.environ)
        env.update({e["name"]: str(e.get("value", "")) for e in container.get("env", [])})
        env.setdefault("PYTHONUNBUFFERED", "1")
        log_path = self.job_dir / f"{result.task}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        prefix = f"[{self.label}/{result.task}] "
        tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        result.state, result.error = "RUNNING", None
        with open(log_path, "a", encoding="utf-8") as log_file:
            with self._proc_lock:
                if self._cancelled.is_set():
                    result.state = "CANCELLED"
                    return
                try:
                    proc = subprocess.Popen(
                        argv,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        env=env,
                        start_new_session=True,
                    )
                except OSError as e:
                    result.state, result.error = "FAILED", f"cannot start {argv[0]!r}: {e}"
                    return
                self._proc = proc
            pumps = [
                threading.Thread(
                    target=self._pump, args=(proc.stdout, log_file, prefix, sys.stdout, None)
                ),
                threading.Thread(
                    target=self._pump, args=(proc.stderr, log_file, prefix, sys.stderr, tail)
                ),
            ]
            for pump in pumps:
                pump.start()
            timed_out = False
            try:
                proc.wait(timeout=self.timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                _kill_group(proc)  # also reaps what the component left running
                for pump in pumps:
                    pump.join()
                with self._proc_lock:
                    self._proc = None
        result.exit_code = proc.returncode
        stderr_tail = "".join(tail).rstrip()
        if self._cancelled.is_set():
            result.state, result.error = "CANCELLED", "cancelled"
        elif timed_out:
            result.state = "FAILED"
            result.error = (
                f"timed out after {self.timeout_s:g} s (local.timeout_s); "
                f"last stderr lines:\n{stderr_tail}"
            )
        elif proc.returncode != 0:
            how = (
                f"was killed by signal {-proc.returncode}"
                if proc.returncode < 0
                else f"exited with status {proc.returncode}"
            )
            result.state = "FAILED"
            result.error = f"{how}; last stderr lines:\n{stderr_tail}"

    def _pump(
        self,
        stream: IO[bytes],
        log_file: IO[str],
        prefix: str,
        echo_to: IO[str],
        tail: "deque[str] | None",
    ) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", errors="replace")
            if not line.endswith("\n"):
                line += "\n"
            with _ECHO_LOCK:
                log_file.write(line)
                log_file.flush()
                if self.echo:
                    echo_to.write(prefix + line)
                    echo_to.flush()
            if tail is not None:
                tail.append(line)
        stream.close()
