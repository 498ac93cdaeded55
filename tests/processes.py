"""What runs on this machine, read from /proc (Linux), and what a process that should have ended
was doing."""

import os
import signal
import subprocess
import time
from collections.abc import Iterable

import pytest


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie (killed, not yet reaped: it runs nothing)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def still_alive(pids: Iterable[int], within_s: float = 3.0) -> list[int]:
    """The processes of `pids` still alive once they all ended or `within_s` passed: a process
    sent SIGKILL ends at once, but on a loaded machine its exit may take a moment to complete."""
    deadline = time.monotonic() + within_s
    while (alive_pids := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.01)
    return alive_pids


def faulthandler_env() -> dict[str, str]:
    """This process's environment for a Python process whose stacks `output_or_stacks` may ask
    for: with faulthandler on, a SIGABRT prints every thread's stack before the process ends."""
    return {**os.environ, "PYTHONFAULTHANDLER": "1"}


def output_or_stacks(proc: "subprocess.Popen[str]", timeout_s: float) -> str:
    """The output of `proc` (started with faulthandler_env(), stderr into stdout) once it exits;
    if it has not within timeout_s, the test fails with where each of its threads was."""
    try:
        output, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        output, _ = proc.communicate(timeout=30)
        pytest.fail(f"still running after {timeout_s:g} s; its output and threads:\n{output}")
    return output
