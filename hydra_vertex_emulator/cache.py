"""Vertex's execution cache: earlier successful executions by cache key, per project and region."""

import threading

from hydra_vertex_pipelines.runner import MemoryTaskCache


class ExecutionCache:
    """Server-wide and thread-safe: one LocalRunner TaskCache per project and region (Vertex's
    caching spans the pipelines there)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scopes: dict[str, MemoryTaskCache] = {}

    def scoped(self, scope: str) -> MemoryTaskCache:
        """The cache of one scope, projects/{number}/locations/{location}."""
        with self._lock:
            return self._scopes.setdefault(scope, MemoryTaskCache())
