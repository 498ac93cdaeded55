"""The pipeline's components as Hydra composed them, an open dict (so that the command line can
add one: `+hydra.launcher.components.prep={command:[python,prep.py]}`), made into ComponentConf.
Whether written in a yaml or on the command line, every setting that does not fit is listed with
its key and a fix that is itself an override."""

import dataclasses
import difflib
import re
import types
from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hydra_plugins.hydra_vertex_pipeline_launcher.config import ComponentConf

from .planning.overrides import hydra_literal

COMPONENTS_KEY = "hydra.launcher.components"
EXAMPLE_COMPONENT = "{main:true,command:[python,app.py]}"
# one dot-separated part of a key in a Hydra override (its grammar's KEY_SPECIAL or an int)
_KEY_PART = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*|0|[1-9](_?[0-9])*")


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
    return hydra_literal(str(value))


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


def _without_none(hint: Any) -> tuple[Any, bool]:
    """(the type, whether null is allowed) of a field's type hint."""
    if get_origin(hint) in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        return args[0], len(args) < len(get_args(hint))
    return hint, False


def _expected(hint: Any) -> str:
    kind, nullable = _without_none(hint)
    origin = get_origin(kind)
    if isinstance(kind, type) and issubclass(kind, Enum):
        text = f"one of {', '.join(kind.__members__)}"
        return f"{text} or null" if nullable else text
    text = {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}.get(
        kind, "a list of strings" if origin is list else "a mapping of strings"
    )
    return f"{text} or null" if nullable else text


def _example(hint: Any, value: Any, default: Any) -> str:
    """A value of the field's type: its default, or close to what was written."""
    kind, _ = _without_none(hint)
    if isinstance(default, int | float | str) and not isinstance(default, bool):
        return override_value(default)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return next(iter(kind.__members__))
    origin = get_origin(kind)
    scalar = not isinstance(value, Mapping | list | tuple) and value is not None
    if origin is list:
        return f"[{override_value(value)}]" if scalar else "[]"
    if origin is dict:
        return "{}"
    return {bool: "true", int: "1", float: "1.0"}.get(kind, "''")


def _fits(cls: type, name: str, hint: Any, value: Any) -> bool:
    """Whether OmegaConf takes `value` for the field (converting as it does, e.g. 8 -> "8"), and
    a list's or mapping's elements are plain values."""
    if isinstance(value, Mapping | list | tuple):
        elements = value.values() if isinstance(value, Mapping) else value
        if any(v is None or isinstance(v, Mapping | list | tuple) for v in elements):
            return False
    try:
        OmegaConf.merge(OmegaConf.structured(cls), {name: value})
    except OmegaConfBaseException:
        return False
    return True


def _setting_problems(cls: type, key: str, raw: Mapping[str, Any]) -> Iterator[str]:
    """The problems of the settings `raw` of the dataclass `cls`, written at `key`."""
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    defaults = cls()
    for name, value in raw.items():
        setting = f"{key}.{name}"
        if name not in hints:
            close = difflib.get_close_matches(str(name), names, n=1)
            guess = f" (did you mean {close[0]}?)" if close else ""
            yield (
                f"{setting} is not a setting{guess}: remove it (~{setting}) or correct its name; "
                f"the settings at {key} are {', '.join(names)}."
            )
        elif dataclasses.is_dataclass(hints[name]):
            if isinstance(value, Mapping):
                yield from _setting_problems(hints[name], setting, value)
            else:
                yield (
                    f"{setting}={override_value(value)} is not a mapping of settings: write e.g. "
                    f"{setting}={{}} and set its keys, {setting}.<key>=<value>."
                )
        elif not _fits(cls, name, hints[name], value):
            yield (
                f"{setting}={override_value(value)} is not {_expected(hints[name])}: set e.g. "
                f"{setting}={_example(hints[name], value, getattr(defaults, name))}."
            )


def component_problems(name: str, raw: Any) -> list[str]:
    """Why the component written as `raw` at hydra.launcher.components.<name> is not a
    ComponentConf; empty if it is one."""
    key = f"{COMPONENTS_KEY}.{name}"
    if not isinstance(raw, Mapping):
        return [
            f"{key}={override_value(raw)} is not a component: remove it (~{key}) or write its "
            f"settings, e.g. {key}={EXAMPLE_COMPONENT}."
        ]
    return list(_setting_problems(ComponentConf, key, raw))


def typed_components(raw: Mapping[str, Any]) -> tuple[dict[str, ComponentConf], list[str]]:
    """The components as ComponentConf, and every problem of the ones that are not."""
    components: dict[str, ComponentConf] = {}
    problems: list[str] = []
    for name, settings in raw.items():
        found = component_problems(str(name), settings)
        problems += found
        if not found:
            typed = OmegaConf.to_object(
                OmegaConf.merge(OmegaConf.structured(ComponentConf), settings)
            )
            assert isinstance(typed, ComponentConf)
            components[str(name)] = typed
    return components, problems
