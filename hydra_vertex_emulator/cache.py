"""Vertex's execution cache: earlier successful executions by cache key, per project and region."""

import copy
import threading
from dataclasses import dataclass

from hydra_plugins.hydra_vertex_pipeline_launcher._local_runner import TaskResult


class ExecutionCache:
    """Server-wide and thread-safe; `scoped()` gives the LocalRunner's TaskCache of one scope."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[tuple[str, str], TaskResult] = {}

    def lookup(self, scope: str, key: str) -> TaskResult | None:
        with self._lock:
            hit = self._results.get((scope, key))
            return None if hit is None else copy.deepcopy(hit)

    def store(self, scope: str, key: str, result: TaskResult) -> None:
        with self._lock:
            self._results[(scope, key)] = copy.deepcopy(result)

    def scoped(self, scope: str) -> "ScopedCache":
        return ScopedCache(self, scope)


@dataclass(frozen=True)
class ScopedCache:
    """The cache of one project and region (Vertex's caching spans its pipelines there)."""

    cache: ExecutionCache
    # projects/{number}/locations/{location}
    scope: str

    def lookup(self, key: str) -> TaskResult | None:
        return self.cache.lookup(self.scope, key)

    def store(self, key: str, result: TaskResult) -> None:
        self.cache.store(self.scope, key, result)
