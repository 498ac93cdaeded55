"""hydra.launcher read into its typed dataclass: resolved against the whole Hydra config, except
the components' args and env, kept as written. An interpolation in args stays one, for Hydra to
resolve in the container as it resolves the job overrides; one in env is refused by validation
(secret_checks.py). Resolving them here would compile values of this machine's environment,
secrets included, into the spec. Keys the dataclass lacks and values it cannot take are one
LauncherConfigError that lists them, before anything is compiled."""

import copy
import dataclasses
import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict, read_write
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


def _as_written(node: DictConfig) -> dict[str, dict[str, Any]]:
    """{component: {args/env: the value, interpolations unresolved}}."""
    texts: dict[str, dict[str, Any]] = {}
    components = node.get("components")
    if not isinstance(components, DictConfig):
        return texts
    for name, comp in components.items():
        if isinstance(comp, DictConfig):
            texts[str(name)] = {
                key: OmegaConf.to_container(comp[key], resolve=False)
                for key in _AS_WRITTEN
                if isinstance(comp.get(key), ListConfig | DictConfig)
            }
    return texts


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
        elif (cls, key) == (VertexPipelineLauncherConf, "components"):
            for name, comp in (value or {}).items():
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
        texts = _as_written(node)
        others = copy.deepcopy(node)
        with read_write(others), open_dict(others):
            for name, written in texts.items():
                for key in written:
                    others.components[name][key] = _EMPTY[key]
        resolved = OmegaConf.to_container(others, resolve=True)
        assert isinstance(resolved, dict)
        values = {str(k): v for k, v in resolved.items()}
        unknown = list(_unknown_keys(values, VertexPipelineLauncherConf, _L))
        if unknown:
            raise config_problems(unknown)
        return _typed(values, texts)
    except OmegaConfBaseException as e:
        key = f"{_L}.{e.full_key}" if getattr(e, "full_key", None) else _L
        message = getattr(e, "msg", None) or str(e)
        raise config_problems([f"{key}: {message}"]) from e
