"""The generated component args of a compiled spec as a Markdown table, for people to read."""

from collections.abc import Mapping
from typing import Any

from ..runner.spec import dag_tasks, task_order


def arg_table(spec: Mapping[str, Any]) -> str:
    """| task | command | args |, one row per task in dependency order, args one per line."""
    executors = spec["deploymentSpec"]["executors"]
    rows = ["| task | command | args |", "|---|---|---|"]
    for name in task_order(spec):
        task = dag_tasks(spec)[name]
        component = spec["components"][task["componentRef"]["name"]]
        container = executors[component["executorLabel"]]["container"]
        command = " ".join(container.get("command", [])) or "(image entrypoint)"
        args = "<br>".join(f"`{a}`" for a in container.get("args", []))
        rows.append(f"| {name} | `{command}` | {args} |")
    return "\n".join(rows) + "\n"
