"""Helpers of the emulator tests: pipelines compiled by the launcher's own compiler, and waiting
by polling the API against a deadline."""

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ComponentConf,
    VertexPipelineLauncherConf,
)
from hydra_vertex_pipelines.compiling.template import PipelineTemplate, compile_template
from hydra_vertex_pipelines.planning.overrides import parse_job_overrides
from hydra_vertex_pipelines.vertex_api import PipelineState, PipelineTaskDetail

if TYPE_CHECKING:
    from google.cloud import aiplatform

COMPONENT = Path(__file__).parent / "apps" / "component.py"
PIPELINE_ROOT = "gs://emulated-bucket/pipelines"
# train's display name (its taskInfo.name in the spec); its DAG key stays "train"
TRAIN_DISPLAY_NAME = "Train the model"
# the main component's hydra.run.dir, under the pipeline root's Cloud Storage mount as the
# launcher sets it (one dir for every job here: the main task's inputs stay equal for caching)
RUN_DIR_URI = f"{PIPELINE_ROOT}/hydra/run"
RUN_DIR = "/gcs/" + RUN_DIR_URI.removeprefix("gs://")
OVERRIDES = ("data.n=3", "optim.lr=0.1", "+mode=ok")
DEADLINE_S = 30.0
POLL_S = 0.05
DONE = (
    PipelineState.PIPELINE_STATE_SUCCEEDED,
    PipelineState.PIPELINE_STATE_FAILED,
    PipelineState.PIPELINE_STATE_CANCELLED,
)


@dataclass(frozen=True)
class Pipeline:
    """A compiled two-step pipeline (prep -> train) and its spec file."""

    template: PipelineTemplate
    spec_path: Path

    def parameters(self, overrides: Sequence[str] = OVERRIDES) -> dict[str, str]:
        return self.template.runtime_parameters(parse_job_overrides(overrides), RUN_DIR, {})

    def job(
        self,
        job_id: str,
        overrides: Sequence[str] = OVERRIDES,
        labels: dict[str, str] | None = None,
        enable_caching: bool | None = None,
    ) -> "aiplatform.PipelineJob":
        from google.cloud.aiplatform import PipelineJob

        return PipelineJob(
            display_name=f"display-{job_id}",
            template_path=str(self.spec_path),
            job_id=job_id,
            pipeline_root=PIPELINE_ROOT,
            parameter_values=self.parameters(overrides),
            labels=labels,
            enable_caching=enable_caching,
        )


def sdk() -> ModuleType:
    """The Vertex AI SDK, loaded by the first test that uses it (1.4 s), not at collection."""
    from google.cloud import aiplatform

    return aiplatform


def compile_pipeline(
    folder: Path, prep_mode: str = "ok", pipeline_name: str = "emulated"
) -> Pipeline:
    """prep gets data.* and writes the dataset; train (main) reads it and returns a value.
    Each writes a line to <folder>/<task>.count per real run."""
    python = ["python", str(COMPONENT)]
    conf = VertexPipelineLauncherConf(
        pipeline_name=pipeline_name,
        components={
            "prep": ComponentConf(
                command=python,
                overrides=["data"],
                outputs={"dataset": "out.dataset"},
                args=[f"counter={folder / 'prep.count'}", f"mode={prep_mode}"],
            ),
            "train": ComponentConf(
                command=python,
                main=True,
                display_name=TRAIN_DISPLAY_NAME,
                inputs={"in.dataset": "prep.dataset"},
                args=[f"counter={folder / 'train.count'}"],
            ),
        },
    )
    keys = [o.override_key for o in parse_job_overrides(OVERRIDES)]
    template = compile_template(conf, keys)
    spec_path = folder / f"{pipeline_name}.yaml"
    spec_path.write_text(template.spec_yaml)
    return Pipeline(template, spec_path)


def runs(folder: Path, task: str) -> int:
    """How many times the task's component really ran."""
    path = folder / f"{task}.count"
    return len(path.read_text().splitlines()) if path.exists() else 0


def poll(condition: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    """Poll `condition` (an API read) until it holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(POLL_S)


def wait_done(job: "aiplatform.PipelineJob") -> PipelineState:
    poll(lambda: job.state in DONE, f"{job.resource_name} to finish")
    return PipelineState(job.state)


def tasks_by_name(job: "aiplatform.PipelineJob") -> dict[str, PipelineTaskDetail]:
    return {task.task_name: task for task in job.task_details}


def task_states(tasks: Iterable[PipelineTaskDetail]) -> dict[str, str]:
    return {task.task_name: task.state.name for task in tasks}
