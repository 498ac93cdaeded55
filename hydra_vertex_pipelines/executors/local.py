"""mode=local: each job's compiled pipeline runs here through the LocalRunner."""

import json
import logging
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus, run_job
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, open_dict

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from ..choices import FailurePolicy, LocalMain
from ..compiling.compiled_job import CompiledJob
from ..compiling.custom_job import RETURN_VALUE_FILE, read_return_value
from ..compiling.run_dir import local_artifacts, local_run_dir
from ..compiling.template import RETURN_VALUE_OUTPUT, main_task
from ..planning.job_plan import JobPlan
from ..returns import completed, failed
from ..runner import (
    InlineTask,
    JobDirHandler,
    LocalRunner,
    MemoryTaskCache,
    PipelineOutcome,
    PipelineResult,
    RunSettings,
)

log = logging.getLogger(__name__)


def _is_hydra_arg(arg: str) -> bool:
    key = arg.split("=", 1)[0].lstrip("+~")
    return key == "hydra" or key.startswith(("hydra.", "hydra/"))


class InlineMain:
    """The main task run in this process through Hydra's run_job (breakpoints work).

    Args beyond the job overrides (artifact paths, fixed args) are applied as overrides too;
    hydra.* args (output dir, callback) are Hydra's business here."""

    def __init__(
        self,
        plan: JobPlan,
        hydra_context: HydraContext,
        config: DictConfig,
        task_function: TaskFunction,
    ) -> None:
        self.plan = plan
        self.hydra_context = hydra_context
        self.config = config
        self.task_function = task_function

    def __call__(self, args: list[str]) -> tuple[JobReturn, str | None]:
        plan = self.plan
        extra = [a for a in args if a not in plan.overrides and not _is_hydra_arg(a)]
        sweep_config = self.hydra_context.config_loader.load_sweep_config(
            self.config, [*plan.overrides, *extra]
        )
        with open_dict(sweep_config):
            sweep_config.hydra.job.id = plan.sweep_config.hydra.job.id
            sweep_config.hydra.job.num = plan.num
        ret = run_job(
            hydra_context=self.hydra_context,
            task_function=self.task_function,
            config=sweep_config,
            job_dir_key="hydra.sweep.dir",
            job_subdir_key="hydra.sweep.subdir",
        )
        ret.overrides = list(plan.overrides)
        if ret.status == JobStatus.FAILED:
            return ret, f"the task function raised {ret._return_value!r}"
        return ret, None


def job_return_of(job: CompiledJob, result: PipelineResult, return_value: bool) -> JobReturn:
    """The main task's return value, or why the pipeline failed; an inline main's own
    JobReturn when it ran."""
    plan = job.plan
    main = result.tasks[job.template.main_task]
    if isinstance(main.inline_return, JobReturn):
        return main.inline_return
    if result.outcome != PipelineOutcome.SUCCEEDED:
        return failed(
            plan,
            f"job #{plan.num} {result.outcome.value.lower()}: {result.error}\n"
            f"Component logs: {plan.job_dir}/<task>.log",
        )
    text = main.output_parameters.get(RETURN_VALUE_OUTPUT) if return_value else None
    if return_value and job.template.main_custom_job:
        text = read_return_value(Path(job.main_run_dir))
        if text is None:
            return failed(
                plan,
                f"job #{plan.num} succeeded, but its main task {job.template.main_task} wrote no "
                f"{RETURN_VALUE_FILE} into its Hydra output dir {job.main_run_dir}",
            )
    value: Any = None if text is None else json.loads(text)
    return completed(plan, value)


class LocalExecutor:
    def __init__(
        self,
        conf: VertexPipelineLauncherConf,
        hydra_context: HydraContext,
        config: DictConfig,
        task_function: TaskFunction,
    ) -> None:
        self.conf = conf
        self.hydra_context = hydra_context
        self.config = config
        self.task_function = task_function

    def main_run_dir(self, plan: JobPlan) -> str:
        return local_run_dir(plan, main_task(self.conf))

    def _runner(self, job: CompiledJob, cache: MemoryTaskCache) -> LocalRunner:
        """The runner of the job's compiled pipeline, its files under the job dir."""
        plan, local = job.plan, self.conf.local
        inline = None
        if local.main == LocalMain.inline:
            run = InlineMain(plan, self.hydra_context, self.config, self.task_function)
            inline = InlineTask(job.template.main_task, run)
        return LocalRunner(
            job.template.spec,
            job.runtime_parameters,
            RunSettings(
                label=str(plan.num),
                timeout_s=local.timeout_s,
                fail_fast=self.conf.failure_policy == FailurePolicy.fast,
            ),
            JobDirHandler(plan.job_dir, local_artifacts(plan)),
            cache=cache,
            inline=inline,
        )

    def execute(self, jobs: Sequence[CompiledJob]) -> list[JobReturn]:
        log.info(
            "Local mode: images and resources are not used; components run with this "
            "machine's interpreter and packages"
        )
        # tasks with caching on run once per sweep batch for the same inputs, as on Vertex
        cache = MemoryTaskCache()
        runners = [self._runner(job, cache) for job in jobs]

        def execute(index: int) -> JobReturn:
            job = jobs[index]
            result = runners[index].run()
            log.info(f"#{job.plan.num} : {result.outcome.value.lower()}")
            return job_return_of(job, result, self.conf.return_value)

        if self.conf.local.max_parallel_jobs == 1:
            return [execute(i) for i in range(len(jobs))]
        with ThreadPoolExecutor(max_workers=self.conf.local.max_parallel_jobs) as pool:
            futures = [pool.submit(execute, i) for i in range(len(jobs))]
            try:
                wait(futures, return_when=FIRST_EXCEPTION)
            except BaseException:
                for runner in runners:
                    runner.cancel()
                raise
            return [f.result() for f in futures]
