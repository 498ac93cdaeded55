"""The one-line command on a plain Hydra app with no launcher config of its own
(tests/apps/plain_app): `python app.py -m hydra/launcher=vertex_pipeline ...` runs the app as the
default pipeline's one component in compile, local and vertex mode, and components made on the
command line grow it into a data step + app pipeline."""

import re
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from app_runner import APPS_DIR, RunApp, app_env
from local_launch import launch
from omegaconf import OmegaConf

from hydra_vertex_emulator.emulator import Emulator, EmulatorConfig

APP_DIR = APPS_DIR / "plain_app"
APP = APP_DIR / "app.py"
ONE_LINER = ["-m", "hydra/launcher=vertex_pipeline"]
L = "hydra.launcher"
C = f"{L}.components"


def app_container(spec: dict[str, Any]) -> dict[str, Any]:
    """The container of the compiled pipeline's one task, the app."""
    [task] = spec["root"]["dag"]["tasks"].values()
    executor = spec["components"][task["componentRef"]["name"]]["executorLabel"]
    container: dict[str, Any] = spec["deploymentSpec"]["executors"][executor]["container"]
    return container


def finished_lines(output: str) -> list[str]:
    """The launcher's one line per finished job: `#N : <state>`, in vertex mode with the job id."""
    return re.findall(r"(#\d+ : [a-z]+)(?: \(\S+\))?$", output, re.MULTILINE)


def test_one_liner_compiles_the_app_started_with_python_m(tmp_path: Path) -> None:
    """No components, no image: the app is the pipeline, started as the user started it."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            *ONE_LINER,
            f"{L}.mode=compile",
            f"hydra.sweep.dir={tmp_path}",
            "x=1,2",
        ],
        cwd=APP_DIR,
        env=app_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    container = app_container(yaml.safe_load((tmp_path / "pipeline.yaml").read_text()))
    assert container["command"] == ["python", "-m", "app"]
    assert container["args"][0] == "x={{$.inputs.parameters['x']}}"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "0",
        "1",
        "multirun.yaml",
        "pipeline.yaml",
        "pipeline_args.md",
    ]


def test_one_liner_runs_locally_and_the_values_come_back(tmp_path: Path, run_app: RunApp) -> None:
    """`python app.py`, the app as a subprocess per job; Optuna only finds the optimum if each
    job's return value reached it."""
    proc = run_app(
        APP,
        *ONE_LINER,
        f"{L}.mode=local",
        "hydra/sweeper=optuna",
        "hydra/sweeper/sampler=grid",
        "hydra.sweeper.n_trials=3",
        "hydra.sweeper.direction=minimize",
        "x=choice(2,-3,1)",
        f"hydra.sweep.dir={tmp_path}",
    )
    assert proc.returncode == 0, proc.stderr
    results = OmegaConf.load(tmp_path / "optimization_results.yaml")
    assert results.best_value == 1.0 and results.best_params.x == 1
    assert sorted(finished_lines(proc.stdout)) == [
        "#0 : succeeded",
        "#1 : succeeded",
        "#2 : succeeded",
    ]
    # the app ran as the default pipeline's component, started as `python app.py`
    assert (tmp_path / "0" / "artifacts" / "app" / "return_value").exists()


def test_components_made_on_the_command_line_run_locally(tmp_path: Path, run_app: RunApp) -> None:
    """A data step and the app as a pipeline, from the command line; the app runs inline, with a
    job logging config that disables other loggers (the launcher's lines still appear)."""
    proc = run_app(
        APP,
        *ONE_LINER,
        f"{L}.mode=local",
        f"{L}.local.main=inline",
        f"+{C}.prep={{command:[python,prep.py],overrides:[data],outputs:{{dataset:data.out_dir}}}}",
        f"+{C}.app={{main:true,command:[python,app.py],inputs:{{data.dir:prep.dataset}}}}",
        "hydra.job_logging.disable_existing_loggers=true",
        "data.n=5",
        "x=1,2",
        f"hydra.sweep.dir={tmp_path}",
    )
    assert proc.returncode == 0, proc.stderr
    assert finished_lines(proc.stdout) == ["#0 : succeeded", "#1 : succeeded"]
    # the data step ran (in job 0; job 1 reused it from the cache) and the app read its output
    dataset = tmp_path / "0" / "artifacts" / "prep" / "dataset"
    assert (dataset / "n.txt").read_text() == "5"
    for job in ("0", "1"):
        config = OmegaConf.load(tmp_path / job / ".hydra" / "config.yaml")
        assert config.data.dir == str(dataset)
        # the launcher's lines are not written into the jobs' own log
        assert "succeeded" not in (tmp_path / job / "app.log").read_text()


@pytest.fixture
def vertex_emulator_config(tmp_path: Path, gcs_emulator: str) -> EmulatorConfig:
    """The emulator uploads the jobs' outputs to the Cloud Storage emulator."""
    return EmulatorConfig(
        port=0, storage_dir=tmp_path / "vertex-storage", gcs_endpoint=gcs_emulator
    )


def test_one_liner_on_vertex_ai_returns_the_values(
    vertex_emulator: Emulator,
    gcs_emulator: str,
    tmp_path: Path,
    run_app: RunApp,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Against the emulator, which runs the jobs' `python app.py` in its working dir."""
    monkeypatch.chdir(APP_DIR)
    sweep_dir = tmp_path / "sweep"
    proc = run_app(
        APP,
        *ONE_LINER,
        f"{L}.api_endpoint={vertex_emulator.endpoint}",
        f"{L}.project=test-project",
        f"{L}.pipeline_root=gs://test-bucket/root",
        f"{L}.poll_interval_s=0.2",
        "x=1,2",
        f"hydra.sweep.dir={sweep_dir}",
        env={"VERTEX_PIPELINE_IMAGE": "python:3.11-slim", "STORAGE_EMULATOR_HOST": gcs_emulator},
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(finished_lines(proc.stdout)) == ["#0 : succeeded", "#1 : succeeded"]
    summary = proc.stdout.split("Vertex AI sweep results:", 1)[1].splitlines()
    rows = [line.split()[:3] for line in summary[2:4]]
    assert rows == [["0", "succeeded", "1.0"], ["1", "succeeded", "4.0"]]
    assert sorted(vertex_emulator.stats()["created"].values()) == [1, 1]
    # the job's Hydra output came back from Cloud Storage
    assert "- x=2" in (sweep_dir / "1" / "hydra_output" / ".hydra" / "overrides.yaml").read_text()


def test_the_app_settings_reach_the_compiled_task(tmp_path: Path) -> None:
    """hydra.launcher.app holds the default component's task settings, typed, without `+`."""
    launch(
        [
            "hydra/launcher=vertex_pipeline",
            f"{L}.mode=compile",
            f"{L}.image=europe-docker.pkg.dev/p/r/app:1",
            f"{L}.app.command=[python,-m,plain.app]",
            f"{L}.app.resources.accelerator_type=NVIDIA_L4",
            f"{L}.app.resources.memory=32G",
            f"{L}.app.retries=2",
            f"+{L}.app.env.MODE=fast",
        ],
        [["x=3"]],
        tmp_path,
        app=APP,
    )
    spec = yaml.safe_load((tmp_path / "pipeline.yaml").read_text())
    container = app_container(spec)
    assert container["image"] == "europe-docker.pkg.dev/p/r/app:1"
    assert container["command"] == ["python", "-m", "plain.app"]
    assert container["env"] == [{"name": "MODE", "value": "fast"}]
    assert container["resources"]["accelerator"]["resourceType"] == "NVIDIA_L4"
    assert container["resources"]["resourceMemoryLimit"] == "32G"
    [task] = spec["root"]["dag"]["tasks"].values()
    assert task["retryPolicy"]["maxRetryCount"] == 2


def test_the_launcher_image_is_the_image_of_components_that_name_none(tmp_path: Path) -> None:
    launch(
        [
            "hydra/launcher=two_step",
            f"{C}.data.image=null",
            f"{L}.image=europe-docker.pkg.dev/p/r/shared:1",
        ],
        [["optim.lr=0.1"]],
        tmp_path,
        app=APPS_DIR / "sweep_app" / "main.py",
    )
    spec = yaml.safe_load((tmp_path / "pipeline.yaml").read_text())
    images = {
        name.removeprefix("exec-"): executor["container"]["image"]
        for name, executor in spec["deploymentSpec"]["executors"].items()
    }
    assert images == {
        "data": "europe-docker.pkg.dev/p/r/shared:1",
        "train": "europe-docker.pkg.dev/my-project/apps/train:1",
    }


LAUNCHING_SCRIPT = """
from pathlib import Path
from hydra_vertex_pipelines.default_pipeline import launch_command
def main(cfg):
    pass
command = launch_command(main, Path(LAUNCH_DIR))
"""


@pytest.mark.parametrize("launch_dir, expected", [("", "app/run.py"), ("launch", None)])
def test_a_script_is_started_by_its_path_from_the_launch_dir(
    tmp_path: Path, launch_dir: str, expected: str | None
) -> None:
    """Relative to the launch dir when under it, else absolute (run as __main__, as python does)."""
    script = tmp_path / "app" / "run.py"
    script.parent.mkdir()
    script.write_text(LAUNCHING_SCRIPT)
    found = runpy.run_path(
        str(script), {"LAUNCH_DIR": str(tmp_path / launch_dir)}, run_name="__main__"
    )
    assert found["command"] == ["python", expected or str(script)]


def test_a_package_run_with_python_m_is_started_the_same_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m trainer` runs trainer/__main__.py; the component runs `python -m trainer`."""
    package = tmp_path / "trainer"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(LAUNCHING_SCRIPT)
    monkeypatch.syspath_prepend(str(tmp_path))
    found = runpy.run_module(
        "trainer", {"LAUNCH_DIR": str(tmp_path)}, run_name="__main__", alter_sys=True
    )
    assert found["command"] == ["python", "-m", "trainer"]
