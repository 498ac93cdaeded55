"""The launcher's callbacks inside a real Hydra app, enabled by the args the compiled template
gives it.

The main component's args come from a compiled spec; its placeholders (the run dir, the launching
job's runtime, the return_value output file) are resolved by the LocalRunner as for a local run,
and the app runs as a subprocess in run mode, as in its container.
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from app_runner import APPS_DIR, app_env

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ComponentConf,
    Mode,
    VertexPipelineLauncherConf,
)
from hydra_vertex_pipelines.compiling.template import (
    CALLBACK_NAME,
    HYDRA_RUN_DIR_PARAMETER,
    HYDRA_RUNTIME_PARAMETER,
    compile_template,
)
from hydra_vertex_pipelines.planning.overrides import arg_json
from hydra_vertex_pipelines.runner import TaskResult, placeholders

APP = APPS_DIR / "return_value" / "app.py"
HAS_NUMPY = importlib.util.find_spec("numpy") is not None


@pytest.fixture(scope="module")
def template_args() -> list[str]:
    """The main component's args as compiled (no job overrides)."""
    conf = VertexPipelineLauncherConf(
        mode=Mode.compile,
        pipeline_name="rv",
        components={"app": ComponentConf(main=True, command=["python", "app.py"])},
    )
    spec = compile_template(conf, ()).spec
    args: list[str] = spec["deploymentSpec"]["executors"]["exec-app"]["container"]["args"]
    callback_args = [a for a in args if a.startswith(f"++hydra.callbacks.{CALLBACK_NAME}.")]
    assert len(callback_args) == 2
    return args


def resolve(args: list[str], job_dir: Path) -> tuple[list[str], Path]:
    """Resolve the output placeholders as a local run would."""
    result = TaskResult(task="app")
    result.input_parameters = {
        HYDRA_RUN_DIR_PARAMETER: str(job_dir / "hydra_output"),
        HYDRA_RUNTIME_PARAMETER: arg_json(RUNTIME),
    }
    output_file = job_dir / "app" / "return_value"
    result.output_parameter_files = {"return_value": output_file}
    return [placeholders.resolve(a, result) for a in args], output_file


# the launching job's runtime fields that the launcher's other callback sets back
RUNTIME = {"job.num": 7, "job.id": "7", "job.name": "launcher's job", "sweep.subdir": "s=7"}

KINDS = {
    "runtime": (
        '{"num": 7, "id": "7", "name": "launcher\'s job", "subdir": "s=7"}',
        {"num": 7, "id": "7", "name": "launcher's job", "subdir": "s=7"},
    ),
    "float": ("2.0", 2.0),
    "int": ("3", 3),
    "str": ('"done"', "done"),
    "none": ("null", None),
    "dict": (
        '{"loss": 0.125, "steps": [1, null], "name": "run"}',
        {"loss": 0.125, "steps": [1, None], "name": "run"},
    ),
    "config": ('{"lr": 0.5, "layers": [1, 2]}', {"lr": 0.5, "layers": [1, 2]}),
}
if HAS_NUMPY:
    KINDS |= {"numpy_float": ("0.25", 0.25), "numpy_int": ("7", 7)}


@pytest.fixture(scope="module")
def runs(
    template_args: list[str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple["subprocess.CompletedProcess[str]", Path]]:
    """Every kind, plus a failing task, run at once (each is its own process)."""
    root = tmp_path_factory.mktemp("callback")
    started = {}
    for kind in [*KINDS, "fail"]:
        args, output_file = resolve(template_args, root / kind)
        proc = subprocess.Popen(
            [sys.executable, APP.name, f"kind={kind}", *args],
            cwd=APP.parent,
            env=app_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started[kind] = (proc, output_file, args)
    done = {}
    for kind, (proc, output_file, args) in started.items():
        out, err = proc.communicate(timeout=120)
        done[kind] = (subprocess.CompletedProcess(args, proc.returncode, out, err), output_file)
    return done


@pytest.mark.parametrize("kind", list(KINDS))
def test_return_value_written_as_json(
    kind: str, runs: dict[str, tuple["subprocess.CompletedProcess[str]", Path]]
) -> None:
    proc, output_file = runs[kind]
    assert proc.returncode == 0, proc.stderr
    text, value = KINDS[kind]
    assert output_file.read_text(encoding="utf-8") == text
    loaded = json.loads(text)
    assert loaded == value and type(loaded) is type(value)
    # the run dir is the hydra_run_dir parameter
    assert (output_file.parent.parent / "hydra_output" / ".hydra" / "config.yaml").is_file()


def test_float_stays_float(
    runs: dict[str, tuple["subprocess.CompletedProcess[str]", Path]],
) -> None:
    _, output_file = runs["float"]
    assert isinstance(json.loads(output_file.read_text()), float)


def test_failing_task_writes_nothing(
    runs: dict[str, tuple["subprocess.CompletedProcess[str]", Path]],
) -> None:
    proc, output_file = runs["fail"]
    assert proc.returncode != 0
    assert "the task failed" in proc.stderr
    assert not output_file.exists()
    assert not output_file.parent.exists()
