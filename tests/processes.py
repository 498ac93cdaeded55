"""What runs on this machine, read from /proc (Linux)."""

import time
from collections.abc import Iterable


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
