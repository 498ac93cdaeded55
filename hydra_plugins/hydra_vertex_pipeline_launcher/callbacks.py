"""Run inside the main component's container: make its run the launching job, and report the task
function's return value.

The launcher enables them with the args
`++hydra.callbacks.vertex_pipeline_launching_job._target_=<LaunchingJobCallback>`,
`++hydra.callbacks.vertex_pipeline_launching_job.runtime='<JSON in URL-safe base64>'`,
`++hydra.callbacks.vertex_pipeline_return_value._target_=<ReturnValueCallback>` and
`++hydra.callbacks.vertex_pipeline_return_value.output_file=<output parameter file>`.

Images built for older stacks carry this module too: it imports on Python 3.8 and hydra-core 1.1
(annotations are not evaluated; no newer APIs).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

log = logging.getLogger(__name__)


def from_arg_json(text: str) -> Any:
    """The value the launcher wrote as URL-safe base64 of its JSON text."""
    return json.loads(base64.urlsafe_b64decode(text.encode("ascii")).decode("ascii"))


def restore_launching_job(config: DictConfig, runtime: Mapping[str, Any]) -> None:
    """Set the fields of `config.hydra` that Hydra set at run time in the launching job (its
    num, id, name, override_dirname, task overrides, config choices, sweep dir and subdir), by
    key under `hydra` ({"job.num": 3, ...}); a value may be an interpolation, as in the job."""
    with read_write(config.hydra), open_dict(config.hydra):
        for key, value in runtime.items():
            OmegaConf.update(config.hydra, key, value, merge=False)


class LaunchingJobCallback(Callback):
    """Before the run starts, sets the launching job's runtime fields (JSON `runtime`) into the
    composed config, which the run and the app then see."""

    def __init__(self, runtime: str) -> None:
        self.runtime = from_arg_json(runtime)

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        restore_launching_job(config, self.runtime)


def _jsonable(value: Any) -> Any:
    if isinstance(value, DictConfig) or OmegaConf.is_config(value):
        return OmegaConf.to_container(value, resolve=True)
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        return value.item()
    return str(value)


class ReturnValueCallback(Callback):
    """After the job, writes the task function's return value as JSON to `output_file`."""

    def __init__(self, output_file: str) -> None:
        self.output_file = Path(output_file)

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if job_return.status != JobStatus.COMPLETED:
            return
        self.output_file.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(job_return.return_value, default=_jsonable)
        self.output_file.write_text(text, encoding="utf-8")
        log.info(f"Return value written to {self.output_file}")
