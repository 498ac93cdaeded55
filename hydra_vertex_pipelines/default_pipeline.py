"""The default pipeline: with no components configured, the pipeline is one main component, the
launching app itself, started the way the user started it, in the image `hydra.launcher.image`,
with the task settings of `hydra.launcher.app`."""

import copy
import dataclasses
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hydra.types import TaskFunction

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    AppConf,
    ComponentConf,
    VertexPipelineLauncherConf,
)

from .override_text import override_value
from .setting_checks import COMPONENTS_KEY

# the default component's name: its task in the pipeline spec and in the Vertex AI console
APP = "app"
APP_KEY = "hydra.launcher.app"
# locally (mode=local, the emulator) python means the interpreter that runs the launcher
PYTHON = "python"


def _script_arg(script: Path, launch_dir: Path) -> str:
    """The script's path relative to the launch dir when it is under it, else absolute."""
    if script.is_relative_to(launch_dir):
        return str(script.relative_to(launch_dir))
    return str(script)


def launch_command(task_function: TaskFunction, launch_dir: Path) -> list[str]:
    """How the launching app was started, found as Hydra finds the app (its calling module or
    calling file): `python -m <module>` when it ran with -m or its task function was imported
    from a module, else `python <script>`. Empty when neither tells (an interactive session)."""
    module = getattr(task_function, "__module__", None) or "__main__"
    if module != "__main__":
        return [PYTHON, "-m", module]
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None:  # python -m pkg.app; python -m pkg runs pkg.__main__
        return [PYTHON, "-m", spec.name.removesuffix(".__main__")]
    try:
        script = Path(inspect.getfile(task_function)).absolute()
    except TypeError:
        return []
    return [PYTHON, _script_arg(script, launch_dir.absolute())] if script.is_file() else []


def with_launch_command(
    conf: VertexPipelineLauncherConf, command: list[str]
) -> VertexPipelineLauncherConf:
    """The default pipeline's app runs `command` unless hydra.launcher.app.command says else."""
    if conf.components or conf.app.command:
        return conf
    return dataclasses.replace(conf, app=dataclasses.replace(conf.app, command=list(command)))


def default_component(conf: VertexPipelineLauncherConf) -> ComponentConf:
    """The default pipeline's one component: hydra.launcher.app as the main component."""
    app = copy.deepcopy(conf.app)
    settings = {f.name: getattr(app, f.name) for f in dataclasses.fields(AppConf)}
    return ComponentConf(main=True, image=conf.image, **settings)


def pipeline_components(conf: VertexPipelineLauncherConf) -> dict[str, ComponentConf]:
    """The components the pipeline is made of: the configured ones, in hydra.launcher.image where
    they name no image, or else the default one."""
    if not conf.components:
        return {APP: default_component(conf)}
    return {
        name: dataclasses.replace(comp, image=comp.image or conf.image)
        for name, comp in conf.components.items()
    }


def _changed(settings: Any, defaults: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of each setting that differs from its default."""
    for f in dataclasses.fields(settings):
        value, default = getattr(settings, f.name), getattr(defaults, f.name)
        if dataclasses.is_dataclass(value):
            yield from _changed(value, default, f"{path}{f.name}.")
        elif value != default:
            yield f"{path}{f.name}", value


def unused_app_settings(conf: VertexPipelineLauncherConf) -> Iterator[str]:
    """hydra.launcher.app is the default pipeline's: with components configured, a setting made
    there would not be used."""
    if not conf.components:
        return
    mains = [name for name, comp in conf.components.items() if comp.main]
    main = mains[0] if mains else list(conf.components)[-1]
    for path, value in _changed(conf.app, AppConf(), ""):
        yield (
            f"{APP_KEY}.{path}={override_value(value)} is not used: {APP_KEY} is the default "
            f"pipeline's component, and {COMPONENTS_KEY} is set. Set it on the main component "
            f"instead: {COMPONENTS_KEY}.{main}.{path}={override_value(value)}."
        )
