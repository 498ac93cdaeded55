# Annotations stay text: Hydra imports this module at the start of every app, also in images
# built for older stacks (Python 3.8) that use only callbacks.py.
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

log = logging.getLogger(__name__)


class VertexPipelineLauncher(Launcher):
    def __init__(self, **params: Any) -> None:
        # hydra.launcher is read in launch(), resolved against the whole Hydra config
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None
        # when the multirun started (time.time_ns()): part of its jobs' ids on Vertex AI
        self.started_ns = 0

    def setup(
        self,
        *,
        hydra_context: HydraContext,
        task_function: TaskFunction,
        config: DictConfig,
    ) -> None:
        # lazy import: kfp and google-cloud-* load only when a multirun uses this launcher
        from hydra_vertex_pipelines.launcher_setup import prepare

        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function
        self.started_ns = time.time_ns()
        prepare(hydra_context, config, task_function, self.started_ns)

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        from hydra_vertex_pipelines import launch

        assert self.config is not None
        assert self.hydra_context is not None
        assert self.task_function is not None
        return launch.launch(
            self.config,
            self.hydra_context,
            self.task_function,
            job_overrides,
            initial_job_idx,
            self.started_ns,
        )
