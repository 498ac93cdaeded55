"""The JobReturn of a job, built here for every mode: what Hydra and its sweepers get back."""

from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from omegaconf import OmegaConf

from .errors import PipelineJobFailed, explain_failure
from .planning.job_plan import JobPlan


class UnfinishedJobReturn(JobReturn):
    """A job compiled or submitted but not waited for: its status stays UNKNOWN (never COMPLETED)
    and its return_value is None, so that Hydra's sweepers finish instead of asserting."""

    @property
    def return_value(self) -> Any:
        return None

    @return_value.setter
    def return_value(self, value: Any) -> None:
        self._return_value = value


def job_return(plan: JobPlan, status: JobStatus, value: Any) -> JobReturn:
    """The job's JobReturn: its config, Hydra config, overrides and dir, with status and value
    (for a FAILED job, the exception that Hydra raises when the value is read)."""
    ret_type = JobReturn if status != JobStatus.UNKNOWN else UnfinishedJobReturn
    ret = ret_type(
        overrides=list(plan.overrides),
        cfg=plan.job_config,
        hydra_cfg=OmegaConf.create({"hydra": plan.sweep_config.hydra}),
        working_dir=str(plan.job_dir),
        task_name=plan.job_name,
        status=status,
    )
    ret.return_value = value
    return ret


def completed(plan: JobPlan, value: Any) -> JobReturn:
    return job_return(plan, JobStatus.COMPLETED, value)


def failed(plan: JobPlan, message: str) -> JobReturn:
    return job_return(plan, JobStatus.FAILED, PipelineJobFailed(explain_failure(message)))


def unfinished(plan: JobPlan) -> JobReturn:
    """Compiled or submitted, not waited for: UNKNOWN, no value."""
    return job_return(plan, JobStatus.UNKNOWN, None)
