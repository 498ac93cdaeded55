"""No value of the launching machine's environment is compiled into a pipeline: a secret there,
referenced from a component's args and from a job override, stays a reference (resolved in the
container) and reaches no file of the sweep, no submitted job and no log; referenced from env it
is refused, without its value in the message."""

import json
from pathlib import Path

import pytest
import requests
from vertex_checks import StartEmulator
from vertex_launch import APP_DIR, launch

from hydra_vertex_pipelines.errors import LauncherConfigError

pytestmark = pytest.mark.usefixtures("in_app_dir")

ENV = "HV_SECRET_MARKER"
MARKER = "hv-marker-9f2c61d4e8"
REFERENCE = f"${{oc.env:{ENV}}}"
FAST = ["hydra/launcher=fast"]
ARGS = f"hydra.launcher.components.main.args=['+token={REFERENCE}']"
OVERRIDE = f"+secret={REFERENCE}"


def files_with(folder: Path, text: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_a_secret_of_this_machine_reaches_no_file_job_or_log(
    start_emulator: StartEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(ENV, MARKER)
    emulator = start_emulator()
    compiled, submitted = tmp_path / "compiled", tmp_path / "submitted"
    launch(APP_DIR, [*FAST, "hydra.launcher.mode=compile", ARGS], [["x=1", OVERRIDE]], compiled)
    pipeline = (compiled / "pipeline.yaml").read_text()
    assert f"+token={REFERENCE}" in pipeline  # the reference, for the container to resolve
    assert (compiled / "pipeline_args.md").exists() and (compiled / "0/parameters.json").exists()
    overrides = [*FAST, f"hydra.launcher.api_endpoint={emulator.endpoint}", ARGS]
    (done,) = launch(APP_DIR, overrides, [["x=2", OVERRIDE]], submitted)
    assert done.return_value == 4.0
    assert (submitted / "vertex_jobs.jsonl").exists()
    assert files_with(compiled, MARKER) == []
    assert files_with(submitted, MARKER) == []
    listed = requests.get(
        f"{emulator.endpoint}/v1/projects/test-project/locations/us-central1/pipelineJobs",
        timeout=10,
    ).json()
    assert len(listed["pipelineJobs"]) == 1
    assert MARKER not in json.dumps(listed)  # the spec and parameters Vertex AI would store
    env_reference = f"+hydra.launcher.components.main.env.NOTE='{REFERENCE}'"
    with pytest.raises(LauncherConfigError, match="is an interpolation") as refused:
        launch(APP_DIR, [*FAST, "hydra.launcher.mode=compile", env_reference], [["x=1"]], tmp_path)
    assert MARKER not in str(refused.value)
    out, err = capsys.readouterr()
    assert MARKER not in caplog.text + out + err


def test_the_app_and_a_component_made_on_the_command_line_keep_args_as_written(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The default pipeline's app (hydra.launcher.app) and a component created with
    `+hydra.launcher.components.<name>={...}` are read as a yaml component is: the reference in
    their args is compiled, never the value; in their env it is refused."""
    monkeypatch.setenv(ENV, MARKER)
    compile_mode = "hydra.launcher.mode=compile"
    default_pipeline = ["hydra/launcher=vertex_pipeline", compile_mode]
    app_args = f"hydra.launcher.app.args=['+token={REFERENCE}']"
    made = f"+hydra.launcher.components.extra={{command:[python,x.py],args:['+token={REFERENCE}']}}"
    launch(APP_DIR, [*default_pipeline, app_args], [["x=1", OVERRIDE]], tmp_path / "app")
    launch(APP_DIR, [*FAST, compile_mode, made], [["x=1", OVERRIDE]], tmp_path / "made")
    for folder in (tmp_path / "app", tmp_path / "made"):
        assert f"+token={REFERENCE}" in (folder / "pipeline.yaml").read_text()
        assert files_with(folder, MARKER) == []
    app_env = f"+hydra.launcher.app.env.NOTE='{REFERENCE}'"
    with pytest.raises(
        LauncherConfigError, match=r"app\.env\.NOTE=.* is an interpolation"
    ) as refused:
        launch(APP_DIR, [*default_pipeline, app_env], [["x=1"]], tmp_path / "env")
    assert MARKER not in str(refused.value)
    out, err = capsys.readouterr()
    assert MARKER not in caplog.text + out + err
