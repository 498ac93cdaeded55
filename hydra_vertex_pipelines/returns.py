"""The JobReturn of a job, built here for every mode: what Hydra and its sweepers get back."""

from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from omegaconf import DictConfig

from .errors import PipelineJobFailed, explain_failure
from .planning.job_plan import JobPlan


class PlannedJobReturn(JobReturn):
    """A JobReturn whose `cfg` (the task config) and `hydra_cfg` (`{hydra: ...}`) are restored from
    the job's plan when first read: sweepers read the return values, rarely the configs, and a
    1000-job sweep keeps 1000 JobReturns."""

    def __init__(self, plan: JobPlan, status: JobStatus) -> None:
        self._plan = plan
        self._cfg: DictConfig | None = None
        self._hydra_cfg: DictConfig | None = None
        super().__init__(
            overrides=list(plan.overrides),
            working_dir=str(plan.job_dir),
            task_name=plan.job_name,
            status=status,
        )

    @property
    def cfg(self) -> DictConfig:
        if self._cfg is None:
            self._cfg = self._plan.task_config.restore()
        return self._cfg

    @cfg.setter
    def cfg(self, value: DictConfig | None) -> None:
        self._cfg = value

    @property
    def hydra_cfg(self) -> DictConfig:
        if self._hydra_cfg is None:
            self._hydra_cfg = self._plan.hydra_config.restore()
        return self._hydra_cfg

    @hydra_cfg.setter
    def hydra_cfg(self, value: DictConfig | None) -> None:
        self._hydra_cfg = value


class UnfinishedJobReturn(PlannedJobReturn):
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
    ret_type = PlannedJobReturn if status != JobStatus.UNKNOWN else UnfinishedJobReturn
    ret = ret_type(plan, status)
    ret.return_value = value
    return ret


def completed(plan: JobPlan, value: Any) -> JobReturn:
    return job_return(plan, JobStatus.COMPLETED, value)


def failed(plan: JobPlan, message: str) -> JobReturn:
    return job_return(plan, JobStatus.FAILED, PipelineJobFailed(explain_failure(message)))


def unfinished(plan: JobPlan) -> JobReturn:
    """Compiled or submitted, not waited for: UNKNOWN, no value."""
    return job_return(plan, JobStatus.UNKNOWN, None)
