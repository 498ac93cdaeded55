"""mode=local: each job's compiled pipeline runs here through the LocalRunner."""

import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any

from hydra.core.utils import JobReturn, JobStatus, run_job
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, open_dict

from ._local_runner import LocalRunner, MemoryTaskCache, PipelineResult
from ._plan import JobPlan
from ._run_dir import LOCAL_ARTIFACTS_DIR
from ._template import RETURN_VALUE_OUTPUT
from .config import VertexPipelineLauncherConf

log = logging.getLogger(__name__)


class PipelineJobFailed(RuntimeError):
    """A job whose pipeline did not succeed; the message says which task failed and why."""


def _is_hydra_arg(arg: str) -> bool:
    key = arg.split("=", 1)[0].lstrip("+~")
    return key == "hydra" or key.startswith(("hydra.", "hydra/"))


def inline_main(
    plan: JobPlan,
    hydra_context: HydraContext,
    config: DictConfig,
    task_function: TaskFunction,
    returns: dict[int, JobReturn],
) -> Callable[[list[str]], Any]:
    """The main task, run in this process through Hydra's run_job (breakpoints work).

    Args beyond the job overrides (artifact paths, fixed args) are applied as overrides too;
    hydra.* args (output dir, callback) are Hydra's business here.
    """

    def run(args: list[str]) -> None:
        extra = [a for a in args if a not in plan.overrides and not _is_hydra_arg(a)]
        sweep_config = hydra_context.config_loader.load_sweep_config(
            config, [*plan.overrides, *extra]
        )
        with open_dict(sweep_config):
            sweep_config.hydra.job.id = plan.sweep_config.hydra.job.id
            sweep_config.hydra.job.num = plan.num
        ret = run_job(
            hydra_context=hydra_context,
            task_function=task_function,
            config=sweep_config,
            job_dir_key="hydra.sweep.dir",
            job_subdir_key="hydra.sweep.subdir",
        )
        ret.overrides = list(plan.overrides)
        returns[plan.num] = ret
        if ret.status == JobStatus.FAILED:
            raise PipelineJobFailed(f"the task function raised {ret._return_value!r}")

    return run


def job_return_of(
    plan: JobPlan, result: PipelineResult, return_value: bool, failure_hint: str
) -> JobReturn:
    """The JobReturn of a finished pipeline job: the main task's return value, or why it failed."""
    assert plan.template is not None
    if result.state != "SUCCEEDED":
        return plan.job_return(
            JobStatus.FAILED,
            PipelineJobFailed(
                f"job #{plan.num} {result.state.lower()}: {result.error}\n{failure_hint}"
            ),
        )
    main = result.tasks[plan.template.main_task]
    text = main.output_parameters.get(RETURN_VALUE_OUTPUT) if return_value else None
    return plan.job_return(JobStatus.COMPLETED, None if text is None else json.loads(text))


def local_runner(
    plan: JobPlan,
    conf: VertexPipelineLauncherConf,
    inline: Callable[[list[str]], Any] | None,
    cache: MemoryTaskCache,
) -> LocalRunner:
    """The runner of the job's compiled pipeline, its files under the job dir."""
    assert plan.template is not None
    return LocalRunner(
        plan.template.spec,
        plan.parameter_values,
        job_dir=plan.job_dir,
        artifact_root=plan.job_dir / LOCAL_ARTIFACTS_DIR,
        label=str(plan.num),
        timeout_s=conf.local.timeout_s,
        failure_policy=conf.failure_policy,
        inline_task=plan.template.main_task if inline else None,
        inline_main=inline,
        cache=cache,
    )


def run_local(
    plans: Sequence[JobPlan],
    conf: VertexPipelineLauncherConf,
    hydra_context: HydraContext,
    config: DictConfig,
    task_function: TaskFunction,
) -> list[JobReturn]:
    log.info(
        "Local mode: images and resources are not used; components run with this "
        "machine's interpreter and packages"
    )
    inline_returns: dict[int, JobReturn] = {}
    # tasks with caching on run once per sweep batch for the same inputs, as on Vertex
    cache = MemoryTaskCache()
    runners = {
        plan.num: local_runner(
            plan,
            conf,
            inline_main(plan, hydra_context, config, task_function, inline_returns)
            if conf.local.main == "inline"
            else None,
            cache,
        )
        for plan in plans
    }

    def execute(plan: JobPlan) -> JobReturn:
        result = runners[plan.num].run()
        if plan.num in inline_returns:
            return inline_returns[plan.num]
        hint = f"Component logs: {plan.job_dir}/<task>.log"
        ret = job_return_of(plan, result, conf.return_value, hint)
        log.info(f"#{plan.num} : {result.state.lower()}")
        return ret

    if conf.local.max_parallel_jobs == 1:
        return [execute(plan) for plan in plans]
    with ThreadPoolExecutor(max_workers=conf.local.max_parallel_jobs) as pool:
        futures = [pool.submit(execute, plan) for plan in plans]
        try:
            wait(futures, return_when=FIRST_EXCEPTION)
        except BaseException:
            for runner in runners.values():
                runner.cancel()
            raise
        return [f.result() for f in futures]
