"""Every pipeline job is the job Hydra's basic launcher would run: a differential test.

The probe app (tests/apps/probe) returns what it sees of itself: its task config, its whole Hydra
config (resolved) and the text of the dataset its pipeline's data step wrote. Each scenario
launches one batch of jobs under Hydra's basic launcher, then under this launcher in local mode
(main component as a subprocess, and inline) and in vertex mode against the Vertex AI emulator
(with gcp-storage-emulator as Cloud Storage). What the main component sees must be what the basic
launcher's job sees, but for the differences README.md lists ("What the main component sees"):
DIFFERENCES, asserted exactly. The project dir, the sweep dirs and the pipeline root hold
characters that Hydra's override grammar reserves, quotes and non-ASCII.
"""

import importlib.util
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from app_runner import APPS_DIR
from hydra import version
from hydra.core.utils import JobReturn, JobStatus
from local_launch import launch

from hydra_vertex_emulator.emulator import Emulator, EmulatorConfig

# README.md, "What the main component sees": the app-visible hydra fields (keys under `hydra`)
# in which the main component differs from the basic launcher's job
DIFFERENCES = {
    "mode",  # RUN: the component is a single run (the job: MULTIRUN)
    "run.dir",  # the job's output dir
    "overrides.hydra",  # the component's own Hydra args
    "callbacks",  # with the launcher's callbacks
}
# and on Vertex AI: its output dir is under the pipeline root (expected_output_dir)
OUTPUT_DIR = {"runtime.output_dir", "job_logging.handlers.file.filename"}
# what differs between any two launchers: the launcher
LAUNCHER_CHOICE = "runtime.choices.hydra/launcher"
# the task config keys that the pipeline sets: the main component's input artifacts
INPUT_KEYS = {"data": {"dir"}}
PIPELINE_ROOT = "gs://probe-bucket/it's root"  # probe_emulator.yaml's


@dataclass(frozen=True)
class Scenario:
    name: str
    # relative: under the project dir (the launch dir)
    sweep_dir: str
    # the launching command line's overrides (`-m` adds hydra.mode=MULTIRUN)
    overrides: tuple[str, ...]
    jobs: tuple[tuple[str, ...], ...]
    # the batch's first job number (an Optuna study's later batches start above 0)
    initial_job_idx: int = 0


SCENARIOS = [
    Scenario(
        "override_dirname_subdirs",
        "{tmp}/swéep (a) [b] 'c' d=e,f:g",  # outside the project dir: absolute
        ("hydra.mode=MULTIRUN", "hydra.sweep.subdir=${hydra.job.override_dirname}"),
        (
            ("x=1", "db=postgres"),  # a config group
            ("x=2", "+tag='a b'"),  # a quoted value: a quote and a space in the job dir
            ("x=3", "hparams_search=optuna"),  # the app's config says MULTIRUN, with Optuna
            ("+s=${hydra:job.num}", "x=4"),  # the job dir resolves it
        ),
    ),
    Scenario(
        "second_batch",
        'multirun/"q" ñ',  # a double quote: the paths of local mode are single-quoted
        ("hydra.mode=MULTIRUN", "hydra.job.config.override_dirname.exclude_keys=[x]"),
        (("x=5",), ("x=6", "db=postgres")),
        initial_job_idx=5,
    ),
]
MODES = {
    "subprocess": ["hydra/launcher=probe_local"],
    "inline": ["hydra/launcher=probe_local", "hydra.launcher.local.main=inline"],
    "vertex": ["hydra/launcher=probe_emulator"],
}


@dataclass(frozen=True)
class Launched:
    sweep_dir: Path
    returns: Sequence[JobReturn]

    def values(self) -> list[dict[str, Any]]:
        assert [r.status for r in self.returns] == [JobStatus.COMPLETED] * len(self.returns), [
            r._return_value for r in self.returns
        ]
        return [r.return_value for r in self.returns]


class Project:
    """The probe app copied into a project dir with non-ASCII and a space, the launch dir."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir = root / "projé ct"
        shutil.copytree(APPS_DIR / "probe", self.dir)
        spec = importlib.util.spec_from_file_location("probe", self.dir / "probe.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self.probe: Callable[[Any], Any] = module.probe

    def sweep_dir(self, scenario: Scenario, mode: str) -> Path:
        return self.dir / scenario.sweep_dir.format(tmp=self.root) / mode

    def launch(self, scenario: Scenario, mode: str, overrides: Sequence[str]) -> Launched:
        sweep_dir = self.sweep_dir(scenario, mode)
        returns = launch(
            [*overrides, *scenario.overrides],
            scenario.jobs,
            sweep_dir,
            self.probe,
            self.dir / "probe.py",
            scenario.initial_job_idx,
        )
        return Launched(sweep_dir, returns)


@pytest.fixture(scope="module")
def emulator(gcs_emulator: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The Vertex AI emulator, its outputs uploaded to gcp-storage-emulator, which the
    launcher copies the jobs' Hydra output dirs from."""
    config = EmulatorConfig(
        port=0, storage_dir=tmp_path_factory.mktemp("storage"), gcs_endpoint=gcs_emulator
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator)
        with Emulator(config).start() as started:
            yield started


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return Project(tmp_path_factory.mktemp("fidelity"))


@pytest.fixture(scope="module")
def launched(project: Project, emulator: Emulator) -> dict[tuple[str, str], Launched]:
    """Every scenario under the basic launcher and in every mode, run once for the module."""
    done = {}
    cwd = os.getcwd()
    os.chdir(project.dir)  # the launch dir: components run the project's scripts from there
    try:
        for scenario in SCENARIOS:
            version.setbase("1.3")  # as the probe's @hydra.main sets it in a fresh process
            done[scenario.name, "basic"] = project.launch(
                scenario, "basic", ["hydra/launcher=basic"]
            )
            for mode, overrides in MODES.items():
                if mode == "vertex":
                    overrides = [*overrides, f"hydra.launcher.api_endpoint={emulator.endpoint}"]
                done[scenario.name, mode] = project.launch(scenario, mode, overrides)
    finally:
        os.chdir(cwd)
    return done


def flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1}; an empty dict and lists stay values."""
    leaves: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            leaves |= flat(value, f"{prefix}{key}.")
        else:
            leaves[f"{prefix}{key}"] = value
    return leaves


def relative_to_sweep(value: Any, sweep_dir: Path) -> Any:
    """Paths under the mode's own sweep dir written as under <sweep> (each mode has one)."""
    if isinstance(value, str):
        return value.replace(str(sweep_dir), "<sweep>")
    if isinstance(value, list):
        return [relative_to_sweep(v, sweep_dir) for v in value]
    if isinstance(value, dict):
        return {k: relative_to_sweep(v, sweep_dir) for k, v in value.items()}
    return value


def differing(basic: dict[str, Any], other: dict[str, Any], known: set[str]) -> set[str]:
    """The keys under which two Hydra configs differ, a key under one of `known` as that one."""
    a, b = flat(basic), flat(other)
    keys = {k for k in a.keys() | b.keys() if a.get(k, "<absent>") != b.get(k, "<absent>")}
    return {next((d for d in known if k == d or k.startswith(f"{d}.")), k) for k in keys}


def without_inputs(cfg: dict[str, Any]) -> dict[str, Any]:
    return {
        key: {k: v for k, v in value.items() if k not in INPUT_KEYS[key]}
        if key in INPUT_KEYS
        else value
        for key, value in cfg.items()
    }


def expected_output_dir(mode: str, job_dir: Path, project: Project, emulator: Emulator) -> str:
    """The main component's output dir: locally the job dir, as under the basic launcher; on
    Vertex the job dir (relative to the launch dir, or its absolute parts) under the pipeline
    root, here the emulator's folder of that gs:// URI."""
    if mode != "vertex":
        return str(job_dir)
    relative = (
        job_dir.relative_to(project.dir)
        if job_dir.is_relative_to(project.dir)
        else job_dir.relative_to("/")
    )
    return str(emulator.local_path(f"{PIPELINE_ROOT}/{relative.as_posix()}"))


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_the_main_component_sees_the_basic_launchers_job(
    launched: dict[tuple[str, str], Launched],
    project: Project,
    emulator: Emulator,
    scenario: Scenario,
    mode: str,
) -> None:
    basic, run = launched[scenario.name, "basic"], launched[scenario.name, mode]
    for job, expected, seen in zip(scenario.jobs, basic.values(), run.values(), strict=True):
        # the task config, but for the paths of input artifacts, which the probe read
        assert without_inputs(seen["cfg"]) == without_inputs(expected["cfg"]), job
        assert seen["data"] == "prepared" and expected["data"] is None
        assert seen["cfg"]["seed"] == expected["hydra"]["job"]["num"]
        # the app-visible Hydra config, but for the documented differences
        expected_hydra = relative_to_sweep(expected["hydra"], basic.sweep_dir)
        seen_hydra = relative_to_sweep(seen["hydra"], run.sweep_dir)
        documented = DIFFERENCES | (OUTPUT_DIR if mode == "vertex" else set())
        assert differing(expected_hydra, seen_hydra, documented) == documented | {
            LAUNCHER_CHOICE
        }, job
        for key in ("name", "num", "id", "override_dirname"):
            assert seen_hydra["job"][key] == expected_hydra["job"][key], (job, key)
        assert seen_hydra["overrides"]["task"] == expected_hydra["overrides"]["task"]
        assert seen_hydra["sweep"] == expected_hydra["sweep"]
        assert seen["hydra"]["mode"] == "RUN"
        job_dir = Path(
            expected["hydra"]["runtime"]["output_dir"].replace(
                str(basic.sweep_dir), str(run.sweep_dir)
            )
        )
        assert seen["hydra"]["runtime"]["output_dir"] == expected_output_dir(
            mode, job_dir, project, emulator
        )
    nums = [v["hydra"]["job"]["num"] for v in run.values()]
    assert nums == list(range(scenario.initial_job_idx, scenario.initial_job_idx + len(nums)))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_the_emulator_copies_the_hydra_output_back(
    launched: dict[tuple[str, str], Launched], scenario: Scenario
) -> None:
    """What the main component wrote in its run dir (the Cloud Storage mount on Vertex) reached
    Cloud Storage, and the launcher copied it into the job dir."""
    run = launched[scenario.name, "vertex"]
    for ret in run.returns:
        assert ret.working_dir is not None and ret.hydra_cfg is not None
        copied = Path(ret.working_dir) / "hydra_output"
        assert (copied / ".hydra" / "overrides.yaml").is_file(), copied
        assert (copied / "probe.log").is_file()
        num = ret.hydra_cfg.hydra.job.num
        assert f"num: {num}\n" in (copied / ".hydra" / "hydra.yaml").read_text()


def test_job_ids_are_the_basic_launchers(launched: dict[tuple[str, str], Launched]) -> None:
    """hydra.job.id is the job number, as Hydra's basic launcher sets it."""
    for scenario in SCENARIOS:
        for ret in launched[scenario.name, "subprocess"].returns:
            assert ret.hydra_cfg is not None
            assert ret.hydra_cfg.hydra.job.id == str(ret.hydra_cfg.hydra.job.num)
