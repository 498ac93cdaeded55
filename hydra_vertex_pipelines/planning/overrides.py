"""Job overrides <-> pipeline parameters, and how text goes into Hydra args.

Every job override `key=value` becomes one STRING pipeline parameter holding `value` exactly as the
sweeper wrote it, and one component arg `key={{$.inputs.parameters['name']}}`: substituted verbatim
(as Vertex does), the arg is the original override again.

Paths go into args quoted: `key="<path>"`, so that whatever a path holds (`=`, `,`, brackets,
spaces, `:`, non-ASCII) is text to Hydra. Vertex (or the local runner) substitutes artifact paths
and output files raw, so nothing can escape them: the quote is one their user-chosen prefix (the
pipeline root, a local job dir) does not hold (`"`, else `'`). Paths the launcher writes itself
(the run dir parameter) are escaped for that quote.
"""

import base64
import json
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
# a quote, or the end of the text, and the backslashes before it (Hydra unescapes only those)
_QUOTE_OR_END = {q: re.compile(rf"(\\*)({q}|$)") for q in "'\""}
# an interpolation's start and the backslashes before it (OmegaConf unescapes only those)
_INTERPOLATION = re.compile(r"(\\*)\$\{")
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


def in_quotes(text: str, quote: str) -> str:
    """`text` escaped to sit between two `quote`s in a Hydra arg and come out as itself: a quote
    and the backslashes before it or before the end are backslash-escaped (as Hydra unescapes a
    quoted value), `${` too (as OmegaConf reads a string: no interpolation)."""
    text = _INTERPOLATION.sub(lambda m: m[1] * 2 + "\\${", text)
    return _QUOTE_OR_END[quote].sub(lambda m: m[1] * 2 + ("\\" + m[2] if m[2] else ""), text)


def path_quote(prefix: str, what: str) -> str:
    """The quote around the paths in a job's args whose user-chosen part is `prefix`: `"`, or `'`
    when `prefix` holds a `"`. `what` names the prefix in the error when no quote can do."""
    if "${" not in prefix and '"' not in prefix:
        return '"'
    if "${" not in prefix and "'" not in prefix:
        return "'"
    raise LauncherConfigError(
        f"{what} {prefix!r} holds both quote characters or '${{': the paths under it cannot be "
        "given to a Hydra app (Vertex AI puts them into its args unescaped). Use a path without "
        "one of the quotes."
    )


def arg_json(value: object) -> str:
    """`value` as its JSON text in URL-safe base64 (letters, digits, `-`, `_`, `=`): it can sit
    between single quotes in a Hydra arg as is (no quote, no `$`, no backslash) and in a custom
    job's JSON payload, which Vertex fills in unescaped. The callbacks' `from_arg_json` reads it."""
    text = json.dumps(value, ensure_ascii=True, sort_keys=True)
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii")


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


def unique_name(base: str, used: set[str]) -> str:
    """`base`, or `base_2`, `base_3`, ... whichever is not in `used` first; added to `used`."""
    name, n = base, 2
    while name in used:
        name, n = f"{base}_{n}", n + 1
    used.add(name)
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
        names[key] = unique_name(_readable_name(key.key_element), used)
    return names


def override_parameters(
    overrides: Sequence[JobOverride], names: Mapping[OverrideKey, str]
) -> dict[str, str]:
    """The pipeline parameters that carry the overrides' values, by parameter name."""
    return {names[o.override_key]: o.value for o in overrides if o.value is not None}
