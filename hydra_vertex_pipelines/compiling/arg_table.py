"""The generated component args of a compiled spec as a Markdown table, for people to read."""

from collections.abc import Mapping
from typing import Any

from ..runner.spec import custom_job_payload, custom_job_worker, dag_tasks, task_order


def arg_table(spec: Mapping[str, Any]) -> str:
    """| task | command | args |, one row per task in dependency order, args one per line."""
    executors = spec["deploymentSpec"]["executors"]
    rows = ["| task | command | args |", "|---|---|---|"]
    for name in task_order(spec):
        task = dag_tasks(spec)[name]
        component = spec["components"][task["componentRef"]["name"]]
        container = executors[component["executorLabel"]]["container"]
        title = name
        if custom_job_payload(spec, task) is not None:
            worker = custom_job_worker(component)
            container = worker["container_spec"]
            title = f"{name} (custom job: {machine_text(worker['machine_spec'])})"
        command = " ".join(container.get("command", [])) or "(image entrypoint)"
        args = "<br>".join(f"`{a}`" for a in container.get("args", []))
        rows.append(f"| {title} | `{command}` | {args} |")
    return "\n".join(rows) + "\n"


def machine_text(machine: Mapping[str, Any]) -> str:
    """`n1-standard-4 + 1 NVIDIA_TESLA_T4`."""
    text = str(machine.get("machine_type", ""))
    if machine.get("accelerator_type"):
        text += f" + {int(machine.get('accelerator_count', 1))} {machine['accelerator_type']}"
    return text
