"""Process supervision: a component's command in its own session, its output streamed to a log
file (and echoed with a prefix), a timeout, and nothing left running when it ends or is stopped.
Every wait is bounded: once the process has ended, its output is read for OUTPUT_GRACE_S more
at most; then whatever it left running, in its session or not, is killed."""

import contextlib
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TextIO

from .output import Tail, open_log, pump
from .strays import kill_strays, pipe_links, with_token

log = logging.getLogger(__name__)

# between SIGTERM and SIGKILL of a session
KILL_GRACE_S = 5.0
# how long the output of an ended process is still read before what holds it open is killed
OUTPUT_GRACE_S = 2.0


@dataclass(frozen=True)
class ProcessOutcome:
    # exit status; negative: killed by that signal; None: it never started
    exit_code: int | None
    # why it could not start
    start_error: str | None = None
    timed_out: bool = False
    cancelled: bool = False
    # the end of what it wrote to stderr (output.TAIL_LINES lines, output.TAIL_CHARS characters)
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
        tail = Tail()
        token = secrets.token_hex(16)
        with open_log(log_path) as log_file:
            with self._lock:
                if self.cancelled:
                    return ProcessOutcome(None, cancelled=True)
                try:
                    proc = subprocess.Popen(
                        list(argv),
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        env=with_token(env, token),
                        start_new_session=True,
                    )
                except OSError as e:
                    return ProcessOutcome(None, start_error=f"cannot start {argv[0]!r}: {e}")
                self._proc = proc
            assert proc.stdout is not None and proc.stderr is not None
            streams: list[tuple[IO[bytes], TextIO | None, Tail | None]] = [
                (proc.stdout, sys.stdout if self.echo else None, None),
                (proc.stderr, sys.stderr if self.echo else None, tail),
            ]
            pumps = [
                threading.Thread(
                    target=pump,
                    args=(stream.fileno(), log_file, echo_to, prefix, stream_tail),
                    name=f"output {prefix.strip()}",
                    daemon=True,
                )
                for stream, echo_to, stream_tail in streams
            ]
            for thread in pumps:
                thread.start()
            timed_out = False
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                kill_session(proc)
                _finish(proc, pumps, log_file, token, prefix)
                with self._lock:
                    self._proc = None
        return ProcessOutcome(
            proc.returncode,
            timed_out=timed_out,
            cancelled=self.cancelled,
            stderr_tail=tail.text(),
        )


def _join(threads: list[threading.Thread], timeout_s: float) -> None:
    """Wait for the threads, `timeout_s` at most for all of them."""
    deadline = time.monotonic() + timeout_s
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


def _logged(log_file: TextIO) -> int:
    """How much the pumps have written to the log so far (bytes)."""
    return os.fstat(log_file.fileno()).st_size


def _drain(pumps: list[threading.Thread], log_file: TextIO) -> None:
    """Wait for the pumps while they still copy output: OUTPUT_GRACE_S at most without any (on a
    busy machine, what the pipes held when the process ended can take longer than that)."""
    logged = -1
    while any(thread.is_alive() for thread in pumps) and _logged(log_file) != logged:
        logged = _logged(log_file)
        _join(pumps, OUTPUT_GRACE_S)


def _finish(
    proc: "subprocess.Popen[bytes]",
    pumps: list[threading.Thread],
    log_file: TextIO,
    token: str,
    prefix: str,
) -> None:
    """Once the process has ended: read its output for OUTPUT_GRACE_S; kill what it left
    running (what holds its output open too); read the rest, while it comes; close the pipes."""
    assert proc.stdout is not None and proc.stderr is not None
    streams = (proc.stdout, proc.stderr)
    _join(pumps, OUTPUT_GRACE_S)
    held = pipe_links([s.fileno() for s in streams]) if any(t.is_alive() for t in pumps) else ()
    killed = kill_strays(token, held)
    if killed:
        log.warning(f"{prefix}killed {len(killed)} processes the component left running")
    _drain(pumps, log_file)
    if any(thread.is_alive() for thread in pumps):
        log.warning(f"{prefix}its output is held open by a process that cannot be stopped")
        return  # a pump still reads the pipe: closing it under the pump would be unsafe
    for stream in streams:
        stream.close()
