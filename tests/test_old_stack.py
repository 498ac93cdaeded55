"""The launcher's callbacks in an image built for an older stack: Python 3.8 and hydra-core 1.1.

Runs only where HYDRA_VERTEX_OLD_STACK_PYTHON names such an interpreter (its venv with
hydra-core==1.1.2; this repository reaches it on PYTHONPATH, as a copied plugin would), e.g.
`python3.8 -m venv /tmp/old && /tmp/old/bin/pip install hydra-core==1.1.2`, then
`HYDRA_VERTEX_OLD_STACK_PYTHON=/tmp/old/bin/python pytest tests/test_old_stack.py`.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
from app_runner import APPS_DIR

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ComponentConf,
    Mode,
    VertexPipelineLauncherConf,
)
from hydra_vertex_pipelines.compiling.template import compile_template
from hydra_vertex_pipelines.planning.overrides import parse_job_overrides
from hydra_vertex_pipelines.runner import TaskResult, placeholders

OLD_PYTHON = os.environ.get("HYDRA_VERTEX_OLD_STACK_PYTHON")
APP = APPS_DIR / "old_stack" / "app.py"
REPO = Path(__file__).parent.parent


@pytest.mark.skipif(OLD_PYTHON is None, reason="HYDRA_VERTEX_OLD_STACK_PYTHON is not set")
def test_the_callbacks_run_on_python_3_8_and_hydra_1_1(tmp_path: Path) -> None:
    conf = VertexPipelineLauncherConf(
        mode=Mode.compile,
        pipeline_name="old",
        components={"app": ComponentConf(main=True, command=["python", "app.py"])},
    )
    overrides = parse_job_overrides(["+tag='o l d'"])
    template = compile_template(conf, [o.override_key for o in overrides])
    runtime = {"job.num": 4, "job.id": "4", "job.name": "app", "overrides.task": ["+tag='o l d'"]}
    run_dir = tmp_path / "jo sé [4]"
    result = TaskResult(task="app")
    parameters = template.runtime_parameters(overrides, str(run_dir), runtime)
    task = template.spec["root"]["dag"]["tasks"]["app"]
    placeholders.resolve_inputs(template.spec, parameters, task, {}, result)
    result.output_parameter_files = {"return_value": tmp_path / "return_value"}
    container = template.spec["deploymentSpec"]["executors"]["exec-app"]["container"]
    args = [placeholders.resolve(a, result) for a in container["args"]]
    assert OLD_PYTHON is not None
    done = subprocess.run(
        [OLD_PYTHON, APP.name, *args],
        cwd=APP.parent,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    value = json.loads((tmp_path / "return_value").read_text())
    assert value == {"seed": 4, "num": 4, "id": "4", "name": "app"}
    assert (run_dir / ".hydra" / "overrides.yaml").read_text() == "- +tag='o l d'\n"
