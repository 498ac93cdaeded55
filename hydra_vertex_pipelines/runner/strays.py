"""What a component leaves running once its process has ended: on Vertex AI the container goes,
and everything in it; here, processes that left the component's session (`setsid`, daemons)
would live on, and those holding its output pipes would keep the runner waiting for the end of
its output. They are found through /proc (Linux): by a token in their environment, which every
descendant inherits, or by the pipes they hold."""

import contextlib
import os
import signal
from collections.abc import Collection, Mapping

# set to a fresh token in each component's environment
RUN_TOKEN_ENV = "HYDRA_VERTEX_PIPELINES_RUN"
_PROC = "/proc"
# rounds of find-and-kill, for processes forked while the previous round killed
_ROUNDS = 5


def _environment_has(pid: str, entry: bytes) -> bool:
    try:
        with open(f"{_PROC}/{pid}/environ", "rb") as environ:
            return entry in environ.read().split(b"\0")
    except OSError:  # gone, or another user's
        return False


def _holds_any(pid: str, links: Collection[str]) -> bool:
    try:
        fds = os.listdir(f"{_PROC}/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(f"{_PROC}/{pid}/fd/{fd}") in links:
                return True
    return False


def pipe_links(fds: Collection[int]) -> set[str]:
    """How /proc shows these pipes among a process's open files: `pipe:[<inode>]`."""
    return {f"pipe:[{os.fstat(fd).st_ino}]" for fd in fds}


def stray_processes(token: str, held_pipes: Collection[str] = ()) -> list[int]:
    """Processes (other than this one) with the token in their environment, or holding one of
    `held_pipes` (from pipe_links)."""
    if not os.path.isdir(_PROC):
        return []
    entry = f"{RUN_TOKEN_ENV}={token}".encode()
    me = str(os.getpid())
    found = []
    for pid in os.listdir(_PROC):
        if not pid.isdigit() or pid == me:
            continue
        if _environment_has(pid, entry) or (held_pipes and _holds_any(pid, held_pipes)):
            found.append(int(pid))
    return found


def kill_strays(token: str, held_pipes: Collection[str] = ()) -> list[int]:
    """SIGKILL every stray process until none is left (a few rounds at most); the killed pids."""
    killed: list[int] = []
    for _ in range(_ROUNDS):
        pids = stray_processes(token, held_pipes)
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        killed += pids
    return killed


def with_token(env: Mapping[str, str], token: str) -> dict[str, str]:
    return {**env, RUN_TOKEN_ENV: token}
