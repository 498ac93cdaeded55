"""Compile mode writes the generated component args next to the spec, in dependency order."""

import subprocess
import sys
from pathlib import Path

from local_launch import APP_DIR


def test_compile_writes_arg_table(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "main.py",
            "-m",
            "hydra/launcher=local_two_step",
            "hydra.launcher.mode=compile",
            "x=1,2",
            "data.n=3",
            f"hydra.sweep.dir={tmp_path}",
        ],
        cwd=APP_DIR,
        check=True,
        capture_output=True,
    )
    rows = (tmp_path / "pipeline_args.md").read_text().splitlines()
    assert rows[0] == "| task | command | args |"
    prep_args = "| prep | `python data_step.py` | `data.n={{$.inputs.parameters['data__n']}}`"
    assert rows[2].startswith(prep_args)
    assert """`data.out_dir="{{$.outputs.artifacts['dataset'].path}}"`""" in rows[2]
    assert rows[3].startswith("| main | `python main.py` | `x={{$.inputs.parameters['x']}}`")
    assert """`data.dir="{{$.inputs.artifacts['dataset'].path}}"`""" in rows[3]
