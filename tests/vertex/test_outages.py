"""Outages while waiting: a List outage of many poll intervals (faults switched through
/emulator/faults) and an endpoint restart are ridden out; past outage_deadline_s the wait gives
up, saying how to resume, and the jobs keep running (or are cancelled)."""

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
import requests
from hydra.core.utils import JobReturn, JobStatus
from vertex_checks import StartEmulator, emulator_jobs, wait_until
from vertex_launch import APP_DIR, launch

from hydra_vertex_emulator.emulator import Emulator
from hydra_vertex_pipelines.executors.vertex.labels import SWEEP_LABEL
from hydra_vertex_pipelines.executors.vertex.manifest import MANIFEST_NAME, read_manifest
from hydra_vertex_pipelines.executors.vertex.stopping import VertexUnreachable

pytestmark = pytest.mark.usefixtures("in_app_dir")

OUTAGE = {"error_rate": 1.0, "error_codes": [503], "error_kinds": ["list", "get"]}


class Output(logging.Handler):
    """What the launcher logged so far (from any thread)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def has(self, text: str) -> bool:
        return any(text in message for message in list(self.messages))


@pytest.fixture
def output() -> Iterator[Output]:
    """The launcher's log messages (Hydra configures the root logger's handlers per launch)."""
    handler = Output()
    package_log = logging.getLogger("hydra_vertex_pipelines")
    package_log.addHandler(handler)
    yield handler
    package_log.removeHandler(handler)


class LaunchThread:
    """launch() in a thread; the test changes the world meanwhile."""

    def __init__(self, overrides: Sequence[str], jobs: Sequence[Sequence[str]], dir_: Path):
        self.returns: Sequence[JobReturn] = []
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(overrides, jobs, dir_))
        self._thread.start()

    def _run(self, overrides: Sequence[str], jobs: Sequence[Sequence[str]], dir_: Path) -> None:
        try:
            self.returns = launch(APP_DIR, overrides, jobs, dir_)
        except BaseException as e:
            self.error = e

    def join(self) -> Sequence[JobReturn]:
        self._thread.join(timeout=120)
        assert not self._thread.is_alive() and self.error is None, self.error
        return self.returns


def sweep_jobs(release: Path, count: int) -> list[list[str]]:
    return [[f"x={x}", f"+release={release}"] for x in range(count)]


def fast(endpoint: str, *more: str) -> list[str]:
    return ["hydra/launcher=fast", f"hydra.launcher.api_endpoint={endpoint}", *more]


def ride_out(
    start_emulator: StartEmulator,
    tmp_path: Path,
    output: Output,
    outage: Callable[[Emulator, Callable[[], None]], None],
) -> None:
    """Jobs finish during `outage(emulator, finish)` (when it calls finish(), once the API is
    down); the sweep still returns every result."""
    emulator = start_emulator(max_parallel_jobs=4)
    release = tmp_path / "release"
    run = LaunchThread(fast(emulator.endpoint), sweep_jobs(release, 4), tmp_path)
    wait_until(lambda: emulator.stats()["requests"]["list"] >= 2, "the wait polling", 60)

    def finish() -> None:
        release.write_text("go")

    outage(emulator, finish)
    rets = run.join()
    assert [r.status for r in rets] == [JobStatus.COMPLETED] * 4
    assert [r.return_value for r in rets] == [0.0, 1.0, 4.0, 9.0]
    assert sorted(emulator.stats()["created"].values()) == [1, 1, 1, 1]
    assert output.has("Vertex AI answers again")


def test_a_list_outage_of_many_poll_intervals_is_ridden_out(
    start_emulator: StartEmulator, tmp_path: Path, output: Output
) -> None:
    def outage(emulator: Emulator, finish: Callable[[], None]) -> None:
        faults = f"{emulator.endpoint}/emulator/faults"
        assert requests.post(faults, json=OUTAGE, timeout=10).ok
        finish()
        # polls come every 0.2 s: the outage lasts until the launcher has retried for 2 s
        wait_until(lambda: output.has("Vertex AI is not answering"), "the outage noticed", 60)
        assert emulator.stats()["injected"]["503"] >= 5
        assert requests.post(faults, json={}, timeout=10).ok

    ride_out(start_emulator, tmp_path, output, outage)


def test_an_endpoint_restart_during_the_wait_is_ridden_out(
    start_emulator: StartEmulator, tmp_path: Path, output: Output
) -> None:
    def outage(emulator: Emulator, finish: Callable[[], None]) -> None:
        # connections refused until the launcher has said so, then the same port answers
        with emulator.api_down():
            finish()
            wait_until(lambda: output.has("Vertex AI is not answering"), "the outage noticed")

    ride_out(start_emulator, tmp_path, output, outage)


@pytest.mark.parametrize("cancel", [False, True])
def test_past_the_deadline_the_wait_gives_up_and_says_how_to_resume(
    start_emulator: StartEmulator, tmp_path: Path, cancel: bool
) -> None:
    emulator = start_emulator()
    emulator_faults = f"{emulator.endpoint}/emulator/faults"
    list_outage = {"error_rate": 1.0, "error_codes": [503], "error_kinds": ["list"]}
    assert requests.post(emulator_faults, json=list_outage, timeout=10).ok
    overrides = fast(
        emulator.endpoint,
        "hydra.launcher.outage_deadline_s=1.5",
        f"hydra.launcher.cancel_on_outage={str(cancel).lower()}",
    )
    with pytest.raises(VertexUnreachable) as gave_up:
        launch(APP_DIR, overrides, sweep_jobs(tmp_path / "never", 2), tmp_path)
    message = str(gave_up.value)
    assert "Stopped waiting for the sweep: list jobs labelled" in message
    assert "Vertex AI kept failing" in message and "outage_deadline_s=1.5" in message
    assert str(tmp_path / MANIFEST_NAME) in message
    assert f"hydra.launcher.resume=true hydra.sweep.dir={tmp_path}" in message
    assert requests.post(emulator_faults, json={}, timeout=10).ok
    (sweep,) = read_manifest(tmp_path / MANIFEST_NAME)
    if cancel:
        assert "2 of its 2 unfinished jobs were cancelled" in message
        expected = {"PIPELINE_STATE_CANCELLED"}
    else:
        assert "its 2 unfinished jobs keep running on Vertex AI" in message
        expected = {"PIPELINE_STATE_RUNNING"}
    wait_until(
        lambda: {j["state"] for j in emulator_jobs(emulator, SWEEP_LABEL, sweep)} == expected,
        "the jobs left as the config says",
    )
