"""JobPlan: one Hydra job of the sweep, composed and placed before anything is compiled or runs."""

import copy
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from hydra.core.hydra_config import HydraConfig
from hydra.types import HydraContext
from omegaconf import DictConfig, open_dict, read_write

from .overrides import JobOverride, OverrideKey, hydra_literal, parse_job_overrides


@dataclass(frozen=True)
class JobPlan:
    # job number within the sweep (hydra.job.num)
    num: int
    # the job's overrides as the sweeper gave them
    overrides: tuple[str, ...]
    # the same, parsed
    parsed: tuple[JobOverride, ...]
    # the composed config of the job, hydra node included (not modified after planning)
    sweep_config: DictConfig
    # the job's output dir: hydra.sweep.dir/hydra.sweep.subdir, absolute
    job_dir: Path
    # hydra.job.name
    job_name: str

    @property
    def job_config(self) -> DictConfig:
        """The config the app's task function gets: the composed config without `hydra`."""
        cfg = copy.deepcopy(self.sweep_config)
        with read_write(cfg), open_dict(cfg):
            del cfg["hydra"]
        return cfg

    @property
    def override_keys(self) -> tuple[OverrideKey, ...]:
        """What the job's pipeline template depends on."""
        return tuple(o.override_key for o in self.parsed)

    @property
    def relative_dir(self) -> PurePosixPath:
        """The job dir relative to the launch dir (hydra.runtime.cwd), as the sweep lays it out;
        a job dir outside the launch dir keeps its absolute path's parts."""
        job_dir = Path(os.path.normpath(self.job_dir))
        cwd = Path(os.path.normpath(str(self.sweep_config.hydra.runtime.cwd)))
        if job_dir.is_relative_to(cwd) and job_dir != cwd:
            return PurePosixPath(job_dir.relative_to(cwd).as_posix())
        return PurePosixPath(job_dir.relative_to(job_dir.anchor).as_posix())


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
        overrides=tuple(overrides),
        parsed=parsed,
        sweep_config=sweep_config,
        job_dir=job_dir.absolute(),
        job_name=str(sweep_config.hydra.job.name),
    )


def plan_jobs(
    hydra_context: HydraContext,
    config: DictConfig,
    job_overrides: Sequence[Sequence[str]],
    initial_job_idx: int,
) -> list[JobPlan]:
    """Compose every job's config first: a bad override fails the sweep before anything runs."""
    saved = HydraConfig.instance().cfg
    try:
        return [
            plan_job(hydra_context, config, overrides, initial_job_idx + i)
            for i, overrides in enumerate(job_overrides)
        ]
    finally:
        HydraConfig.instance().cfg = saved


def launching_job_args(plan: JobPlan) -> tuple[str, ...]:
    """Settings of the launching job that its main component, the same app started afresh in
    a container, would not get otherwise: hydra.job.name (the launching app's name, or the one
    set in its config or on its command line) and hydra.job.chdir when set."""
    job = plan.sweep_config.hydra.job
    args = [f"hydra.job.name={hydra_literal(str(job.name))}"]
    if job.get("chdir") is not None:
        args.append(f"hydra.job.chdir={str(bool(job.chdir)).lower()}")
    return tuple(args)
