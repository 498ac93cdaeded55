"""The one place that forges Python signatures for kfp, and reaches past its public API.

kfp builds components and pipelines from decorated Python functions and reads their inputs and
outputs from the function's signature. The launcher's components are known only at run time (from
the launcher config and the sweep's override keys), so functions are made with the signature kfp
needs set by hand.
"""

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kfp import dsl


def _to_text(annotation: Any) -> Callable[[Any], str]:
    """How kfp's placeholder object of this input/output becomes arg text."""
    if annotation is str or isinstance(annotation, dsl.OutputPath):
        return str
    return lambda artifact: str(artifact.path)


def _forge_signature(function: Any, params: Sequence[tuple[str, Any]], returns: Any) -> None:
    function.__signature__ = inspect.Signature(
        [
            inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=a)
            for n, a in params
        ],
        return_annotation=returns,
    )
    function.__annotations__ = {n: a for n, a in params}
    if returns is not inspect.Signature.empty:
        function.__annotations__["return"] = returns


def container_component(
    name: str,
    params: Sequence[tuple[str, Any]],
    image: str,
    command: Sequence[str],
    build_args: Callable[[Mapping[str, str]], list[str]],
) -> Any:
    """A kfp container component with inputs/outputs `params` ((name, kfp annotation) pairs);
    `build_args` gets the placeholder text of each by name and returns the container's args."""
    names = [n for n, _ in params]
    to_text = {n: _to_text(a) for n, a in params}

    def component(*placeholders: Any) -> dsl.ContainerSpec:
        texts = {n: to_text[n](p) for n, p in zip(names, placeholders, strict=True)}
        return dsl.ContainerSpec(image=image, command=list(command), args=build_args(texts))

    component.__name__ = name
    _forge_signature(component, params, dsl.ContainerSpec)
    return dsl.container_component(component)


def pipeline(name: str, params: Sequence[str], body: Callable[[Mapping[str, Any]], None]) -> Any:
    """A kfp pipeline named `name` with STRING parameters `params`; `body` gets kfp's parameter
    objects by name and calls the components."""

    def function(*values: Any) -> None:
        body(dict(zip(params, values, strict=True)))

    function.__name__ = name.replace("-", "_")
    _forge_signature(function, [(p, str) for p in params], inspect.Signature.empty)
    return dsl.pipeline(name=name)(function)


def container_task(component: Any, inputs: Mapping[str, Any]) -> Any:
    """The task of calling `component` (a container component) in a pipeline body.

    Each of kfp's task setters (set_cpu_limit, set_env_variable, ...) first checks that the task
    runs a container, and walks the whole call stack with inspect.stack() to name itself in the
    error it would raise: 7 ms a call in a launch (36 ms under pytest), most of a template's
    compile. A container task never raises it, so the check is skipped on these tasks."""
    task = component(**inputs)
    if task.container_spec is not None:
        task._ensure_container_spec_exists = _container_spec_exists
    return task


def _container_spec_exists() -> None:
    """kfp's check, already done by container_task."""
