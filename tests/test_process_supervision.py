"""Process supervision bounds every wait and the memory of a component's output: processes a
component leaves behind (detached into their own session, holding its output or not) are killed
once it ends, and progress output or a giant line is streamed, not buffered."""

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from processes import still_alive

from hydra_vertex_pipelines.runner import output, process
from hydra_vertex_pipelines.runner.output import TAIL_CHARS, LineSplitter, Tail
from hydra_vertex_pipelines.runner.process import OUTPUT_GRACE_S, ProcessSupervisor

# slack for a loaded machine on top of what the supervisor may wait by design
SLACK_S = 3.0
MB = 1 << 20


def leaves_grandchildren(pids_file: Path, then: str) -> str:
    """A component that starts two detached grandchildren (own sessions, sleeping 60 s), one
    holding its stdout and one with its output elsewhere, writes their pids, then runs `then`."""
    return (
        "import subprocess, sys, time\n"
        "sleep = [sys.executable, '-c', 'import time; time.sleep(60)']\n"
        "held = subprocess.Popen(sleep, start_new_session=True)\n"
        "daemon = subprocess.Popen(sleep, start_new_session=True,\n"
        "    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        f"open({str(pids_file)!r}, 'w').write(f'{{held.pid}} {{daemon.pid}}')\n"
        "print('started', flush=True)\n" + then
    )


@pytest.mark.parametrize(
    ("then", "timeout_s", "timed_out"),
    [("time.sleep(60)", 1.0, True), ("sys.exit(0)", None, False)],
    ids=["timed-out", "exited"],
)
def test_detached_grandchildren_neither_block_nor_survive(
    tmp_path: Path, then: str, timeout_s: float | None, timed_out: bool
) -> None:
    pids_file = tmp_path / "pids"
    code = leaves_grandchildren(pids_file, then)
    started = time.monotonic()
    outcome = ProcessSupervisor(echo=False).run(
        [sys.executable, "-c", code], dict(os.environ), tmp_path / "c.log", "[c] ", timeout_s
    )
    elapsed = time.monotonic() - started
    assert outcome.timed_out == timed_out
    assert elapsed < (timeout_s or 0) + OUTPUT_GRACE_S + SLACK_S, elapsed
    pids = [int(p) for p in pids_file.read_text().split()]
    assert still_alive(pids) == []
    assert (tmp_path / "c.log").read_text() == "started\n"


def peak_rss_growth_mb(run: Callable[[], object]) -> float:
    """How far this process's peak RSS rose above its RSS while `run()` ran (VmHWM, reset
    through /proc/self/clear_refs)."""

    def status(key: str) -> int:
        with open("/proc/self/status") as f:
            line = next(line for line in f if line.startswith(f"{key}:"))
        return int(line.split()[1])  # kB

    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # peak RSS := current RSS
    before = status("VmRSS")
    run()
    return (status("VmHWM") - before) / 1024


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc")
def test_progress_output_and_a_giant_stderr_line_keep_memory_bounded(tmp_path: Path) -> None:
    """200 MB of tqdm-style `\\r` updates on stdout, then an 18 MB line on stderr and a failure:
    the runner's memory stays flat, the log has every byte, the error tail is capped."""
    code = (
        "import sys\n"
        "update = (b'x' * 1023 + b'\\r') * 1024\n"  # 1 MiB of progress updates
        "for _ in range(200): sys.stdout.buffer.write(update)\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write('E' * (18 << 20) + ' the real error\\n'); sys.exit(1)\n"
    )
    log_path = tmp_path / "c.log"
    outcomes = []

    def run() -> None:
        outcomes.append(
            ProcessSupervisor(echo=False).run(
                [sys.executable, "-c", code], dict(os.environ), log_path, "[c] ", None
            )
        )

    growth = peak_rss_growth_mb(run)
    (outcome,) = outcomes
    assert outcome.exit_code == 1
    assert growth < 150, f"peak RSS grew by {growth:.0f} MB"
    assert log_path.stat().st_size == 200 * MB + 18 * MB + len(" the real error\n")
    assert len(outcome.stderr_tail) <= TAIL_CHARS + len("[...]")
    assert outcome.stderr_tail.endswith(" the real error")


class SlowTerminal:
    """An echo target that takes 20 ms a write, as a busy machine's terminal might."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, text: str) -> int:
        time.sleep(0.02)
        self.written += len(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_output_still_being_read_when_the_process_ends_is_logged_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last 64 KB (what the pipe holds when the process exits) take the pump longer than the
    grace to read: nothing holds the pipe open, so all of it reaches the log."""
    monkeypatch.setattr(process, "OUTPUT_GRACE_S", 0.05)
    monkeypatch.setattr(output, "READ_SIZE", 1024)  # 64 reads and echoes for the last 64 KB
    terminal = SlowTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    code = "import sys; sys.stdout.write(('y' * 1023 + '\\n') * 128)"
    log_path = tmp_path / "c.log"
    outcome = ProcessSupervisor(echo=True).run(
        [sys.executable, "-c", code], dict(os.environ), log_path, "", None
    )
    assert outcome.exit_code == 0
    assert log_path.stat().st_size == 128 * 1024
    assert terminal.written == 128 * 1024


def test_line_ends_split_across_chunks_and_long_lines_in_pieces() -> None:
    splitter = LineSplitter(limit=4)
    assert splitter.feed("10%\r20%\r") == ["10%\r"]  # a \r at the end may start a \r\n
    assert splitter.feed("\nab") == ["20%\r\n"]
    assert splitter.feed("cdefghi") == ["abcd", "efgh"]
    assert splitter.feed("\n") == ["i\n"]
    assert splitter.close() == []
    assert splitter.feed("end") == []
    assert splitter.close() == ["end"]


def test_the_tail_keeps_the_last_lines_and_cuts_a_giant_one() -> None:
    tail = Tail()
    for n in range(100):
        tail.add(f"{n}%\r")
    tail.add("Traceback\n")
    tail.add("y" * (TAIL_CHARS * 3))
    tail.add("ValueError: bad\n")
    lines = tail.text().splitlines()
    assert lines[-1].startswith("[...]yyy") and lines[-1].endswith("ValueError: bad")
    assert len(tail.text()) <= TAIL_CHARS + len("[...]")
