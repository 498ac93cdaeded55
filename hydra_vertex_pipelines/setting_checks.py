"""hydra.launcher as Hydra composed it, checked against its dataclasses before they are built.
Its components are an open dict (so that the command line can add one:
`+hydra.launcher.components.prep={command:[python,prep.py]}`), and `+hydra.launcher.<key>=...`
adds a key to the rest: whether written in a yaml or on the command line, every key that is no
setting and every value that does not fit its setting is listed, with its key and a fix that is
itself an override."""

import dataclasses
import difflib
import types
from collections.abc import Callable, Iterator, Mapping
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ComponentConf,
    VertexPipelineLauncherConf,
)

from .override_text import override_value

LAUNCHER_KEY = "hydra.launcher"
COMPONENTS_KEY = f"{LAUNCHER_KEY}.components"
EXAMPLE_COMPONENT = "{main:true,command:[python,app.py]}"


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


def _plain(hint: Any, value: Any) -> bool:
    """Whether a list's or mapping's elements are plain values, and a list or mapping setting is
    not given as text (an interpolation in args or env, kept as written, is text)."""
    origin = get_origin(_without_none(hint)[0])
    if origin in (list, dict) and isinstance(value, str):
        return False
    if isinstance(value, Mapping | list | tuple):
        elements = value.values() if isinstance(value, Mapping) else value
        return not any(v is None or isinstance(v, Mapping | list | tuple) for v in elements)
    return True


# dataclass -> its OmegaConf node (structured_template)
_TEMPLATES: dict[type, DictConfig] = {}


def structured_template(cls: type) -> DictConfig:
    """OmegaConf's node of the dataclass `cls`, made once: only ever merged into, and
    OmegaConf.merge copies its first config (structured() of the launcher's dataclass takes a few
    ms, a copy a fifth of that; a launch checks and reads dozens)."""
    if cls not in _TEMPLATES:
        node = OmegaConf.structured(cls)
        assert isinstance(node, DictConfig)
        _TEMPLATES[cls] = node
    return _TEMPLATES[cls]


def _fits(cls: type, values: Mapping[str, Any]) -> bool:
    """Whether OmegaConf takes `values` for those fields of `cls` (converting as it does, e.g.
    8 -> "8")."""
    try:
        OmegaConf.merge(structured_template(cls), dict(values))
    except OmegaConfBaseException:
        return False
    return True


def _taken(cls: type, values: Mapping[str, Any]) -> bool:
    """Any values, as if OmegaConf took them: for the checks that need no merge."""
    return True


# whether OmegaConf takes values for those fields of a dataclass: _fits, or _taken
_Fits = Callable[[type, Mapping[str, Any]], bool]


def _unknown(cls: type, key: str, name: str) -> str:
    names = [f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")]
    setting = f"{key}.{name}"
    close = difflib.get_close_matches(name, names, n=1)
    guess = f" (did you mean {key}.{close[0]}?)" if close else ""
    # the components are open dicts; the rest is structured, which an override cannot delete from
    if key.startswith(COMPONENTS_KEY):
        remove = f"~{setting}"
    else:
        remove = f"drop the +{setting}=... override, or the key where a yaml sets it"
    return (
        f"{setting} is not a launcher setting{guess}: remove it ({remove}) or correct its "
        f"name; the settings at {key} are {', '.join(names)}."
    )


def _setting_problems(
    cls: type, key: str, raw: Mapping[str, Any], fits: _Fits = _fits
) -> Iterator[str]:
    """The problems of the settings `raw` of the dataclass `cls`, written at `key`; whether
    OmegaConf takes a value is asked of `fits`."""
    hints = get_type_hints(cls)
    scalars: dict[str, Any] = {}
    for name, value in raw.items():
        name, setting = str(name), f"{key}.{name}"
        kind = _without_none(hints.get(name))[0]
        if name not in hints:
            yield _unknown(cls, key, name)
        elif isinstance(kind, type) and dataclasses.is_dataclass(kind):
            if isinstance(value, Mapping):
                yield from _setting_problems(kind, setting, value, fits)
            else:
                yield (
                    f"{setting}={override_value(value)} is not a mapping of settings: write e.g. "
                    f"{setting}={{}} and set its keys, {setting}.<key>=<value>."
                )
        elif get_args(kind)[-1:] == (ComponentConf,):
            yield from component_map_problems(value, fits)
        else:
            scalars[name] = value
    if fits(cls, scalars) and all(_plain(hints[n], v) for n, v in scalars.items()):
        return  # all at once: one merge instead of one per setting
    defaults = cls()
    for name, value in scalars.items():
        if not (_plain(hints[name], value) and fits(cls, {name: value})):
            yield (
                f"{key}.{name}={override_value(value)} is not {_expected(hints[name])}: set e.g. "
                f"{key}.{name}={_example(hints[name], value, getattr(defaults, name))}."
            )


def component_map_problems(components: Any, fits: _Fits = _fits) -> Iterator[str]:
    """The problems of hydra.launcher.components: each entry must be a ComponentConf (whether
    OmegaConf takes a value is asked of `fits`)."""
    if not isinstance(components, Mapping):
        yield (
            f"{COMPONENTS_KEY}={override_value(components)} is not a mapping of components: "
            f"set {COMPONENTS_KEY}={{}} for the default pipeline, or add components, e.g. "
            f"+{COMPONENTS_KEY}.app={EXAMPLE_COMPONENT}."
        )
        return
    for name, raw in components.items():
        key = f"{COMPONENTS_KEY}.{name}"
        if isinstance(raw, Mapping):
            yield from _setting_problems(ComponentConf, key, raw, fits)
        else:
            yield (
                f"{key}={override_value(raw)} is not a component: remove it (~{key}) or write "
                f"its settings, e.g. {key}={EXAMPLE_COMPONENT}."
            )


def launcher_setting_problems(raw: Mapping[str, Any]) -> list[str]:
    """Why hydra.launcher written as `raw` is not a VertexPipelineLauncherConf; empty if it is."""
    return list(_setting_problems(VertexPipelineLauncherConf, LAUNCHER_KEY, raw))


def launcher_shape_problems(raw: Mapping[str, Any]) -> list[str]:
    """The problems of hydra.launcher written as `raw` that need no OmegaConf merge (unknown keys,
    a mapping written as something else, a list or mapping of other than plain values), as
    launcher_setting_problems words them. Where there are none, launcher_setting_problems finds
    none either if OmegaConf takes each level's values at once (merges and builds them); the
    problems of one it refuses are launcher_setting_problems'."""
    return list(_setting_problems(VertexPipelineLauncherConf, LAUNCHER_KEY, raw, _taken))
