"""JobPlan: one Hydra job of the sweep, composed and placed before anything is compiled or runs."""

import copy
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.types import HydraContext
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from .overrides import JobOverride, OverrideKey, matches_prefix, parse_job_overrides

# Hydra overrides of the launching command line that are the multirun's own business (its mode,
# dirs, launcher and sweeper), not the job's: the main component does not get them
MULTIRUN_KEYS = (
    "hydra.mode",
    "hydra.run",
    "hydra.sweep",
    "hydra.launcher",
    "hydra/launcher",
    "hydra.sweeper",
    "hydra/sweeper",
)


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
    # the launching command line's Hydra overrides that the job was composed with, but for the
    # multirun's own (MULTIRUN_KEYS): the main component gets them, as the job did
    launching_overrides: tuple[str, ...]
    # what Hydra set at run time in the job's hydra node, by key under `hydra` ("job.num": 3):
    # the main component, a fresh run, sets them back (callbacks.LaunchingJobCallback)
    runtime: Mapping[str, Any]

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
        sweep_config.hydra.job.id = num
        sweep_config.hydra.job.num = num
    HydraConfig.instance().set_config(sweep_config)
    sweep_dir, subdir = str(sweep_config.hydra.sweep.dir), str(sweep_config.hydra.sweep.subdir)
    job_dir = Path(sweep_dir) / subdir
    with read_write(sweep_config.hydra.runtime), open_dict(sweep_config.hydra.runtime):
        sweep_config.hydra.runtime.output_dir = os.path.abspath(job_dir)
    return JobPlan(
        num=num,
        overrides=tuple(overrides),
        parsed=parsed,
        sweep_config=sweep_config,
        job_dir=job_dir.absolute(),
        job_name=str(sweep_config.hydra.job.name),
        launching_overrides=_launching_overrides(config),
        runtime=_runtime(sweep_config, sweep_dir, subdir),
    )


def _launching_overrides(config: DictConfig) -> tuple[str, ...]:
    texts = OmegaConf.to_container(config.hydra.overrides.hydra)  # as written: unresolved
    assert isinstance(texts, list)
    return tuple(
        text
        for text, parsed in zip(texts, parse_job_overrides(texts), strict=True)
        if not any(matches_prefix(parsed.key, key) for key in MULTIRUN_KEYS)
    )


def _literal(text: str) -> str:
    """A resolved value, set back as text (not read as an interpolation)."""
    return text.replace("${", "\\${")


def _runtime(sweep_config: DictConfig, sweep_dir: str, subdir: str) -> dict[str, Any]:
    """The job's hydra fields that Hydra sets at run time (not from the job's overrides), as the
    basic launcher's job has them: unresolved, but for the dirs (resolved where the job was)."""
    hydra = sweep_config.hydra
    job = OmegaConf.to_container(hydra.job)
    assert isinstance(job, dict)
    return {
        "job.name": job["name"],
        "job.num": job["num"],
        "job.id": job["id"],
        "job.override_dirname": job["override_dirname"],
        "overrides.task": OmegaConf.to_container(hydra.overrides.task),
        "runtime.choices": OmegaConf.to_container(hydra.runtime.choices),
        "sweep.dir": _literal(sweep_dir),
        "sweep.subdir": _literal(subdir),
    }


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
