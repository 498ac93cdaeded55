"""JobPlan: one Hydra job of the sweep, composed and placed before it is compiled or runs."""

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf, flag_override, open_dict, read_write

from .composer import Composed, SweepComposer
from .overrides import JobOverride, OverrideKey, matches_prefix, parse_job_overrides
from .snapshot import ConfigSnapshot

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
class JobConfigs:
    """A job's composed config as Hydra's run_job returns it: the task config (without `hydra`)
    and `{hydra: ...}`."""

    task: DictConfig
    hydra: DictConfig
    # how it was composed: the composition it was restored from (None: by Hydra from scratch)
    # and the task config's top-level keys its value overrides changed (Composed)
    base: ConfigSnapshot | None
    changed: frozenset[str]


@dataclass(frozen=True)
class JobPlan:
    # job number within the sweep (hydra.job.num)
    num: int
    # the job's overrides as the sweeper gave them
    overrides: tuple[str, ...]
    # the same, parsed
    parsed: tuple[JobOverride, ...]
    # the job's output dir: hydra.sweep.dir/hydra.sweep.subdir, absolute
    job_dir: Path
    # hydra.job.name
    job_name: str
    # hydra.runtime.cwd: the dir the sweep was launched from
    launch_dir: Path
    # the launching command line's Hydra overrides that the job was composed with, but for the
    # multirun's own (MULTIRUN_KEYS): the main component gets them, as the job did
    launching_overrides: tuple[str, ...]
    # what Hydra set at run time in the job's hydra node, by key under `hydra` ("job.num": 3):
    # the main component, a fresh run, sets them back (callbacks.LaunchingJobCallback)
    runtime: Mapping[str, Any]
    # the composed config (JobConfigs.task and .hydra), kept small until a JobReturn is read
    task_config: ConfigSnapshot
    hydra_config: ConfigSnapshot

    @property
    def override_keys(self) -> tuple[OverrideKey, ...]:
        """What the job's pipeline template depends on."""
        return tuple(o.override_key for o in self.parsed)

    @property
    def relative_dir(self) -> PurePosixPath:
        """The job dir relative to the launch dir (hydra.runtime.cwd), as the sweep lays it out;
        a job dir outside the launch dir keeps its absolute path's parts."""
        job_dir = Path(os.path.normpath(self.job_dir))
        cwd = Path(os.path.normpath(self.launch_dir))
        if job_dir.is_relative_to(cwd) and job_dir != cwd:
            return PurePosixPath(job_dir.relative_to(cwd).as_posix())
        return PurePosixPath(job_dir.relative_to(job_dir.anchor).as_posix())


def set_hydra_config(sweep_config: DictConfig) -> None:
    """HydraConfig.instance().set_config(sweep_config) without its copy of the hydra node (a few
    ms a job): `${hydra:...}` reads this job's node, read-only as Hydra makes it."""
    OmegaConf.set_readonly(sweep_config.hydra, True)
    holder = OmegaConf.create()
    with flag_override(holder, "no_deepcopy_set_nodes", True):
        holder.hydra = sweep_config._get_node("hydra")
    holder._get_node("hydra")._set_parent(sweep_config)  # type: ignore[union-attr]
    HydraConfig.instance().cfg = holder  # type: ignore[assignment]


def split_configs(composed: Composed) -> JobConfigs:
    """The task config and `{hydra: ...}` of the job, made of its config's nodes (no copy)."""
    sweep_config = composed.config
    hydra = sweep_config._get_node("hydra")
    with read_write(sweep_config), open_dict(sweep_config):
        del sweep_config["hydra"]
    holder = OmegaConf.create()
    with flag_override(holder, "no_deepcopy_set_nodes", True):
        holder.hydra = hydra
    return JobConfigs(task=sweep_config, hydra=holder, base=composed.base, changed=composed.changed)


def plan_job(
    composer: SweepComposer,
    config: DictConfig,
    overrides: Sequence[str],
    parsed: tuple[JobOverride, ...],
    num: int,
    launching_overrides: tuple[str, ...],
) -> tuple[JobPlan, JobConfigs]:
    """Compose the job's config as Hydra's basic launcher does and choose its output dir; the
    plan, and the composed config to write the job's .hydra files from."""
    composed = composer.compose(config, overrides)
    sweep_config = composed.config
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = num
        sweep_config.hydra.job.num = num
    set_hydra_config(sweep_config)
    sweep_dir, subdir = str(sweep_config.hydra.sweep.dir), str(sweep_config.hydra.sweep.subdir)
    job_dir = Path(sweep_dir) / subdir
    with read_write(sweep_config.hydra.runtime), open_dict(sweep_config.hydra.runtime):
        sweep_config.hydra.runtime.output_dir = os.path.abspath(job_dir)
    job_name = str(sweep_config.hydra.job.name)
    launch_dir = Path(str(sweep_config.hydra.runtime.cwd))
    runtime = _runtime(sweep_config, sweep_dir, subdir)
    configs = split_configs(composed)
    plan = JobPlan(
        num=num,
        overrides=tuple(overrides),
        parsed=parsed,
        job_dir=job_dir.absolute(),
        job_name=job_name,
        launch_dir=launch_dir,
        launching_overrides=launching_overrides,
        runtime=runtime,
        task_config=ConfigSnapshot(configs.task, check=not composed.faithful),
        hydra_config=ConfigSnapshot(configs.hydra, check=not composed.faithful),
    )
    return plan, configs


def launching_overrides(config: DictConfig) -> tuple[str, ...]:
    """The launching command line's Hydra overrides, as written, that its jobs' main components
    get (all but MULTIRUN_KEYS)."""
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
