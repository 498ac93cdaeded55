"""Vertex's execution cache: earlier successful executions by cache key, per project, region and
pipeline name.

The cache key is what Vertex documents as a step's interface: its inputs (parameter values,
input artifacts), its output definitions and its component's spec (image, command, args, env),
and "only the pipelines with the same pipeline name will share the cache"
(https://cloud.google.com/vertex-ai/docs/pipelines/configure-caching). The key itself is the
runner's (hydra_vertex_pipelines.runner.cache_key); the scope is here.
"""

import threading

from hydra_vertex_pipelines.runner import MemoryTaskCache


class ExecutionCache:
    """Server-wide and thread-safe: one LocalRunner TaskCache per project, region and pipeline
    name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scopes: dict[tuple[str, str], MemoryTaskCache] = {}

    def scoped(self, parent: str, pipeline_name: str) -> MemoryTaskCache:
        """The cache of one pipeline (its pipelineInfo.name) in projects/{number}/locations/
        {location}."""
        with self._lock:
            return self._scopes.setdefault((parent, pipeline_name), MemoryTaskCache())
