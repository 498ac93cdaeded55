"""JobPlan: one Hydra job of the sweep, composed, placed and written before anything runs."""

import copy
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, JobStatus
from hydra.types import HydraContext
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from ._overrides import JobOverride, hydra_literal, parse_job_overrides
from ._template import PipelineTemplate


@dataclass
class JobPlan:
    # job number within the sweep (hydra.job.num)
    num: int
    # the job's overrides as the sweeper gave them
    overrides: list[str]
    # the same, parsed
    parsed: list[JobOverride]
    # the composed config of the job, hydra node included
    sweep_config: DictConfig
    # the job's output dir: hydra.sweep.dir/hydra.sweep.subdir
    job_dir: Path
    # hydra.job.name
    task_name: str
    # the pipeline this job runs; set once templates are compiled
    template: PipelineTemplate | None = field(default=None)
    # the main component's hydra.run.dir in the mode that runs the job; set with the template
    hydra_run_dir: str | None = field(default=None)

    @property
    def task_config(self) -> DictConfig:
        cfg = copy.deepcopy(self.sweep_config)
        with read_write(cfg), open_dict(cfg):
            del cfg["hydra"]
        return cfg

    @property
    def parameter_values(self) -> dict[str, str]:
        assert self.template is not None and self.hydra_run_dir is not None
        return self.template.parameter_values(self.parsed, self.hydra_run_dir)

    @property
    def relative_dir(self) -> PurePosixPath:
        """The job dir relative to the launch dir (hydra.runtime.cwd), as the sweep lays it out;
        a job dir outside the launch dir keeps its absolute path's parts."""
        job_dir = Path(os.path.normpath(self.job_dir))
        cwd = Path(os.path.normpath(str(self.sweep_config.hydra.runtime.cwd)))
        if job_dir.is_relative_to(cwd) and job_dir != cwd:
            return PurePosixPath(job_dir.relative_to(cwd).as_posix())
        return PurePosixPath(job_dir.relative_to(job_dir.anchor).as_posix())

    def job_return(self, status: JobStatus, value: Any) -> JobReturn:
        ret_type = JobReturn if status != JobStatus.UNKNOWN else UnfinishedJobReturn
        ret = ret_type(
            overrides=list(self.overrides),
            cfg=self.task_config,
            hydra_cfg=OmegaConf.create({"hydra": self.sweep_config.hydra}),
            working_dir=str(self.job_dir),
            task_name=self.task_name,
            status=status,
        )
        ret.return_value = value
        return ret


class UnfinishedJobReturn(JobReturn):
    """A job compiled or submitted but not waited for: its status stays UNKNOWN (never COMPLETED)
    and its return_value is None, so that Hydra's sweepers finish instead of asserting."""

    @property
    def return_value(self) -> Any:
        return None

    @return_value.setter
    def return_value(self, value: Any) -> None:
        self._return_value = value


def plan_job(
    hydra_context: HydraContext, config: DictConfig, overrides: Sequence[str], num: int
) -> JobPlan:
    """Compose the job's config as Hydra's basic launcher does and choose its output dir."""
    parsed = parse_job_overrides(overrides)
    sweep_config = hydra_context.config_loader.load_sweep_config(config, list(overrides))
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{num}"
        sweep_config.hydra.job.num = num
    HydraConfig.instance().set_config(sweep_config)
    job_dir = Path(str(sweep_config.hydra.sweep.dir)) / str(sweep_config.hydra.sweep.subdir)
    with read_write(sweep_config.hydra.runtime), open_dict(sweep_config.hydra.runtime):
        sweep_config.hydra.runtime.output_dir = os.path.abspath(job_dir)
    return JobPlan(
        num=num,
        overrides=list(overrides),
        parsed=parsed,
        sweep_config=sweep_config,
        job_dir=job_dir.absolute(),
        task_name=str(sweep_config.hydra.job.name),
    )


def launching_job_args(plan: JobPlan) -> tuple[str, ...]:
    """Settings of the launching job that its main component, the same app started afresh in
    a container, would not get otherwise: hydra.job.name (the launching app's name, or the one
    set in its config or on its command line) and hydra.job.chdir when set."""
    job = plan.sweep_config.hydra.job
    args = [f"hydra.job.name={hydra_literal(str(job.name))}"]
    if job.get("chdir") is not None:
        args.append(f"hydra.job.chdir={str(bool(job.chdir)).lower()}")
    return tuple(args)


def write_job_files(plan: JobPlan, spec_path: Path) -> None:
    """.hydra/{config,hydra,overrides}.yaml and parameters.json in the job dir."""
    assert plan.template is not None
    hydra_dir = plan.job_dir / str(plan.sweep_config.hydra.output_subdir or ".hydra")
    hydra_dir.mkdir(parents=True, exist_ok=True)
    HydraConfig.instance().set_config(plan.sweep_config)
    (hydra_dir / "config.yaml").write_text(OmegaConf.to_yaml(plan.task_config))
    (hydra_dir / "hydra.yaml").write_text(
        OmegaConf.to_yaml(OmegaConf.create({"hydra": plan.sweep_config.hydra}))
    )
    (hydra_dir / "overrides.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create(plan.overrides)))
    parameters = {
        "pipeline_spec": str(spec_path),
        "parameter_values": plan.parameter_values,
    }
    (plan.job_dir / "parameters.json").write_text(json.dumps(parameters, indent=2) + "\n")
