"""hydra-vertex-sweep against a wait=false sweep: status, wait, results and cancel, each checked
server-side; it finds project, location and endpoint in the manifest."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from vertex_checks import StartEmulator, emulator_jobs, wait_until
from vertex_launch import APP_DIR, launch

from hydra_vertex_pipelines.executors.vertex.labels import SWEEP_LABEL
from hydra_vertex_pipelines.executors.vertex.manifest import MANIFEST_NAME, read_manifest
from hydra_vertex_pipelines.sweep_cli import main

pytestmark = pytest.mark.usefixtures("in_app_dir")

SWEEP_CLI = Path(sys.executable).parent / "hydra-vertex-sweep"


def submit(emulator_endpoint: str, jobs: list[list[str]], sweep_dir: Path) -> str:
    """A wait=false sweep of the fast app; its sweep id."""
    overrides = [
        "hydra/launcher=fast",
        f"hydra.launcher.api_endpoint={emulator_endpoint}",
        "hydra.launcher.wait=false",
    ]
    launch(APP_DIR, overrides, jobs, sweep_dir)
    (sweep,) = read_manifest(sweep_dir / MANIFEST_NAME)
    return sweep


def test_status_wait_and_results_of_a_sweep_submitted_without_waiting(
    start_emulator: StartEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = start_emulator()
    release = tmp_path / "release"
    sweep = submit(emulator.endpoint, [["x=1"], ["x=2", f"+release={release}"]], tmp_path)
    emulator.reset_stats()

    status = subprocess.run(
        [str(SWEEP_CLI), "status", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert status.returncode == 0, status.stderr
    assert f"Sweep {sweep}" in status.stdout
    assert f"fast-app-{sweep}-0" in status.stdout and f"fast-app-{sweep}-1" in status.stdout
    assert "x=2 +release=" in status.stdout
    assert emulator.stats()["requests"]["list"] == 1  # one List for the whole sweep

    release.write_text("go")
    assert main(["wait", str(tmp_path), "--poll-interval-s", "0.1"]) == 0
    assert "2 jobs: 2 succeeded" in capsys.readouterr().err

    emulator.reset_stats()
    assert main(["results", str(tmp_path), "--json"]) == 0
    out = capsys.readouterr().out
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [(r["job_num"], r["state"], r["value"]) for r in rows] == [
        (0, "PIPELINE_STATE_SUCCEEDED", 1.0),
        (1, "PIPELINE_STATE_SUCCEEDED", 4.0),
    ]
    assert rows[1]["console_url"].endswith(f"runs/fast-app-{sweep}-1?project=test-project")
    # each job's Hydra output came back into its job dir
    assert (tmp_path / "1" / "hydra_output" / "square.log").read_text() == "x=2\n"
    requests = emulator.stats()["requests"]
    assert (requests["list"], requests["get"]) == (1, 2)


def test_cancel_stops_the_unfinished_jobs(
    start_emulator: StartEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = start_emulator()
    never = tmp_path / "never"
    sweep = submit(emulator.endpoint, [["x=1"], ["x=2", f"+release={never}"]], tmp_path)

    def states() -> list[str]:
        listed = emulator_jobs(emulator, SWEEP_LABEL, sweep)
        return [j["state"] for j in sorted(listed, key=lambda j: str(j["name"]))]

    wait_until(
        lambda: states() == ["PIPELINE_STATE_SUCCEEDED", "PIPELINE_STATE_RUNNING"],
        "the first job done, the second running",
    )
    assert main(["cancel", str(tmp_path)]) == 0
    assert f"Sweep {sweep}: cancelling 1 jobs" in capsys.readouterr().out
    wait_until(
        lambda: states() == ["PIPELINE_STATE_SUCCEEDED", "PIPELINE_STATE_CANCELLED"],
        "the second job cancelled",
    )
    assert emulator.stats()["requests"]["cancel"] == 1
    assert main(["results", str(tmp_path)]) == 1  # not every job succeeded
    out = capsys.readouterr().out
    assert "cancelled" in out and "#1: " in out


def test_a_dir_without_a_manifest_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", str(tmp_path)]) == 2
    assert f"no sweep recorded in {tmp_path / MANIFEST_NAME}" in capsys.readouterr().err
