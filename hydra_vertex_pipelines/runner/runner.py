"""LocalRunner: executes a compiled KFP pipeline spec on this machine, task by task.

It reads the spec, not the Hydra config: each task's container command and args run as a subprocess
(argv list, no shell) with the placeholders resolved, so what runs here is what Vertex runs. A
custom-job task runs the container of its CustomJob payload (custom_job).
"""

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .cache import TaskCache, cache_key
from .custom_job import NO_GCP_RESOURCES, PayloadError, WorkerContainer, worker_container
from .handler import TaskHandler
from .placeholders import resolve, resolve_inputs
from .process import ProcessSupervisor, interpreter
from .results import PipelineOutcome, PipelineResult, TaskResult, TaskState
from .spec import (
    check_parameter_values,
    component_of,
    container_of,
    custom_job_payload,
    dag_tasks,
    describe_resources,
    task_order,
    upstream_tasks,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSettings:
    # output lines are prefixed [label/task]
    label: str
    # echo the components' output to this process's stdout/stderr
    echo: bool = True
    # a component running longer fails its task; None: no limit
    timeout_s: float | None = None
    # stop scheduling tasks once one fails (Vertex's fail-fast); else run all that can run
    fail_fast: bool = True


@dataclass(frozen=True)
class InlineTask:
    # the DAG task that runs in this process instead of as its command
    task: str
    # called with the task's resolved args; returns (what TaskResult.inline_return becomes,
    # the error that fails the task or None)
    run: Callable[[list[str]], tuple[Any, str | None]]


class LocalRunner:
    """Runs one pipeline job: the spec, its runtime parameters, and the host's TaskHandler."""

    def __init__(
        self,
        spec: Mapping[str, Any],
        runtime_parameters: Mapping[str, str],
        settings: RunSettings,
        handler: TaskHandler,
        cache: TaskCache | None = None,
        inline: InlineTask | None = None,
    ) -> None:
        check_parameter_values(spec, runtime_parameters)
        self.spec = spec
        self.runtime_parameters = dict(runtime_parameters)
        self.settings = settings
        self.handler = handler
        self.cache = cache
        self.inline = inline
        self._processes = ProcessSupervisor(settings.echo)

    def cancel(self) -> None:
        """Stop the running task and run no more (safe from any thread)."""
        self._processes.cancel()

    def run(self) -> PipelineResult:
        order = task_order(self.spec)
        dag = dag_tasks(self.spec)
        results = {name: TaskResult(task=name) for name in order}
        first_error: str | None = None
        for name in order:
            result = results[name]
            blocked = [
                d for d in upstream_tasks(dag[name]) if results[d].state != TaskState.SUCCEEDED
            ]
            if self._processes.cancelled:
                result.state = TaskState.CANCELLED
            elif blocked or (first_error and self.settings.fail_fast):
                result.state = TaskState.SKIPPED
            else:
                self._run_task(name, dag[name], results, result)
                if result.state == TaskState.FAILED and first_error is None:
                    first_error = f"task {name} failed: {result.error}"
            self.handler.task_changed(result)
        if self._processes.cancelled:
            return PipelineResult(
                PipelineOutcome.CANCELLED, results, "the pipeline job was cancelled"
            )
        outcome = PipelineOutcome.FAILED if first_error else PipelineOutcome.SUCCEEDED
        return PipelineResult(outcome, results, first_error)

    def _reuse_cached(self, key: str, result: TaskResult) -> bool:
        assert self.cache is not None
        hit = self.cache.lookup(key)
        if hit is None:
            return False
        result.output_parameters = dict(hit.output_parameters)
        result.output_artifacts = dict(hit.output_artifacts)
        result.state, result.cached = TaskState.SUCCEEDED, True
        result.start_time = result.end_time = time.time()
        log.info(f"[{self.settings.label}/{result.task}] cached: reusing an earlier execution")
        return True

    def _run_task(
        self,
        name: str,
        task: Mapping[str, Any],
        results: Mapping[str, TaskResult],
        result: TaskResult,
    ) -> None:
        component = component_of(self.spec, task)
        container = container_of(self.spec, task)
        resolve_inputs(self.spec, self.runtime_parameters, task, results, result)
        outputs = component.get("outputDefinitions", {})
        folder = self.handler.task_folder(name)
        result.output_artifacts = {n: folder / n for n in outputs.get("artifacts", {})}
        result.output_parameter_files = {n: folder / n for n in outputs.get("parameters", {})}
        caching = bool(task.get("cachingOptions", {}).get("enableCache")) and self.cache is not None
        key = cache_key(component, container, result) if caching else ""
        if caching and self._reuse_cached(key, result):
            return
        for path in [*result.output_artifacts.values(), *result.output_parameter_files.values()]:
            path.parent.mkdir(parents=True, exist_ok=True)
        prefix = f"[{self.settings.label}/{name}]"
        payload = custom_job_payload(self.spec, task)
        if payload is None:
            command = [resolve(a, result) for a in container.get("command", [])]
            args = [resolve(a, result) for a in container.get("args", [])]
            env = {e["name"]: str(e.get("value", "")) for e in container.get("env", [])}
            described = describe_resources(container)
        else:
            worker = self._custom_job(payload, component, result)
            if worker is None:
                return
            command, args, env, described = worker.command, worker.args, worker.env, worker.machine
        if described:
            log.info(f"{prefix} resources (not enforced locally): {described}")
        retries = int(task.get("retryPolicy", {}).get("maxRetryCount", 0))
        inline = self.inline is not None and self.inline.task == name
        result.state, result.start_time = TaskState.RUNNING, time.time()
        self.handler.task_changed(result)
        for attempt in range(retries + 1):
            if attempt:
                log.info(f"{prefix} retry {attempt} of {retries}")
            result.state, result.error = TaskState.RUNNING, None
            if inline:
                self._run_inline(args, result)
            else:
                self._run_process(interpreter(command + args), env, result)
            if result.state != TaskState.FAILED or self._processes.cancelled:
                break
        if result.state == TaskState.RUNNING:
            self._read_output_parameters(result, inline)
        result.end_time = time.time()
        if result.state == TaskState.RUNNING:
            result.state = TaskState.SUCCEEDED
            if caching:
                assert self.cache is not None
                self.cache.store(key, result)

    def _custom_job(
        self, payload: str, component: Mapping[str, Any], result: TaskResult
    ) -> WorkerContainer | None:
        """The CustomJob's container; None, the task failed, if the payload is no CustomJob. The
        launcher's own output, gcp_resources, is written as it would write it."""
        try:
            worker = worker_container(payload, component, result)
        except PayloadError as e:
            result.state, result.error = TaskState.FAILED, str(e)
            result.start_time = result.end_time = time.time()
            return None
        resources_file = result.output_parameter_files.get("gcp_resources")
        if resources_file is not None:
            resources_file.write_text(NO_GCP_RESOURCES, encoding="utf-8")
        return worker

    def _read_output_parameters(self, result: TaskResult, inline: bool) -> None:
        for out_name, path in result.output_parameter_files.items():
            if path.is_file():
                result.output_parameters[out_name] = path.read_text(encoding="utf-8")
            elif not inline:
                result.state = TaskState.FAILED
                result.error = (
                    f"the component did not write its output parameter {out_name!r} ({path})"
                )

    def _run_inline(self, args: list[str], result: TaskResult) -> None:
        assert self.inline is not None
        try:
            result.inline_return, error = self.inline.run(args)
        except Exception as e:
            error = f"{type(e).__name__}: {e}"
        if error is not None:
            result.state, result.error = TaskState.FAILED, error

    def _run_process(
        self, argv: list[str], task_env: Mapping[str, str], result: TaskResult
    ) -> None:
        env = dict(os.environ) | dict(task_env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        outcome = self._processes.run(
            argv,
            env,
            self.handler.log_file(result.task),
            f"[{self.settings.label}/{result.task}] ",
            self.settings.timeout_s,
        )
        if outcome.cancelled:
            result.state, result.error = TaskState.CANCELLED, "cancelled"
        elif outcome.start_error is not None:
            result.state, result.error = TaskState.FAILED, outcome.start_error
        elif outcome.timed_out:
            result.state = TaskState.FAILED
            result.error = (
                f"timed out after {self.settings.timeout_s:g} s (local.timeout_s); "
                f"last stderr lines:\n{outcome.stderr_tail}"
            )
        elif outcome.exit_code != 0:
            assert outcome.exit_code is not None
            how = (
                f"was killed by signal {-outcome.exit_code}"
                if outcome.exit_code < 0
                else f"exited with status {outcome.exit_code}"
            )
            result.state = TaskState.FAILED
            result.error = f"{how}; last stderr lines:\n{outcome.stderr_tail}"
