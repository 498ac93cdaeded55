"""mode=local: the compiled pipeline runs here and its results come back to Hydra."""

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hydra.core.utils import JobStatus
from local_launch import APP_DIR, launch, processes_mentioning
from omegaconf import DictConfig
from processes import faulthandler_env, output_or_stacks, still_alive

from hydra_vertex_pipelines.errors import LauncherConfigError
from hydra_vertex_pipelines.interrupts import SweepInterrupted

TWO_STEP = ["hydra/launcher=local_two_step"]


@pytest.fixture(autouse=True)
def in_app_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    # component commands are relative to the app dir, like a container's WORKDIR
    monkeypatch.chdir(APP_DIR)


def test_results_come_back_typed_with_logs(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    rets = launch(TWO_STEP, [["x=1", "data.n=5"], ["x=2.5", "data.n=5"]], tmp_path)
    assert [r.status for r in rets] == [JobStatus.COMPLETED, JobStatus.COMPLETED]
    assert [r.return_value for r in rets] == [6.0, 11.25]
    assert all(isinstance(r.return_value, float) for r in rets)
    assert rets[1].overrides == ["x=2.5", "data.n=5"]
    assert isinstance(rets[1].cfg, DictConfig) and rets[1].cfg.x == 2.5
    assert rets[1].hydra_cfg is not None and rets[1].hydra_cfg.hydra.job.num == 1
    assert rets[1].task_name == "main"
    job_dir = tmp_path / "1"
    assert rets[1].working_dir == str(job_dir)
    # the job dir is the main component's Hydra output dir, as under the basic launcher; the
    # components' output is in logs/
    assert "Return value written" in (job_dir / "main.log").read_text()
    assert "Return value written" in (job_dir / "logs" / "main.log").read_text()
    assert (job_dir / ".hydra" / "hydra.yaml").read_text().count("mode: RUN") == 1
    # the data step ran once (job 0), job 1 reused it
    assert (tmp_path / "0" / "logs" / "prep.log").exists()
    assert (tmp_path / "0" / "artifacts" / "prep" / "dataset" / "n.txt").read_text() == "5"
    assert "[1/main] " in capfd.readouterr().out


def test_cached_data_step_runs_once_per_sweep(tmp_path: Path) -> None:
    rets = launch(
        TWO_STEP, [["x=1", "data.n=4"], ["x=2", "data.n=4"], ["x=3", "data.n=5"]], tmp_path
    )
    assert [r.return_value for r in rets] == [5.0, 8.0, 14.0]
    ran = [(tmp_path / str(i) / "logs" / "prep.log").exists() for i in range(3)]
    assert ran == [True, False, True]
    uncached = launch(
        [*TWO_STEP, "hydra.launcher.enable_caching=false"],
        [["x=1", "data.n=4"], ["x=2", "data.n=4"]],
        tmp_path / "uncached",
    )
    assert [r.return_value for r in uncached] == [5.0, 8.0]
    assert (tmp_path / "uncached" / "1" / "logs" / "prep.log").exists()


def test_failed_component_fails_only_its_job(tmp_path: Path) -> None:
    rets = launch(TWO_STEP, [["behaviour=fail"], ["x=3"]], tmp_path)
    assert rets[0].status == JobStatus.FAILED
    message = str(rets[0]._return_value)
    assert "task main failed" in message
    assert "exited with status 3" in message
    assert "something went wrong in main" in message
    assert rets[1].status == JobStatus.COMPLETED and rets[1].return_value == 19.0  # 3² + n
    with pytest.raises(Exception, match="exited with status 3"):
        _ = rets[0].return_value
    assert processes_mentioning(str(tmp_path)) == []


def test_retries_rerun_a_failed_component(tmp_path: Path) -> None:
    marker = tmp_path / "attempted"
    overrides = ["behaviour=flaky", f"pid_file={marker}"]
    rets = launch(TWO_STEP, [overrides], tmp_path / "no_retry")
    assert "first attempt fails" in str(rets[0]._return_value)
    marker.unlink()
    rets = launch(
        [*TWO_STEP, "hydra.launcher.components.main.retries=1"], [overrides], tmp_path / "retry"
    )
    assert rets[0].status == JobStatus.COMPLETED and rets[0].return_value == 11.0  # 1² + n
    assert "first attempt fails" in (tmp_path / "retry" / "0" / "logs" / "main.log").read_text()


def test_killed_component(tmp_path: Path) -> None:
    rets = launch(TWO_STEP, [["behaviour=kill"]], tmp_path)
    assert rets[0].status == JobStatus.FAILED
    assert "task main failed: was killed by signal 9" in str(rets[0]._return_value)
    assert processes_mentioning(str(tmp_path)) == []


def test_timeout_kills_component_and_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "pids.json"
    rets = launch(
        [*TWO_STEP, "hydra.launcher.local.timeout_s=5"],
        [["behaviour=hang", f"pid_file={pid_file}"], ["x=2"]],
        tmp_path,
    )
    assert rets[0].status == JobStatus.FAILED
    assert "timed out after 5 s" in str(rets[0]._return_value)
    assert rets[1].return_value == 14.0  # 2² + n
    pids = json.loads(pid_file.read_text())
    assert still_alive(pids) == []
    assert processes_mentioning(str(tmp_path)) == []


def test_failed_data_step_skips_main(tmp_path: Path) -> None:
    rets = launch(TWO_STEP, [["data.n=not-a-number"]], tmp_path)
    assert rets[0].status == JobStatus.FAILED
    assert "task prep failed" in str(rets[0]._return_value)
    assert "ValueError" in str(rets[0]._return_value)
    assert (tmp_path / "0" / "logs" / "prep.log").exists()
    assert not (tmp_path / "0" / "logs" / "main.log").exists()


def test_inline_main_runs_in_this_process_with_artifact_inputs(tmp_path: Path) -> None:
    def task(cfg: DictConfig) -> tuple[int, str]:
        return os.getpid(), Path(cfg.data.dir, "n.txt").read_text()

    rets = launch([*TWO_STEP, "hydra.launcher.local.main=inline"], [["data.n=7"]], tmp_path, task)
    assert rets[0].return_value == (os.getpid(), "7")
    assert rets[0].overrides == ["data.n=7"]


def test_an_interrupt_that_the_task_swallows_still_stops_the_sweep(tmp_path: Path) -> None:
    """An inline task (in this process) that catches KeyboardInterrupt, as a training loop that
    saves a checkpoint on Ctrl-C does: its job ends, no later job runs, the launcher exits as
    interrupted."""
    ran: list[int] = []

    def task(cfg: DictConfig) -> int:
        ran.append(int(cfg.x))
        with contextlib.suppress(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)  # Ctrl-C, caught by the task itself
        return int(cfg.x)

    overrides = ["hydra/launcher=main_only", "hydra.launcher.local.main=inline"]
    with pytest.raises(SweepInterrupted) as interrupted:
        launch(overrides, [["x=1"], ["x=2"]], tmp_path, task)
    assert interrupted.value.code == 128 + signal.SIGINT
    assert ran == [1]


def test_parallel_jobs_run_at_once(tmp_path: Path) -> None:
    # each job's main waits (bounded) for the other's marker: run one at a time, both fail
    rets = launch(
        ["hydra/launcher=main_only", "hydra.launcher.local.max_parallel_jobs=2"],
        [[f"+rendezvous={tmp_path}", f"+me={i}"] for i in range(2)],
        tmp_path,
    )
    assert [r.status for r in rets] == [JobStatus.COMPLETED] * 2


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name
)
def test_an_interrupt_stops_every_child_and_exits_nonzero(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """Ctrl-C, and the SIGTERM / SIGHUP of `timeout`, CI, `docker stop` or a closed terminal."""
    pid_file = tmp_path / "pids.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "main.py",
            "-m",
            *TWO_STEP,
            "behaviour=hang",
            f"pid_file={pid_file}",
            f"hydra.sweep.dir={tmp_path / 'sweep'}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=faulthandler_env(),
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("[0/main] ready"):
            break
    else:
        pytest.fail("the component never became ready")
    proc.send_signal(sig)
    output = output_or_stacks(proc, 60)
    assert proc.returncode == 128 + sig
    assert f"Interrupted ({sig.name}): the sweep's components were stopped" in output
    assert "Traceback" not in output
    pids = json.loads(pid_file.read_text())
    assert still_alive(pids) == []
    assert processes_mentioning(str(tmp_path)) == []


def test_an_image_without_the_plugin_fails_with_the_fix(tmp_path: Path) -> None:
    command = "hydra.launcher.components.main.command=[python,without_plugin.py]"
    rets = launch(["hydra/launcher=main_only", command], [["x=1"]], tmp_path)
    message = str(rets[0]._return_value)
    assert "Error locating target 'hydra_plugins.hydra_vertex_pipeline_launcher" in message
    assert "the main component's image must contain hydra-vertex-pipeline-launcher" in message


def test_a_job_dir_that_no_quote_can_hold_fails_before_anything_runs(tmp_path: Path) -> None:
    """Artifact paths are put into args unescaped, between quotes; a job dir with both kinds
    cannot be given to a Hydra app."""
    subdir = "hydra.sweep.subdir=${hydra.job.override_dirname}"
    with pytest.raises(LauncherConfigError, match="holds both quote characters"):
        launch([*TWO_STEP, subdir], [["x=1", "+tag='a\"b'"]], tmp_path)
    assert not (tmp_path / "pipeline.yaml").exists()
    assert processes_mentioning(str(tmp_path)) == []
