"""ConfigSnapshot: a composed config kept as pickled bytes, restored as a fresh copy when needed.

Restoring a pickle of an OmegaConf config is about 3x faster than `copy.deepcopy` of it, and the
bytes take about a seventh of the memory of the live config. A config that does not pickle (a
structured config whose dataclass is local to a function), or that is checked and does not come
back the same (`same_config`), is kept live and deep-copied instead.
"""

import copy
import pickle
from typing import Any

from omegaconf import Container, DictConfig, ListConfig, Node


def _metadata(node: Node) -> dict[str, Any]:
    """What a node is beside its value: its types, key and flags (not the resolver cache)."""
    fields = dict(vars(node._metadata))
    fields.pop("resolver_cache", None)
    return fields


def same_config(a: Any, b: Any) -> bool:
    """Two configs are the same node for node: classes, metadata (types, flags, keys), values as
    written (interpolations unresolved), missing and None alike, keys in the same order."""
    if type(a) is not type(b):
        return False
    if not isinstance(a, Node):
        return bool(a == b)
    if _metadata(a) != _metadata(b):
        return False
    if not isinstance(a, Container):
        return bool(a._value() == b._value()) and type(a._value()) is type(b._value())
    if a._is_missing() or a._is_none() or a._is_interpolation():
        return bool(a._value() == b._value())
    if isinstance(a, DictConfig):
        keys = list(a.keys())
        if keys != list(b.keys()):
            return False
        return all(same_config(a._get_node(k), b._get_node(k)) for k in keys)
    assert isinstance(a, ListConfig)
    return len(a) == len(b) and all(
        same_config(a._get_node(i), b._get_node(i)) for i in range(len(a))
    )


class ConfigSnapshot:
    """A config as it was when taken; `restore()` gives a new copy each time."""

    def __init__(self, config: DictConfig, check: bool) -> None:
        """`check`: restore the pickle once and compare (a few ms); without, pickled configs are
        trusted to come back the same (a config made from a checked one by Hydra's overrides)."""
        self._pickled: bytes | None = None
        self._live: DictConfig | None = None
        try:
            pickled = pickle.dumps(config, protocol=pickle.HIGHEST_PROTOCOL)
            if not check or same_config(pickle.loads(pickled), config):
                self._pickled = pickled
        except Exception:
            self._pickled = None
        if self._pickled is None:
            self._live = copy.deepcopy(config)

    @property
    def pickled(self) -> bool:
        """Kept as a (faithful, when checked) pickle, not as a live copy."""
        return self._pickled is not None

    def restore(self) -> DictConfig:
        if self._pickled is not None:
            restored: DictConfig = pickle.loads(self._pickled)
            return restored
        return copy.deepcopy(self._live)  # type: ignore[return-value]
