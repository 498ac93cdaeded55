"""The component graph: names as kfp writes them, artifact inputs, and a dependency order."""

import itertools
import re
from collections.abc import Mapping

from hydra_plugins.hydra_vertex_pipeline_launcher.config import ComponentConf

from ..errors import LauncherConfigError
from ..override_text import override_value
from ..planning.overrides import unique_name


def kfp_name(name: str) -> str:
    """The name kfp gives a component or pipeline in the spec (lowercase, [a-z0-9-])."""
    return re.sub("-+", "-", re.sub("[^-0-9a-z]+", "-", name.lower())).strip("-")


def input_artifact_names(comp: ComponentConf) -> dict[str, str]:
    """{hydra key: input artifact name}; an input is named after the output it reads."""
    used = set(comp.outputs)
    names: dict[str, str] = {}
    for key, source in comp.inputs.items():
        names[key] = unique_name(source.split(".", 1)[-1], used)
    return names


def upstream(comp: ComponentConf) -> list[str]:
    """Components that must finish before this one: artifact producers, then `after`."""
    producers = [source.split(".", 1)[0] for source in comp.inputs.values()]
    return list(dict.fromkeys(producers + list(comp.after)))


def edge_removal(components: Mapping[str, ComponentConf], name: str, dep: str) -> str:
    """The overrides that remove the edges from component `name` to `dep` (after, inputs)."""
    comp, key = components[name], f"hydra.launcher.components.{name}"
    fixes = []
    if dep in comp.after:
        fixes.append(f"{key}.after={override_value([a for a in comp.after if a != dep])}")
    inputs = {k: v for k, v in comp.inputs.items() if v.split(".", 1)[0] != dep}
    if len(inputs) < len(comp.inputs):
        fixes.append(f"~{key}.inputs" + (f" +{key}.inputs={override_value(inputs)}" * bool(inputs)))
    return " ".join(fixes)


def component_order(components: Mapping[str, ComponentConf]) -> list[str]:
    """Components in dependency order (config order among independent ones); refuses cycles."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            loop = [*path[path.index(name) :], name]
            fixes = [edge_removal(components, a, b) for a, b in itertools.pairwise(loop)]
            raise LauncherConfigError(
                f"hydra.launcher.components has a dependency cycle: {' -> '.join(loop)}. "
                f"Remove one of these edges (inputs or after): {'; or '.join(fixes)}."
            )
        state[name] = "visiting"
        for dep in upstream(components[name]):
            visit(dep, [*path, name])
        state[name] = "done"
        order.append(name)

    for name in components:
        visit(name, [])
    return order
