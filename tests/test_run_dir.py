"""The main component's hydra.run.dir per mode, and the launching job's settings it gets."""

from pathlib import Path

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ComponentConf,
    Mode,
    VertexPipelineLauncherConf,
)
from hydra_vertex_pipelines.compiling.run_dir import job_output_uri, local_run_dir
from hydra_vertex_pipelines.executors.compile import CompileExecutor
from hydra_vertex_pipelines.executors.vertex.executor import VertexExecutor
from hydra_vertex_pipelines.planning.job_plan import JobPlan, launching_job_args
from hydra_vertex_pipelines.planning.overrides import hydra_literal, hydra_path_value

PARSER = OverridesParser.create()


def plan_in(cwd: Path, job_dir: Path, job: dict[str, object] | None = None) -> JobPlan:
    hydra = {"runtime": {"cwd": str(cwd)}, "job": job or {"name": "train", "chdir": None}}
    return JobPlan(
        num=0,
        overrides=(),
        parsed=(),
        sweep_config=OmegaConf.create({"hydra": hydra}),
        job_dir=job_dir,
        job_name="train",
    )


def conf(mode: Mode, pipeline_root: str | None = "gs://bucket/root") -> VertexPipelineLauncherConf:
    return VertexPipelineLauncherConf(
        mode=mode, pipeline_root=pipeline_root, components={"Train Step": ComponentConf(main=True)}
    )


def vertex_run_dir(plan: JobPlan) -> str:
    return VertexExecutor(conf(Mode.vertex), plan.job_dir, 0).main_run_dir(plan)


def parsed_value(value: str) -> object:
    return PARSER.parse_override(f"hydra.run.dir={value}").value()


def test_vertex_run_dir_mirrors_the_sweep_under_the_pipeline_root(tmp_path: Path) -> None:
    plan = plan_in(tmp_path, tmp_path / "multirun" / "2026-11-22" / "10-00-00" / "3")
    assert str(plan.relative_dir) == "multirun/2026-11-22/10-00-00/3"
    assert job_output_uri("gs://bucket/root/", plan) == (
        "gs://bucket/root/multirun/2026-11-22/10-00-00/3"
    )
    assert vertex_run_dir(plan) == "/gcs/bucket/root/multirun/2026-11-22/10-00-00/3"


def test_a_sweep_dir_outside_the_launch_dir_keeps_its_absolute_parts(tmp_path: Path) -> None:
    plan = plan_in(tmp_path / "project", tmp_path / "project" / ".." / "sweeps" / "0")
    assert str(plan.relative_dir) == f"{str(tmp_path).lstrip('/')}/sweeps/0"


def test_compile_without_pipeline_root_leaves_the_run_dir_relative(tmp_path: Path) -> None:
    plan = plan_in(tmp_path, tmp_path / "multirun" / "0")
    executor = CompileExecutor(conf(Mode.compile, pipeline_root=None))
    assert executor.main_run_dir(plan) == "multirun/0"


def test_local_run_dir_is_the_main_tasks_hydra_output_folder(tmp_path: Path) -> None:
    plan = plan_in(tmp_path, tmp_path / "multirun" / "0")
    expected = tmp_path / "multirun" / "0" / "artifacts" / "train-step" / "hydra_output"
    assert local_run_dir(plan, "train-step") == str(expected)


def test_special_characters_in_the_run_dir_are_escaped(tmp_path: Path) -> None:
    plan = plan_in(tmp_path, tmp_path / "hydra_cfg" / "a=1,b=[2 3]")
    value = hydra_path_value(vertex_run_dir(plan))
    assert value.startswith("/gcs/bucket/root/hydra_cfg/")
    assert parsed_value(value) == "/gcs/bucket/root/hydra_cfg/a=1,b=[2 3]"


@pytest.mark.parametrize(
    "path",
    ["/plain/path-1.2/x_y", "/a b/(c)[d]{e}:f\\g,h=i", "/x/name='a b'", 'rel/"q"', "end\\"],
)
def test_path_values_parse_back_to_the_path(path: str) -> None:
    assert parsed_value(hydra_path_value(path)) == path


@pytest.mark.parametrize(
    "name", ["train", "my app", "it's", "back\\slash'", "true", "null", "1st", "a=b,c"]
)
def test_literals_parse_back_to_the_text(name: str) -> None:
    assert PARSER.parse_override(f"hydra.job.name={hydra_literal(name)}").value() == name


def test_launching_job_args_carry_name_and_chdir_when_set(tmp_path: Path) -> None:
    unset = plan_in(tmp_path, tmp_path / "0", {"name": "my app", "chdir": None})
    assert launching_job_args(unset) == ("hydra.job.name='my app'",)
    chdir = plan_in(tmp_path, tmp_path / "0", {"name": "train", "chdir": True})
    assert launching_job_args(chdir) == ("hydra.job.name=train", "hydra.job.chdir=true")
