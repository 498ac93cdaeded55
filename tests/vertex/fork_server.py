"""A fork server of launcher processes (tests only): it plans and compiles a sweep once (Hydra
composes each job's config, ~0.1 s a job), then forks a fresh process per launch that runs the
launcher's vertex executor on those jobs: submission and waiting, where a kill can leave jobs
behind. Each child is killed (SIGKILL, by itself) at a seeded point: right after its k-th
manifest intent is on disk (the create not yet sent), right after its k-th recorded state (a
create answered, a state seen), or after a number of seconds.

Protocol, JSON lines. In: first {"overrides", "jobs", "sweep_dir"} (the sweep of the Vertex test
app), then per launch {"output", "kill_after_intents" | "kill_after_states" | "kill_after_s"}.
Out: {"ready": true} once planned, then per launch {"pid"} when forked and {"pid", "status"} when
it ended (negative: killed by that signal).
"""

import json
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]

from vertex_launch import APP_DIR, plan_sweep  # noqa: E402

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (  # noqa: E402
    VertexPipelineLauncherConf,
)
from hydra_vertex_pipelines.compiling.compiled_job import CompiledJob  # noqa: E402
from hydra_vertex_pipelines.executors import batch_of  # noqa: E402
from hydra_vertex_pipelines.executors.vertex.executor import VertexExecutor  # noqa: E402
from hydra_vertex_pipelines.executors.vertex.manifest import ManifestWriter  # noqa: E402


def kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def kill_after_call(owner: Any, method: str, count: int) -> None:
    """SIGKILL this process right after the `count`-th call of owner.method returns."""
    original: Callable[..., Any] = getattr(owner, method)
    calls = [0]
    lock = threading.Lock()

    def counting(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        with lock:
            calls[0] += 1
            if calls[0] == count:
                kill_self()
        return result

    setattr(owner, method, counting)


def child(
    request: dict[str, Any],
    conf: VertexPipelineLauncherConf,
    jobs: Sequence[CompiledJob],
    sweep_dir: Path,
) -> None:
    out = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, force=True)
    if request.get("kill_after_intents"):
        kill_after_call(ManifestWriter, "intent", request["kill_after_intents"])
    if request.get("kill_after_states"):
        kill_after_call(ManifestWriter, "state", request["kill_after_states"])
    if request.get("kill_after_s"):
        timer = threading.Timer(request["kill_after_s"], kill_self)
        timer.daemon = True
        timer.start()
    code = 0
    try:
        VertexExecutor(conf, sweep_dir, time.time_ns()).execute(batch_of(jobs))
    except BaseException:
        traceback.print_exc()
        code = 1
    logging.shutdown()
    os._exit(code)


def reply(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


def main() -> None:
    setup = json.loads(sys.stdin.readline())
    os.chdir(APP_DIR)  # the fast launcher config names ${hydra.runtime.cwd}/square.py
    sweep_dir = Path(setup["sweep_dir"])
    conf, jobs = plan_sweep(APP_DIR, setup["overrides"], setup["jobs"], sweep_dir)
    assert threading.active_count() == 1, "a thread before fork: the children would lack it"
    reply({"ready": True})
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            child(request, conf, jobs, sweep_dir)
        reply({"pid": pid})
        _, status = os.waitpid(pid, 0)
        reply({"pid": pid, "status": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    main()
