"""Settings written as Hydra command-line overrides, for the fixes that error messages suggest:
each is an override that works as written."""

import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

# a value Hydra's override grammar reads unquoted as that text
_PLAIN_VALUE = re.compile(r"[A-Za-z_][\w\-./]*")
_KEYWORD_VALUES = {"true", "false", "null", "nan", "inf"}
# a quote, or the end of the text, and the backslashes before it (Hydra unescapes only those)
_QUOTE_OR_END = re.compile(r"(\\*)('|$)")
# one dot-separated part of a key in a Hydra override (its grammar's KEY_SPECIAL or an int)
_KEY_PART = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*|0|[1-9](_?[0-9])*")


def _text(text: str) -> str:
    """`text` as an override value: as is when plain, else single-quoted (an interpolation in it
    stays one)."""
    if _PLAIN_VALUE.fullmatch(text) and text.lower() not in _KEYWORD_VALUES:
        return text
    escaped = _QUOTE_OR_END.sub(lambda m: m[1] * 2 + ("\\'" if m[2] else ""), text)
    return f"'{escaped}'"


def override_value(value: Any) -> str:
    """`value` written as the value of a Hydra command-line override."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{override_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(override_value(v) for v in value) + "]"
    return _text(str(value))


def entry_override(mapping_key: str, entry: str, value: Any) -> str:
    """The override that sets `entry` of the mapping at `mapping_key`, whatever the entry's key
    (a dict value is merged: `inputs={data.dir:data.dataset}` sets the key `data.dir`)."""
    if _KEY_PART.fullmatch(entry):
        return f"{mapping_key}.{entry}={override_value(value)}"
    return f"{mapping_key}={{{entry}:{override_value(value)}}}"


def removal(mapping_key: str, entry: str) -> str:
    """How to remove `entry` of the mapping at `mapping_key`: an override where one can name it."""
    if _KEY_PART.fullmatch(entry):
        return f"~{mapping_key}.{entry}"
    return f"remove it from {mapping_key} where it is written"
