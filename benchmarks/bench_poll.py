"""Polling cost: Vertex read requests per poll interval while a 200-job sweep runs.

The launcher submits N jobs (one tiny component each) to the emulator and waits for them with
wait=true. The emulator counts every request; the wait's duration (from the launcher's "Waiting
for" log line to its return) divided by the poll interval is the number of poll intervals. Reads
are List calls (the status of the whole sweep, one per page) and Get calls (the task details of
each finished job, once per job).

    python benchmarks/bench_poll.py --jobs 200 --poll-interval-s 0.5
"""

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

from hydra.core.utils import JobStatus

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "vertex"), str(ROOT / "tests")]

from fast_app import fast_app_with_storage  # noqa: E402
from vertex_launch import APP_DIR, plan_sweep  # noqa: E402

from hydra_vertex_emulator.emulator import Emulator, EmulatorConfig  # noqa: E402
from hydra_vertex_pipelines.executors import batch_of  # noqa: E402
from hydra_vertex_pipelines.executors.vertex.client import (  # noqa: E402
    LIST_PAGE_SIZE,
)
from hydra_vertex_pipelines.executors.vertex.executor import VertexExecutor  # noqa: E402

BUCKET = "test-bucket"


class WaitStart(logging.Handler):
    """Notes when the launcher starts waiting."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.at: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Waiting for"):
            self.at = time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--poll-interval-s", type=float, default=0.5)
    parser.add_argument("--parallel-jobs", type=int, default=4, help="the emulator's")
    args = parser.parse_args()
    wait_start = WaitStart()
    vertex_log = logging.getLogger("hydra_vertex_pipelines.executors.vertex.sweep_run")
    vertex_log.setLevel(logging.INFO)
    vertex_log.addHandler(wait_start)
    with fast_app_with_storage(BUCKET), tempfile.TemporaryDirectory() as tmp:
        sweep_dir = Path(tmp) / "sweep"
        config = EmulatorConfig(
            port=0,
            storage_dir=Path(tmp) / "storage",
            max_parallel_jobs=args.parallel_jobs,
        )
        with Emulator(config).start() as emulator:
            conf, jobs = plan_sweep(
                APP_DIR,
                [
                    "hydra/launcher=fast",
                    f"hydra.launcher.api_endpoint={emulator.endpoint}",
                    f"hydra.launcher.poll_interval_s={args.poll_interval_s}",
                    # the preflight (a List, a bucket probe): bench_preflight.py
                    "hydra.launcher.preflight=false",
                ],
                [[f"x={i}"] for i in range(args.jobs)],
                sweep_dir,
            )
            rets = VertexExecutor(conf, sweep_dir, time.time_ns()).execute(batch_of(jobs))
            assert wait_start.at is not None
            waited = time.perf_counter() - wait_start.at
            requests = emulator.stats()["requests"]
    assert [r.status for r in rets] == [JobStatus.COMPLETED] * args.jobs
    assert [r.return_value for r in rets] == [float(i**2) for i in range(args.jobs)]
    polls = waited / args.poll_interval_s
    pages = -(-args.jobs // LIST_PAGE_SIZE)
    print(
        f"{args.jobs} jobs ({args.parallel_jobs} running at a time), poll interval "
        f"{args.poll_interval_s:g} s, waited {waited:.1f} s = {polls:.1f} poll intervals"
    )
    print(
        f"List requests: {requests['list']} = {requests['list'] / polls:.2f} per poll interval "
        f"(target 1; {pages} page(s) of up to {LIST_PAGE_SIZE} jobs per List)"
    )
    print(
        f"Get requests:  {requests['get']} = {requests['get'] / args.jobs:.2f} per job, "
        f"read once when the job ends ({requests['get'] / polls:.1f} per poll interval on average)"
    )
    print(
        f"one Get per job per poll would have made {args.jobs * polls:.0f} reads: "
        f"{args.jobs} per poll interval"
    )


if __name__ == "__main__":
    main()
