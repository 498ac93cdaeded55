"""Job overrides <-> pipeline parameters.

Every job override `key=value` becomes one STRING pipeline parameter holding `value` exactly as the
sweeper wrote it, and one component arg `key={{$.inputs.parameters['name']}}`: substituted verbatim
(as Vertex does), the arg is the original override again.
"""

import keyword
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.errors import HydraException

from ._errors import LauncherConfigError

_NON_IDENTIFIER = re.compile(r"[^0-9a-z_]+")
_PLAIN_VALUE = re.compile(r"[A-Za-z_][\w\-./]*")
_KEYWORD_VALUES = {"true", "false", "null", "nan", "inf"}
# a quote, or the end of the text, and the backslashes before it (Hydra unescapes only those)
_QUOTE_OR_END = re.compile(r"(\\*)('|$)")
# characters that Hydra's grammar lets an unquoted value hold only backslash-escaped
_ESCAPABLE = re.compile(r"([\\=,()\[\]{}: \t])")
_PARSER = OverridesParser.create()


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
    def signature(self) -> str:
        """What the template depends on: the key element, and '=' when a value travels."""
        return self.key_element if self.value is None else f"{self.key_element}="


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


def parse_job_overrides(overrides: Sequence[str]) -> list[JobOverride]:
    return [parse_job_override(text) for text in overrides]


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


def parameter_names(signatures: Iterable[str], reserved: Iterable[str] = ()) -> dict[str, str]:
    """Pipeline parameter name per override signature with a value; collisions get _2, _3."""
    used = set(reserved)
    names: dict[str, str] = {}
    for signature in signatures:
        if not signature.endswith("="):
            continue
        base = _readable_name(signature[:-1])
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        names[signature] = name
    return names


def parameter_values(overrides: Sequence[JobOverride], names: Mapping[str, str]) -> dict[str, str]:
    return {names[o.signature]: o.value for o in overrides if o.value is not None}
