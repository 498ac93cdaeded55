"""hydra.launcher read into its typed dataclass: resolved against the whole Hydra config, except
the args and env of the components and of the default pipeline's app (hydra.launcher.app), kept
as written. An interpolation in args stays one, for Hydra to resolve in the container as it
resolves the job overrides; one in env is refused by validation (secret_checks.py). Resolving
them here would compile values of this machine's environment, secrets included, into the spec.
Keys the dataclasses lack and values they cannot take are one LauncherConfigError that lists them
(setting_checks.py), before anything is compiled."""

from typing import Any, TypeVar

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    AppConf,
    ComponentConf,
    VertexPipelineLauncherConf,
)

from .errors import config_problems
from .setting_checks import (
    LAUNCHER_KEY,
    launcher_setting_problems,
    launcher_shape_problems,
    structured_template,
)

# the fields of AppConf (and so of ComponentConf) read as written, with their empty values
_AS_WRITTEN: dict[str, Any] = {"args": [], "env": {}}
_Conf = TypeVar("_Conf")


def _resolved(node: DictConfig, key: Any) -> Any:
    value = node[key]
    if isinstance(value, DictConfig | ListConfig):
        return OmegaConf.to_container(value, resolve=True)
    return value


def _app_settings(node: Any) -> Any:
    """An app's or component's settings: resolved, but args and env as written."""
    if not isinstance(node, DictConfig):
        return node
    written = OmegaConf.to_container(node, resolve=False)
    assert isinstance(written, dict)
    return {str(key): written[key] if key in _AS_WRITTEN else _resolved(node, key) for key in node}


def _read(node: DictConfig) -> dict[str, Any]:
    """The launcher's settings as plain values. Nothing of the config is changed."""
    values = {str(key): _resolved(node, key) for key in node if key not in ("app", "components")}
    values["app"] = _app_settings(node.get("app"))
    components = node.get("components")
    values["components"] = (
        {str(name): _app_settings(comp) for name, comp in components.items()}
        if isinstance(components, DictConfig)
        else components
    )
    return values


def _built(cls: type[_Conf], settings: dict[str, Any]) -> _Conf:
    """The dataclass of checked `settings`, converted as OmegaConf converts them (8 -> "8"),
    with args and env (where `settings` has them) never resolved."""
    merged = OmegaConf.merge(structured_template(cls), settings)
    assert isinstance(merged, DictConfig)
    kept = {
        key: OmegaConf.to_container(merged[key], resolve=False)
        for key in _AS_WRITTEN
        if key in settings
    }
    for key in kept:
        merged[key] = _AS_WRITTEN[key]
    conf = OmegaConf.to_object(merged)
    assert isinstance(conf, cls)
    for key, value in kept.items():
        setattr(conf, key, value)
    return conf


def _built_launcher(values: dict[str, Any]) -> VertexPipelineLauncherConf:
    """The launcher's dataclass of its checked settings `values` (left as they are)."""
    app = _built(AppConf, values["app"])
    components = {
        name: _built(ComponentConf, settings) for name, settings in values["components"].items()
    }
    rest = {key: value for key, value in values.items() if key not in ("app", "components")}
    conf = _built(VertexPipelineLauncherConf, rest)
    conf.app, conf.components = app, components
    return conf


def _read_checked(node: DictConfig) -> dict[str, Any]:
    """The launcher's settings as plain values (_read), or the LauncherConfigError of a value
    that does not resolve."""
    try:
        return _read(node)
    except OmegaConfBaseException as e:
        full_key = str(getattr(e, "full_key", "") or "")
        key = full_key if full_key.startswith(LAUNCHER_KEY) else f"{LAUNCHER_KEY}.{full_key}"
        message = getattr(e, "msg", None) or str(e)
        key = key.rstrip(".")
        fix = f"(or set it on the command line, {key}=...)"
        raise config_problems([f"{key}: {message} {fix}"]) from e


def read_launcher_conf(node: DictConfig) -> VertexPipelineLauncherConf:
    """hydra.launcher (a node of the whole config) as its dataclass."""
    values = _read_checked(node)
    # Built at once where the checks that need no merge pass: building merges every level's values
    # into its dataclass, which takes them only if each check's merge would (a few merges instead
    # of one for each check and each build). Where it fails, the checks say why, or else the build
    # fails again as it failed.
    if not launcher_shape_problems(values):
        try:
            return _built_launcher(values)
        except Exception:  # the checks below word it, or the build raises it again
            pass
    found = launcher_setting_problems(values)
    if found:
        raise config_problems(found)
    return _built_launcher(values)
