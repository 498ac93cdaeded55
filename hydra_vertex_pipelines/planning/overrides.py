"""Job overrides <-> pipeline parameters.

Every job override `key=value` becomes one STRING pipeline parameter holding `value` exactly as the
sweeper wrote it, and one component arg `key={{$.inputs.parameters['name']}}`: substituted verbatim
(as Vertex does), the arg is the original override again.
"""

import keyword
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.errors import HydraException

from ..errors import LauncherConfigError

_NON_IDENTIFIER = re.compile(r"[^0-9a-z_]+")
_PLAIN_VALUE = re.compile(r"[A-Za-z_][\w\-./]*")
_KEYWORD_VALUES = {"true", "false", "null", "nan", "inf"}
# a quote, or the end of the text, and the backslashes before it (Hydra unescapes only those)
_QUOTE_OR_END = re.compile(r"(\\*)('|$)")
# characters that Hydra's grammar lets an unquoted value hold only backslash-escaped
_ESCAPABLE = re.compile(r"([\\=,()\[\]{}: \t])")
_PARSER = OverridesParser.create()


class OverrideKey(NamedTuple):
    """What a pipeline template depends on of one override: its key element and whether a
    value travels with it (as a pipeline parameter)."""

    # "+optim.lr", "~db", "db@backup": the part before '=' as Hydra writes it
    key_element: str
    # a value follows '=' (a deletion `~key` may have none)
    carries_value: bool

    @property
    def config_key(self) -> str:
        """optim.lr, db: without prefix and package."""
        return self.key_element.lstrip("+~").split("@", 1)[0]


@dataclass(frozen=True)
class JobOverride:
    """One job override split into what the template fixes and what the job varies."""

    # "+optim.lr", "~db", "db@backup": the part before '=' as Hydra writes it
    key_element: str
    # "optim.lr", "db": the config key or group, without prefix and package
    key: str
    # the text after '=' exactly as given; None for a deletion written without value (`~key`)
    value: str | None

    @property
    def override_key(self) -> OverrideKey:
        return OverrideKey(self.key_element, self.value is not None)


def parse_job_override(text: str) -> JobOverride:
    try:
        override: Override = _PARSER.parse_override(text)
    except HydraException as e:
        raise LauncherConfigError(
            f"Job override {text!r} cannot be parsed: {e}. Fix the override's syntax."
        ) from e
    if override.is_sweep_override():
        raise LauncherConfigError(
            f"Job override {text!r} is still a sweep; a launcher receives single values. "
            "Run with -m so that the sweeper expands it."
        )
    key_element = override.get_key_element()
    value: str | None = text.split("=", 1)[1] if "=" in text else None
    if value is None and not override.is_delete():
        raise LauncherConfigError(f"Job override {text!r} has no value: write {text}=<value>.")
    return JobOverride(key_element=key_element, key=override.key_or_group, value=value)


def hydra_literal(text: str) -> str:
    """`text` as the value of a Hydra override: as is when plain, else single-quoted."""
    if _PLAIN_VALUE.fullmatch(text) and text.lower() not in _KEYWORD_VALUES:
        return text
    escaped = _QUOTE_OR_END.sub(lambda m: m[1] * 2 + ("\\'" if m[2] else ""), text)
    return f"'{escaped}'"


def hydra_path_value(path: str) -> str:
    """A path as a Hydra override value that still starts with the path (so that a /gcs/ path can
    be recognized): special characters backslash-escaped; quoted where escapes cannot do."""
    if any(c in path for c in "'\"") or "${" in path:
        return hydra_literal(path)
    return _ESCAPABLE.sub(r"\\\1", path)


def parse_job_overrides(overrides: Sequence[str]) -> tuple[JobOverride, ...]:
    return tuple(parse_job_override(text) for text in overrides)


def matches_prefix(key: str, prefix: str) -> bool:
    """`data` matches `data`, `data.dir`, `data/source`; not `database`."""
    return key == prefix or key.startswith((prefix + ".", prefix + "/"))


def _readable_name(key_element: str) -> str:
    name = key_element.lstrip("+~").replace("@", "__at__").replace(".", "__").replace("/", "__")
    name = _NON_IDENTIFIER.sub("_", name.lower()).strip("_")
    if not name:
        raise LauncherConfigError(
            f"Override key {key_element!r} cannot be mapped to a pipeline parameter name: "
            "rename the config key so that it contains a letter or a digit."
        )
    if name[0].isdigit() or keyword.iskeyword(name):
        name = f"p_{name}"
    return name


def parameter_names(
    keys: Iterable[OverrideKey], reserved: Iterable[str] = ()
) -> dict[OverrideKey, str]:
    """Pipeline parameter name per override key that carries a value; collisions get _2, _3."""
    used = set(reserved)
    names: dict[OverrideKey, str] = {}
    for key in keys:
        if not key.carries_value:
            continue
        base = _readable_name(key.key_element)
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        names[key] = name
    return names


def override_parameters(
    overrides: Sequence[JobOverride], names: Mapping[OverrideKey, str]
) -> dict[str, str]:
    """The pipeline parameters that carry the overrides' values, by parameter name."""
    return {names[o.override_key]: o.value for o in overrides if o.value is not None}
