"""Override keys written as text: `key=` carries a value, `~key` does not."""

from collections.abc import Sequence

from hydra_vertex_pipelines.planning.overrides import OverrideKey


def keys_of(texts: Sequence[str]) -> list[OverrideKey]:
    return [OverrideKey(t.removesuffix("="), t.endswith("=")) for t in texts]
