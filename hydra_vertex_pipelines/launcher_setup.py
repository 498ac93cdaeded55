"""What the launcher does once, when Hydra sets it up for a multirun (before the sweeper checks its
first batch of jobs).

- The multirun's jobs are composed by a SweepComposer (planning/composer.py), the sweeper's
  check included.
- The libraries of the mode (kfp; the Vertex AI client, hundreds of thousands of Python objects)
  are loaded with Python's cycle collector paused (it would walk the growing heap again and
  again: 0.3 s), then frozen (gc.freeze): the collector no longer walks them, neither while the
  jobs are planned nor when the process exits (0.4 s for the Vertex AI client). They live as long
  as the process anyway. What Hydra's start-up left is collected first, while that is cheap. This
  happens when a mode's libraries are loaded, at most once per mode in a process: objects alive
  then that die later in a reference cycle stay uncollected (Hydra's config of that moment, a few
  hundred KB), however many multiruns the process launches.
- In vertex mode, the preflight's checks start in the background (they wait on the network):
  they run while the sweeper checks its batch and the first job is composed.
"""

import gc
import importlib
import sys
from pathlib import Path

from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from .choices import Mode
from .planning.composer import install

# each mode's executor module (launch.executor_for imports it)
EXECUTOR_MODULES = {
    Mode.compile: "hydra_vertex_pipelines.executors.compile",
    Mode.local: "hydra_vertex_pipelines.executors.local",
    Mode.vertex: "hydra_vertex_pipelines.executors.vertex.executor",
}


def prepare(
    hydra_context: HydraContext, config: DictConfig, task_function: TaskFunction, started_ns: int
) -> None:
    install(hydra_context)
    mode = OmegaConf.select(config, "hydra.launcher.mode", default=None)
    _load(mode)
    if mode == Mode.vertex:
        _start_preflight(config, task_function, started_ns)


def _load(mode: object) -> None:
    modules = ["hydra_vertex_pipelines.launch"]
    if isinstance(mode, Mode):
        modules.append(EXECUTOR_MODULES[mode])
    if all(module in sys.modules for module in modules):
        return
    collecting = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for module in modules:
            importlib.import_module(module)
    finally:
        if collecting:
            gc.enable()
    gc.freeze()


def _start_preflight(config: DictConfig, task_function: TaskFunction, started_ns: int) -> None:
    """Start the preflight of the multirun, if its launcher config is valid and asks for one
    (a config that is not is reported by the launch, before anything else)."""
    from .executors.vertex.preflight import start_preflight
    from .launch import pipeline_conf

    try:
        conf = pipeline_conf(config, task_function)
        sweep_dir = Path(str(config.hydra.sweep.dir)).absolute()
    except Exception:
        return
    if conf.preflight:
        start_preflight(conf, sweep_dir, started_ns)
