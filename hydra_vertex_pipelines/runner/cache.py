"""Task caching as Vertex does it: a task with caching on whose component, container and inputs
equal an earlier successful execution's reuses that execution's outputs."""

import hashlib
import json
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from .results import TaskResult


class TaskCache(Protocol):
    """Where earlier successful executions are found by cache key (the emulator has one)."""

    def lookup(self, key: str) -> TaskResult | None: ...

    def store(self, key: str, result: TaskResult) -> None: ...


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


def cache_key(
    component: Mapping[str, Any], container: Mapping[str, Any], result: TaskResult
) -> str:
    """What identifies an execution: the component, its container (resources aside), its
    resolved input parameters and input artifacts."""
    identity = {
        "component": component,
        "container": {k: v for k, v in container.items() if k != "resources"},
        "parameters": result.input_parameters,
        "artifacts": {k: str(v) for k, v in result.input_artifacts.items()},
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
