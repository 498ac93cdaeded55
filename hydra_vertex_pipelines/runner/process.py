"""Process supervision: a component's command in its own session, its output streamed to a log
file (and echoed with a prefix), a timeout, and nothing left running when it ends or is stopped."""

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

STDERR_TAIL_LINES = 20
KILL_GRACE_S = 5.0
# one lock for every echo, so that lines of parallel components do not interleave
_ECHO_LOCK = threading.Lock()


@dataclass(frozen=True)
class ProcessOutcome:
    # exit status; negative: killed by that signal; None: it never started
    exit_code: int | None
    # why it could not start
    start_error: str | None = None
    timed_out: bool = False
    cancelled: bool = False
    # the last lines it wrote to stderr
    stderr_tail: str = ""


def interpreter(argv: Sequence[str]) -> list[str]:
    """`python`/`python3` as argv[0] means this interpreter."""
    if argv and argv[0] in ("python", "python3"):
        return [sys.executable, *argv[1:]]
    return list(argv)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def kill_session(proc: "subprocess.Popen[bytes]") -> None:
    """Stop the process and everything it started (its own session): TERM, a grace period,
    then KILL for whatever is left, also once the process itself has exited."""
    if proc.poll() is None:
        _signal_group(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=KILL_GRACE_S)
    _signal_group(proc.pid, signal.SIGKILL)
    proc.wait()


class ProcessSupervisor:
    """Runs one command at a time; `cancel()` (from any thread) stops it and any later one."""

    def __init__(self, echo: bool) -> None:
        self.echo = echo
        self._cancelled = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        self._cancelled.set()
        with self._lock:
            if self._proc is not None:
                kill_session(self._proc)

    def run(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        log_path: Path,
        prefix: str,
        timeout_s: float | None,
    ) -> ProcessOutcome:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        with open(log_path, "a", encoding="utf-8") as log_file:
            with self._lock:
                if self.cancelled:
                    return ProcessOutcome(None, cancelled=True)
                try:
                    proc = subprocess.Popen(
                        list(argv),
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        env=dict(env),
                        start_new_session=True,
                    )
                except OSError as e:
                    return ProcessOutcome(None, start_error=f"cannot start {argv[0]!r}: {e}")
                self._proc = proc
            assert proc.stdout is not None and proc.stderr is not None
            pumps = [
                threading.Thread(target=self._pump, args=(proc.stdout, log_file, prefix, None)),
                threading.Thread(target=self._pump, args=(proc.stderr, log_file, prefix, tail)),
            ]
            for pump in pumps:
                pump.start()
            timed_out = False
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                kill_session(proc)  # also reaps what the component left running
                for pump in pumps:
                    pump.join()
                with self._lock:
                    self._proc = None
        return ProcessOutcome(
            proc.returncode,
            timed_out=timed_out,
            cancelled=self.cancelled,
            stderr_tail="".join(tail).rstrip(),
        )

    def _pump(
        self, stream: IO[bytes], log_file: IO[str], prefix: str, tail: "deque[str] | None"
    ) -> None:
        echo_to = sys.stdout if tail is None else sys.stderr
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", errors="replace")
            if not line.endswith("\n"):
                line += "\n"
            with _ECHO_LOCK:
                log_file.write(line)
                log_file.flush()
                if self.echo:
                    echo_to.write(prefix + line)
                    echo_to.flush()
            if tail is not None:
                tail.append(line)
        stream.close()
