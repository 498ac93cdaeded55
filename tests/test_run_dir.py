"""The main component's hydra.run.dir per mode, and how paths and values go into Hydra args."""

from pathlib import Path

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from hydra_plugins.hydra_vertex_pipeline_launcher.callbacks import from_arg_json
from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ComponentConf,
    Mode,
    VertexPipelineLauncherConf,
)
from hydra_vertex_pipelines.compiling.run_dir import job_output_uri, local_run_dir
from hydra_vertex_pipelines.errors import LauncherConfigError
from hydra_vertex_pipelines.executors.compile import CompileExecutor
from hydra_vertex_pipelines.executors.vertex.executor import VertexExecutor
from hydra_vertex_pipelines.planning.job_plan import JobPlan
from hydra_vertex_pipelines.planning.overrides import arg_json, in_quotes, path_quote
from hydra_vertex_pipelines.planning.snapshot import ConfigSnapshot

PARSER = OverridesParser.create()


def plan_in(cwd: Path, job_dir: Path) -> JobPlan:
    empty = ConfigSnapshot(OmegaConf.create(), check=False)
    return JobPlan(
        num=0,
        overrides=(),
        parsed=(),
        job_dir=job_dir,
        job_name="train",
        launch_dir=cwd,
        launching_overrides=(),
        runtime={},
        task_config=empty,
        hydra_config=empty,
    )


def conf(mode: Mode, pipeline_root: str | None = "gs://bucket/root") -> VertexPipelineLauncherConf:
    return VertexPipelineLauncherConf(
        mode=mode, pipeline_root=pipeline_root, components={"Train Step": ComponentConf(main=True)}
    )


def vertex_run_dir(plan: JobPlan) -> str:
    return VertexExecutor(conf(Mode.vertex), plan.job_dir, 0).main_run_dir(plan)


def as_the_app_reads_it(value: str) -> object:
    """An arg's value as the app reads it: parsed by Hydra, then read from the config."""
    parsed = PARSER.parse_override(f"key={value}").value()
    return OmegaConf.create({"key": parsed}).key


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


def test_local_run_dir_is_the_job_dir(tmp_path: Path) -> None:
    plan = plan_in(tmp_path, tmp_path / "multirun" / "0")
    assert local_run_dir(plan) == str(tmp_path / "multirun" / "0")


ODD_PATHS = [
    "/plain/path-1.2/x_y",
    "/a b/(c)[d]{e}:f\\g,h=i",
    "/home/josé/ñ/名前",
    "/x/name='a b'/y",
    '/x/name="a b"/y',
    "/x/${oc.env:HOME}/$HOME/y",
    "/x/back\\${y}/z\\",
    "/x/it\\'s\\\\'/end\\\\",
    "123",
    "null",
]


@pytest.mark.parametrize("path", ODD_PATHS)
@pytest.mark.parametrize("quote", ["'", '"'])
def test_a_path_between_quotes_is_read_back_as_itself(path: str, quote: str) -> None:
    assert as_the_app_reads_it(f"{quote}{in_quotes(path, quote)}{quote}") == path


@pytest.mark.parametrize("path", [p for p in ODD_PATHS if "${" not in p])
def test_a_raw_path_is_read_back_between_a_quote_its_prefix_lacks(path: str) -> None:
    """Artifact paths are put into args unescaped (by Vertex): only the quote protects them."""
    prefix = path.rsplit("/", 1)[0]
    quote = path_quote(prefix, "test")
    assert as_the_app_reads_it(f"{quote}{prefix}/artifact{quote}") == f"{prefix}/artifact"


def test_paths_are_double_quoted_unless_their_prefix_holds_a_double_quote() -> None:
    assert path_quote("/gcs/bucket/it's", "root") == '"'
    assert path_quote('/gcs/bucket/"x"', "root") == "'"


@pytest.mark.parametrize("prefix", ["/gcs/b/'a'\"b\"", "/gcs/b/${x}"])
def test_a_prefix_that_no_quote_can_hold_is_refused(prefix: str) -> None:
    with pytest.raises(LauncherConfigError, match="pipeline_root"):
        path_quote(prefix, "hydra.launcher.pipeline_root")


@pytest.mark.parametrize(
    "value",
    [
        {"job.num": 3, "job.id": "3", "sweep.dir": "/home/josé/it's (1) [a=b,c:d]"},
        {"overrides.task": ["+seed=${hydra:job.num}", "x='a b'", 'y="\\"'], "n": None},
        {"runtime.choices": {"db": "mysql", "hydra/launcher": "local"}, "s": "$HOME ${"},
    ],
)
def test_runtime_json_is_read_back_between_single_quotes(value: dict[str, object]) -> None:
    """The launching job's runtime travels as base64 JSON in one single-quoted arg, with no
    character that a custom job's JSON payload (filled in unescaped) would need escaped."""
    text = arg_json(value)
    assert not set(text) & set("\"\\'$ ")
    assert from_arg_json(str(as_the_app_reads_it(f"'{text}'"))) == value
