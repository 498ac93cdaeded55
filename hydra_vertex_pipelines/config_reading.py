"""hydra.launcher read into its typed dataclass: resolved against the whole Hydra config, except
the components' args and env, kept as written. An interpolation in args stays one, for Hydra to
resolve in the container as it resolves the job overrides; one in env is refused by validation
(secret_checks.py). Resolving them here would compile values of this machine's environment,
secrets included, into the spec. Keys the dataclass lacks and values it cannot take are one
LauncherConfigError that lists them, before anything is compiled."""

import dataclasses
import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ComponentConf,
    LocalConf,
    ResourcesConf,
    VertexPipelineLauncherConf,
)

from .errors import config_problems

_L = "hydra.launcher"
# component fields read as written
_AS_WRITTEN = ("args", "env")
_EMPTY: dict[str, Any] = {"args": [], "env": {}}
# dataclass fields that are dataclasses
_NESTED: dict[type, dict[str, type]] = {
    VertexPipelineLauncherConf: {"local": LocalConf},
    ComponentConf: {"resources": ResourcesConf},
}


def _resolved(node: DictConfig, key: Any) -> Any:
    value = node[key]
    if isinstance(value, DictConfig | ListConfig):
        return OmegaConf.to_container(value, resolve=True)
    return value


def _read(node: DictConfig) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(the launcher's values resolved, components' args and env aside; {component: {args/env:
    the value as written}}). Nothing of the config is changed."""
    values = {str(key): _resolved(node, key) for key in node if key != "components"}
    texts: dict[str, dict[str, Any]] = {}
    components = node.get("components")
    if not isinstance(components, DictConfig):
        values["components"] = components
        return values, texts
    values["components"] = {}
    for name, comp in components.items():
        if not isinstance(comp, DictConfig):
            values["components"][name] = comp
            continue
        written = {
            str(key): OmegaConf.to_container(comp[key], resolve=False)
            for key in _AS_WRITTEN
            if isinstance(comp.get(key), ListConfig | DictConfig)
        }
        values["components"][name] = {
            str(key): _resolved(comp, key) for key in comp if key not in written
        }
        texts[str(name)] = written
    return values, texts


def _unknown_keys(values: Mapping[str, Any], cls: type, path: str) -> Iterator[str]:
    fields = [f.name for f in dataclasses.fields(cls)]
    for key, value in values.items():
        if key not in fields:
            close = difflib.get_close_matches(str(key), fields, n=1)
            hint = (
                f"did you mean {path}.{close[0]}?"
                if close
                else "`--cfg hydra --package hydra.launcher` shows the settings"
            )
            yield f"{path}.{key} is not a launcher setting: remove it ({hint})."
        elif key in _NESTED.get(cls, {}) and isinstance(value, Mapping):
            yield from _unknown_keys(value, _NESTED[cls][key], f"{path}.{key}")
        elif (cls, key) == (VertexPipelineLauncherConf, "components") and isinstance(
            value, Mapping
        ):
            for name, comp in value.items():
                if isinstance(comp, Mapping):
                    yield from _unknown_keys(comp, ComponentConf, f"{path}.components.{name}")


def _typed(values: dict[str, Any], texts: dict[str, dict[str, Any]]) -> VertexPipelineLauncherConf:
    """The dataclass of resolved `values` with `texts` (type-checked, never resolved) put in."""
    for name, written in texts.items():
        values["components"][name].update(written)
    merged = OmegaConf.merge(OmegaConf.structured(VertexPipelineLauncherConf), values)
    checked = {
        name: {k: OmegaConf.to_container(merged.components[name][k], resolve=False) for k in kept}
        for name, kept in texts.items()
    }
    for name, kept in checked.items():
        for key in kept:
            merged.components[name][key] = _EMPTY[key]
    conf = OmegaConf.to_object(merged)
    assert isinstance(conf, VertexPipelineLauncherConf)
    for name, kept in checked.items():
        for key, value in kept.items():
            setattr(conf.components[name], key, value)
    return conf


def read_launcher_conf(node: DictConfig) -> VertexPipelineLauncherConf:
    """hydra.launcher (a node of the whole config) as its dataclass."""
    try:
        values, texts = _read(node)
        unknown = list(_unknown_keys(values, VertexPipelineLauncherConf, _L))
        if unknown:
            raise config_problems(unknown)
        return _typed(values, texts)
    except OmegaConfBaseException as e:
        full_key = str(getattr(e, "full_key", "") or "")
        key = full_key if full_key.startswith(_L) else f"{_L}.{full_key}".rstrip(".")
        message = getattr(e, "msg", None) or str(e)
        raise config_problems([f"{key}: {message}"]) from e
