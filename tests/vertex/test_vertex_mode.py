"""mode=vertex against the Vertex AI Pipelines emulator and a Cloud Storage emulator, through the
real google-cloud-aiplatform and google-cloud-storage clients; checks are made server-side."""

import io
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
from hydra.core.utils import JobStatus
from processes import faulthandler_env, output_or_stacks
from vertex_checks import StartEmulator, emulator_jobs, emulator_tasks, wait_until
from vertex_launch import APP_DIR, launch, plan_sweep

from hydra_vertex_emulator.faults import FaultConfig
from hydra_vertex_pipelines.errors import LauncherConfigError
from hydra_vertex_pipelines.executors.vertex.client import VertexClient, pipeline_service
from hydra_vertex_pipelines.executors.vertex.labels import LAUNCHER_LABELS, SWEEP_LABEL
from hydra_vertex_pipelines.executors.vertex.manifest import MANIFEST_NAME, ManifestWriter
from hydra_vertex_pipelines.executors.vertex.progress import SweepProgress
from hydra_vertex_pipelines.executors.vertex.request import RequestBuilder
from hydra_vertex_pipelines.executors.vertex.results import collect
from hydra_vertex_pipelines.executors.vertex.retry import RetryPolicy
from hydra_vertex_pipelines.executors.vertex.storage import OutputCopier
from hydra_vertex_pipelines.executors.vertex.submit import Submission
from hydra_vertex_pipelines.executors.vertex.tracking import is_finished, wait_for_jobs
from hydra_vertex_pipelines.vertex_api import PipelineState

pytestmark = pytest.mark.usefixtures("in_app_dir")

TWO_STEP = ["hydra/launcher=emulator"]
FAST = ["hydra/launcher=fast"]


def endpoint(emulator_endpoint: str) -> str:
    return f"hydra.launcher.api_endpoint={emulator_endpoint}"


def manifest_lines(sweep_dir: Path) -> list[str]:
    return (sweep_dir / MANIFEST_NAME).read_text().splitlines()


def manifest_events(sweep_dir: Path, event: str) -> list[dict[str, Any]]:
    """The manifest's lines of one kind (sweep, submit, state)."""
    lines = [json.loads(line) for line in manifest_lines(sweep_dir)]
    return [line for line in lines if line["event"] == event]


def manifest_sweep_id(sweep_dir: Path) -> str:
    """The sweep id of the first launch into the sweep dir, from its manifest."""
    sweep: str = json.loads(manifest_lines(sweep_dir)[0])["sweep_id"]
    return sweep


def test_sweep_returns_every_value_and_the_data_step_runs_once(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator(max_parallel_jobs=1)  # one at a time: later jobs hit the cache
    jobs = [[f"x={x}"] for x in (1, 2, 3, 4)]
    overrides = [*TWO_STEP, endpoint(emulator.endpoint), "hydra.launcher.shared_steps_once=false"]
    rets = launch(APP_DIR, overrides, jobs, tmp_path)
    assert [r.status for r in rets] == [JobStatus.COMPLETED] * 4
    assert [r.return_value for r in rets] == [x**2 + 10.0 for x in (1, 2, 3, 4)]
    assert rets[2].working_dir == str(tmp_path / "2")
    # the main task's Hydra output dir came back from Cloud Storage
    output = tmp_path / "2" / "hydra_output"
    assert "- x=3" in (output / ".hydra" / "overrides.yaml").read_text()
    assert (output / "main.log").exists()
    stats = emulator.stats()
    assert sorted(stats["created"].values()) == [1, 1, 1, 1]
    assert stats["requests"]["get"] == 4  # one read of the task details per finished job
    # server-side: every job succeeded; the data task executed once, three times from the cache
    listed = emulator_jobs(emulator, SWEEP_LABEL, manifest_sweep_id(tmp_path))
    assert {j["state"] for j in listed} == {"PIPELINE_STATE_SUCCEEDED"}
    data_states = sorted(
        str(task["state"])
        for job in listed
        for task in emulator_tasks(emulator, job["name"])
        if task["taskName"] == "data"
    )
    assert data_states == ["SKIPPED", "SKIPPED", "SKIPPED", "SUCCEEDED"]


def test_a_failed_job_fails_alone_with_the_reason(
    start_emulator: StartEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = start_emulator()
    jobs = [["behaviour=fail"], ["x=3"]]
    rets = launch(APP_DIR, [*TWO_STEP, endpoint(emulator.endpoint)], jobs, tmp_path)
    # one line per job as it ends, with the state the server gave it
    sweep = manifest_sweep_id(tmp_path)
    lines = capsys.readouterr().out.splitlines()
    finished = sorted(line.partition("] ")[2] for line in lines if "] #" in line)
    assert finished == [
        f"#0 : failed (sweep-app-{sweep}-0)",
        f"#1 : succeeded (sweep-app-{sweep}-1)",
    ]
    assert rets[0].status == JobStatus.FAILED
    message = str(rets[0]._return_value)
    assert "the pipeline job failed" in message
    assert "task main failed: exited with status 3" in message
    assert "something went wrong in main" in message
    assert "https://console.cloud.google.com/vertex-ai/locations/us-central1/pipelines/runs/" in (
        message
    )
    assert rets[1].status == JobStatus.COMPLETED
    assert rets[1].return_value == 19.0


def test_faults_every_job_created_once_and_every_result_right(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    """30% of all requests (creates, Lists, Gets) fail; benchmarks/bench_vertex_faults.py
    makes half of them fail over 300 jobs."""
    faults = FaultConfig(
        error_rate=0.3, error_codes=(429, 500, 503, 504), drop_first_creates=1, seed=7
    )
    emulator = start_emulator(max_parallel_jobs=4, faults=faults)
    jobs = [[f"x={x}"] for x in range(10)]
    rets = launch(APP_DIR, [*FAST, endpoint(emulator.endpoint)], jobs, tmp_path)
    assert [r.status for r in rets] == [JobStatus.COMPLETED] * 10
    assert [r.return_value for r in rets] == [float(x**2) for x in range(10)]
    stats = emulator.stats()
    assert len(stats["created"]) == 10
    assert set(stats["created"].values()) == {1}  # no job was created twice
    assert stats["injected"]["dropped"] == 1
    assert sum(stats["injected"].get(code, 0) for code in ("429", "500", "503", "504")) > 5
    assert stats["requests"]["create"] > 10  # retries happened
    # the state of each job came from the server: succeeded, as the manifest recorded it
    states = {e["job_id"]: e["state"] for e in manifest_events(tmp_path, "state")}
    assert set(states) == set(stats["created"])
    assert set(states.values()) == {"PIPELINE_STATE_SUCCEEDED"}


def test_a_refused_create_fails_its_job_with_the_api_message(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    # every create is answered 403 PERMISSION_DENIED, which no retry can mend
    faults = FaultConfig(error_rate=1.0, error_codes=(403,), error_kinds=("create",))
    emulator = start_emulator(faults=faults)
    rets = launch(APP_DIR, [*FAST, endpoint(emulator.endpoint)], [["x=1"], ["x=2"]], tmp_path)
    assert [r.status for r in rets] == [JobStatus.FAILED] * 2
    assert "Vertex AI refused the job: " in str(rets[0]._return_value)
    assert "Permission denied" in str(rets[0]._return_value)
    stats = emulator.stats()
    assert stats["requests"]["create"] == 2  # a 403 is not retried
    assert stats["created"] == {}
    assert stats["requests"]["list"] == 1  # the preflight's; nothing to wait for


def test_return_value_found_when_the_main_task_has_a_display_name(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator()
    overrides = [
        *FAST,
        endpoint(emulator.endpoint),
        "hydra.launcher.components.main.display_name=Square it",
    ]
    rets = launch(APP_DIR, overrides, [["x=3"]], tmp_path)
    assert rets[0].status == JobStatus.COMPLETED and rets[0].return_value == 9.0


def test_wait_false_submits_writes_the_manifest_and_exits_0(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator()
    result = subprocess.run(
        [
            sys.executable,
            "main.py",
            "-m",
            *FAST,
            endpoint(emulator.endpoint),
            "hydra.launcher.wait=false",
            f"hydra.sweep.dir={tmp_path}",
            "x=1,2,3",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "not waiting for results (wait=false)" in result.stdout
    lines = manifest_events(tmp_path, "submit")
    assert sorted((e["job_num"], e["overrides"]) for e in lines) == [
        (0, ["x=1"]),
        (1, ["x=2"]),
        (2, ["x=3"]),
    ]
    lines.sort(key=lambda e: int(e["job_num"]))
    assert lines[0]["job_id"] == f"fast-app-{lines[0]['sweep_id']}-0"
    assert lines[0]["console_url"].endswith(f"/runs/{lines[0]['job_id']}?project=test-project")
    assert emulator.stats()["requests"]["list"] == 1  # the preflight's; nothing waited for
    assert len(emulator_jobs(emulator, SWEEP_LABEL, lines[0]["sweep_id"])) == 3


def test_wait_false_reports_no_result(start_emulator: StartEmulator, tmp_path: Path) -> None:
    emulator = start_emulator()
    overrides = [*FAST, endpoint(emulator.endpoint), "hydra.launcher.wait=false"]
    rets = launch(APP_DIR, overrides, [["x=1"]], tmp_path)
    assert rets[0].status == JobStatus.UNKNOWN
    assert rets[0].return_value is None


def test_relaunch_into_the_same_sweep_dir_runs_the_jobs_again(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator()
    overrides = [*FAST, endpoint(emulator.endpoint)]
    first = launch(APP_DIR, overrides, [["x=1"], ["x=2"]], tmp_path)
    first_sweep = manifest_sweep_id(tmp_path)
    again = launch(APP_DIR, overrides, [["x=1"], ["x=5"]], tmp_path)
    assert [r.return_value for r in first] == [1.0, 4.0]
    assert [r.return_value for r in again] == [1.0, 25.0]
    # four jobs, each created once: the second launch is a multirun of its own
    assert sorted(emulator.stats()["created"].values()) == [1, 1, 1, 1]
    sweeps = {json.loads(line)["sweep_id"] for line in manifest_lines(tmp_path)}
    assert len(sweeps) == 2 and first_sweep in sweeps
    # cancelling a job that has ended (as an interrupt may, racing the job) is no error
    client = VertexClient(
        pipeline_service("us-central1", emulator.endpoint, 1),
        "test-project",
        "us-central1",
        RetryPolicy(),
    )
    client.cancel(client.name_of(f"fast-app-{first_sweep}-0"))
    assert emulator.stats()["requests"]["cancel"] == 1


def test_an_existing_job_id_is_adopted_only_for_the_same_job(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    """A create whose answer was lost meets ALREADY_EXISTS on its retry: the job is adopted if it
    is the one this launch asked for (same spec and parameters), never if it is another."""
    emulator = start_emulator()
    overrides = [*FAST, endpoint(emulator.endpoint)]
    conf, jobs = plan_sweep(APP_DIR, overrides, [["x=1"], ["x=2"]], tmp_path / "a")
    client = VertexClient(
        pipeline_service("us-central1", emulator.endpoint, 1),
        "test-project",
        "us-central1",
        RetryPolicy(),
    )
    manifest = ManifestWriter(tmp_path / MANIFEST_NAME)
    submission = Submission(client, manifest, 2, return_value=True)
    submission.submit(list(map(RequestBuilder(conf, "abc", LAUNCHER_LABELS), jobs)))
    created = submission.results
    _, other = plan_sweep(APP_DIR, overrides, [["x=1"], ["x=5"]], tmp_path / "a")
    again = Submission(client, manifest, 2, return_value=True)
    again.submit(list(map(RequestBuilder(conf, "abc", LAUNCHER_LABELS), other)))
    retried = again.results
    first = created[0].job
    assert first is not None and retried[0].job is not None
    assert retried[0].job.name == first.name
    assert retried[1].job is None
    assert "exists already and runs something else" in str(retried[1].error)
    assert sorted(emulator.stats()["created"].values()) == [1, 1]


def test_a_stopping_sweep_ends_its_wait_at_the_next_poll(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    """The wait's safe point: an interrupt whose exception was lost on its way (only `stop` is
    set) still ends the wait, before another List, however long the poll interval."""
    emulator = start_emulator()
    overrides = [*TWO_STEP, endpoint(emulator.endpoint)]
    conf, jobs = plan_sweep(APP_DIR, overrides, [["x=1", "behaviour=hang"]], tmp_path)
    (request,) = map(RequestBuilder(conf, "stopping", LAUNCHER_LABELS), jobs)
    client = VertexClient(
        pipeline_service("us-central1", emulator.endpoint, 1),
        "test-project",
        "us-central1",
        RetryPolicy(),
    )
    client.create(request.pipeline_job, request.job_id)
    states = {request.job_id: PipelineState(PipelineState.PIPELINE_STATE_PENDING)}
    raised: list[BaseException] = []

    def ignore(job_id: str, state: PipelineState) -> None:
        pass

    def wait() -> None:
        progress = SweepProgress(io.StringIO())
        try:
            wait_for_jobs(client, "stopping", LAUNCHER_LABELS, states, 3600, progress, ignore)
        except BaseException as e:  # what ends the wait is the assertion
            raised.append(e)

    waiting = threading.Thread(target=wait, daemon=True)  # a failed test leaves it asleep
    waiting.start()
    wait_until(lambda: emulator.stats()["requests"]["list"] >= 1, "the first poll")
    client.policy.stop.set()
    waiting.join(timeout=30)
    assert not waiting.is_alive()
    assert len(raised) == 1 and isinstance(raised[0], KeyboardInterrupt)
    assert emulator.stats()["requests"]["list"] == 1
    client.cancel(client.name_of(request.job_id))


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name
)
def test_an_interrupt_while_waiting_cancels_the_sweep(
    start_emulator: StartEmulator, tmp_path: Path, sig: signal.Signals
) -> None:
    """Ctrl-C, and the SIGTERM / SIGHUP of `timeout`, CI, `docker stop` or a closed terminal."""
    emulator = start_emulator(max_parallel_jobs=2)
    proc = subprocess.Popen(
        [
            sys.executable,
            "main.py",
            "-m",
            *TWO_STEP,
            endpoint(emulator.endpoint),
            f"hydra.sweep.dir={tmp_path}",
            "behaviour=hang",
            "x=1,2,3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=faulthandler_env(),
    )
    assert proc.stdout is not None

    def running() -> bool:
        states = [j["state"] for j in emulator_jobs(emulator, SWEEP_LABEL, sweep)]
        return states.count("PIPELINE_STATE_RUNNING") == 2

    for line in proc.stdout:
        if "Waiting for 3 jobs" in line:
            break
    sweep = manifest_sweep_id(tmp_path)  # written before the wait
    wait_until(running, "two jobs of the sweep running")
    proc.send_signal(sig)
    output = output_or_stacks(proc, 60)
    assert proc.returncode == 128 + sig
    assert f"Interrupted ({sig.name}): cancelling 3 jobs of this sweep" in output
    assert "Traceback" not in output
    states = {j["state"] for j in emulator_jobs(emulator, SWEEP_LABEL, sweep)}
    assert states <= {"PIPELINE_STATE_CANCELLING", "PIPELINE_STATE_CANCELLED"}
    wait_until(
        lambda: (
            {j["state"] for j in emulator_jobs(emulator, SWEEP_LABEL, sweep)}
            == {"PIPELINE_STATE_CANCELLED"}
        ),
        "every job of the sweep cancelled",
    )
    submitted = {e["job_id"] for e in manifest_events(tmp_path, "submit")}
    assert len(submitted) == 3
    cancelling = manifest_events(tmp_path, "state")
    assert {e["job_id"] for e in cancelling if e["state"] == "PIPELINE_STATE_CANCELLING"} == (
        submitted
    )


@pytest.mark.parametrize(
    "bad",
    [
        "hydra.launcher.components.main.resources.memory=32GB",
        "hydra.launcher.pipeline_root=/not/gcs",
        "hydra.launcher.components.main.retries=-1",
    ],
)
def test_a_bad_config_sends_no_request(
    start_emulator: StartEmulator, tmp_path: Path, bad: str
) -> None:
    emulator = start_emulator()
    with pytest.raises(LauncherConfigError):
        launch(APP_DIR, [*TWO_STEP, endpoint(emulator.endpoint), bad], [["x=1"]], tmp_path)
    assert sum(emulator.stats()["requests"].values()) == 0
    assert not os.path.exists(tmp_path / MANIFEST_NAME)


def test_a_job_deleted_while_waiting_ends_the_wait_as_failed(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    emulator = start_emulator(max_parallel_jobs=2)
    conf, jobs = plan_sweep(
        APP_DIR,
        [*TWO_STEP, endpoint(emulator.endpoint)],
        [["x=1", "behaviour=hang"], ["x=2"]],
        tmp_path,
    )
    requests_ = list(map(RequestBuilder(conf, "deleted", LAUNCHER_LABELS), jobs))
    client = VertexClient(
        pipeline_service("us-central1", emulator.endpoint, 1),
        "test-project",
        "us-central1",
        RetryPolicy(),
    )
    hanging, finishing = (client.create(r.pipeline_job, r.job_id) for r in requests_)

    def state_of(name: str) -> str:
        return str(requests.get(f"{emulator.endpoint}/v1/{name}", timeout=10).json()["state"])

    # the launcher last saw both running; meanwhile someone cancels and deletes the first
    wait_until(lambda: state_of(hanging.name) == "PIPELINE_STATE_RUNNING", "the job running")
    client.cancel(hanging.name)
    wait_until(lambda: state_of(hanging.name) == "PIPELINE_STATE_CANCELLED", "the job cancelled")
    assert requests.delete(f"{emulator.endpoint}/v1/{hanging.name}", timeout=10).ok
    running = PipelineState(PipelineState.PIPELINE_STATE_RUNNING)
    states = {r.job_id: running for r in requests_}
    finished: list[str] = []

    def on_change(job_id: str, state: PipelineState) -> None:
        if is_finished(state):
            finished.append(job_id)

    progress = SweepProgress(io.StringIO())
    wait_for_jobs(client, "deleted", LAUNCHER_LABELS, states, 0.05, progress, on_change)

    assert sorted(finished) == sorted(r.job_id for r in requests_)
    assert states[requests_[1].job_id] == PipelineState.PIPELINE_STATE_SUCCEEDED
    copier = OutputCopier("test-project", emulator.endpoint)
    deleted = collect(client, copier, requests_[0], hanging.name, return_value=True)
    assert deleted.status == JobStatus.FAILED
    assert "was deleted from Vertex AI before it finished" in str(deleted._return_value)
    done = collect(client, copier, requests_[1], finishing.name, return_value=True)
    assert done.return_value == 14.0
