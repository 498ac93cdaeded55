"""Runs inside the main component's container: writes the task function's return value as JSON.

The launcher enables it with the args
`++hydra.callbacks.vertex_pipeline_return_value._target_=<this class>` and
`++hydra.callbacks.vertex_pipeline_return_value.output_file=<output parameter file>`.
"""

import json
import logging
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


def _jsonable(value: Any) -> Any:
    if isinstance(value, DictConfig) or OmegaConf.is_config(value):
        return OmegaConf.to_container(value, resolve=True)
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        return value.item()
    return str(value)


class ReturnValueCallback(Callback):
    def __init__(self, output_file: str) -> None:
        self.output_file = Path(output_file)

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if job_return.status != JobStatus.COMPLETED:
            return
        self.output_file.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(job_return.return_value, default=_jsonable)
        self.output_file.write_text(text, encoding="utf-8")
        log.info(f"Return value written to {self.output_file}")
