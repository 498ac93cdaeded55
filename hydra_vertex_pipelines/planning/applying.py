"""How Hydra applies a job's value overrides (`x=1`, `+a.b=2`, `++c=3`, `~d`) to a composed
config (ConfigLoaderImpl._apply_overrides_to_config): what it resolves on the way, and whether it
is sure to take an override, known from the config alone.

`fits` answers for the common ones, `key=value` and `+key=value` of a scalar: the key exists (or,
for `+`, is free in a dict of any values), the path to it holds no interpolation, nothing on it is
read-only, and the node at the key takes the value (OmegaConf's own validation and conversion, run
on a copy of the node). For overrides at keys that are neither the same nor inside one another
(`independent`), each is taken alone as it is among the others. `parse_override` reads the
commonest job override, `key=number`, without Hydra's parser.
"""

import copy
import itertools
import re
from collections.abc import Sequence
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, OverrideType, ValueType
from omegaconf import DictConfig, ListConfig, Node, ValueNode


def resolved_on_apply(cfg: DictConfig, override: Override) -> bool:
    """Whether Hydra resolves an interpolation while applying the override: one on the way to
    its key (OmegaConf.update reads each parent), or at the key of a deletion, a `+` addition or
    a merged dict or list value. Hydra applies overrides before it fills in the hydra node, so
    such an interpolation might read something else there than in a restored composition."""
    leaf_read = (
        override.is_delete() or override.is_add() or isinstance(override.value(), (dict, list))
    )
    node: Node | None = cfg
    parts = override.key_or_group.split(".")
    for depth, part in enumerate(parts):
        if isinstance(node, ListConfig) and part.isdigit() and int(part) < len(node):
            node = node._get_node(int(part))  # type: ignore[assignment]
        elif isinstance(node, DictConfig):
            node = node._get_node(part, validate_access=False, validate_key=False)
        else:
            return False
        if node is None:
            return False
        if node._is_interpolation() and (depth < len(parts) - 1 or leaf_read):
            return True
    return False


def independent(overrides: Sequence[Override]) -> bool:
    """No two overrides at the same key, or one inside the other."""
    keys = sorted(o.key_or_group + "." for o in overrides)
    return all(not b.startswith(a) for a, b in itertools.pairwise(keys))


def fits(cfg: DictConfig, override: Override) -> bool:
    """Whether Hydra is sure to apply the value override `override` to `cfg` (False: not known).
    `cfg` is not changed."""
    value = override.value()
    if (
        override.package is not None
        or override.type not in (OverrideType.CHANGE, OverrideType.ADD)
        or isinstance(value, dict | list)
    ):
        return False
    *path, last = override.key_or_group.split(".")
    parent = cfg
    for key in path:
        node = parent._get_node(key, validate_access=False, validate_key=False)
        if not isinstance(node, DictConfig) or node._is_interpolation() or node._is_none():
            return False
        parent = node
    if parent._get_flag("readonly") or parent._is_missing():
        return False
    leaf = parent._get_node(last, validate_access=False, validate_key=False)
    if override.is_add():
        if leaf is None:  # added to a dict of any values (Hydra lifts struct for it)
            meta = parent._metadata
            return meta.object_type in (None, dict) and meta.element_type is Any
        if leaf._is_interpolation() or not leaf._is_none():
            return False  # Hydra: "Could not append to config"
    if not isinstance(leaf, ValueNode):
        return False
    probe = copy.copy(leaf)  # the node's own validation and conversion, on a copy
    try:
        probe._set_value(value)
    except Exception:
        return False
    return True


# `key=number`: a dotted key of ASCII identifiers and a decimal int or float, which Hydra's
# grammar reads as that key and number (a sweep's `x=range(1000)` gives 1000 of them)
_NUMBER_OVERRIDE = re.compile(
    r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)=(-?(?:0|[1-9]\d*)(\.\d+)?)", re.ASCII
)


def parse_override(parser: OverridesParser, text: str) -> Override:
    """`text` as Hydra's parser reads it; a `key=number` without the parser (a tenth of its 0.1
    ms)."""
    number = _NUMBER_OVERRIDE.fullmatch(text)
    if number is None:
        return parser.parse_override(text)
    key, value, fraction = number.groups()
    return Override(
        type=OverrideType.CHANGE,
        key_or_group=key,
        value_type=ValueType.ELEMENT,
        _value=float(value) if fraction else int(value),
        input_line=text,
    )
