"""Resume cost: a 200-job sweep submitted without waiting, 150 of its jobs succeeded and 50 still
pending or running, launched again with hydra.launcher.resume=true.

The emulator counts every request. Adopting the previous launch must cost no create and at most
ceil(200 / page size) List calls; then each succeeded job's result is read with one Get; the 50
others are waited for as usual (one List per poll, one Get each as it ends).

    python benchmarks/bench_resume.py --jobs 200 --succeeded 150
"""

import argparse
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from hydra.core.utils import JobStatus

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "vertex"), str(ROOT / "tests")]

from fast_app import fast_app_with_storage  # noqa: E402
from vertex_checks import emulator_jobs  # noqa: E402
from vertex_launch import APP_DIR, plan_sweep  # noqa: E402

from hydra_vertex_emulator.emulator import Emulator, EmulatorConfig  # noqa: E402
from hydra_vertex_pipelines.executors import batch_of  # noqa: E402
from hydra_vertex_pipelines.executors.vertex.client import LIST_PAGE_SIZE  # noqa: E402
from hydra_vertex_pipelines.executors.vertex.executor import VertexExecutor  # noqa: E402

BUCKET = "test-bucket"


class WaitStart(logging.Handler):
    """Set when the launcher starts waiting (adoption done)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.started = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Waiting for"):
            self.started.set()


def succeeded(emulator: Emulator) -> int:
    """Jobs that succeeded, listed through the REST API (the counters are reset afterwards)."""
    return sum(j["state"] == "PIPELINE_STATE_SUCCEEDED" for j in emulator_jobs(emulator))


def until(condition: Any, what: str, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--succeeded", type=int, default=150)
    args = parser.parse_args()
    wait_start = WaitStart()
    logging.getLogger("hydra_vertex_pipelines.executors.vertex.sweep_run").addHandler(wait_start)
    logging.getLogger("hydra_vertex_pipelines").setLevel(logging.INFO)
    with fast_app_with_storage(BUCKET), tempfile.TemporaryDirectory() as tmp:
        sweep_dir, release = Path(tmp) / "sweep", Path(tmp) / "release"
        jobs = [
            [f"x={i}"] if i < args.succeeded else [f"x={i}", f"+release={release}"]
            for i in range(args.jobs)
        ]
        config = EmulatorConfig(port=0, storage_dir=Path(tmp) / "storage", max_parallel_jobs=4)
        with Emulator(config).start() as emulator:
            fast = [
                "hydra/launcher=fast",
                f"hydra.launcher.api_endpoint={emulator.endpoint}",
                # the preflight's List is not the resume's: bench_preflight.py measures it
                "hydra.launcher.preflight=false",
            ]
            conf, compiled = plan_sweep(
                APP_DIR, [*fast, "hydra.launcher.wait=false"], jobs, sweep_dir
            )
            VertexExecutor(conf, sweep_dir, time.time_ns()).execute(batch_of(compiled))
            until(lambda: succeeded(emulator) == args.succeeded, "the first jobs done")
            emulator.reset_stats()

            conf, compiled = plan_sweep(
                APP_DIR, [*fast, "hydra.launcher.resume=true"], jobs, sweep_dir
            )
            counts: dict[str, dict[str, int]] = {}

            def observe() -> None:
                wait_start.started.wait()
                counts["adopted"] = dict(emulator.stats()["requests"])
                until(
                    lambda: emulator.stats()["requests"]["get"] >= args.succeeded,
                    "the results read",
                )
                counts["read"] = dict(emulator.stats()["requests"])
                release.write_text("go")

            observer = threading.Thread(target=observe)
            observer.start()
            started = time.perf_counter()
            rets = VertexExecutor(conf, sweep_dir, time.time_ns()).execute(batch_of(compiled))
            elapsed = time.perf_counter() - started
            observer.join()
            final = emulator.stats()["requests"]
    assert [r.status for r in rets] == [JobStatus.COMPLETED] * args.jobs
    assert [r.return_value for r in rets] == [float(i**2) for i in range(args.jobs)]
    pages = -(-args.jobs // LIST_PAGE_SIZE)
    adopted, read = counts["adopted"], counts["read"]
    print(
        f"{args.jobs} jobs, {args.succeeded} succeeded and {args.jobs - args.succeeded} pending "
        f"or running when resumed (List page size {LIST_PAGE_SIZE}: {pages} page(s))"
    )
    print(
        f"adopting the sweep:          create {adopted['create']}, List {adopted['list']}, "
        f"Get {adopted['get']}  (target: 0 creates, <= {pages} List)"
    )
    print(
        f"+ reading the {args.succeeded} results: create {read['create']}, List {read['list']}, "
        f"Get {read['get']}  (target: one Get per result read)"
    )
    print(
        f"whole resume ({elapsed:.1f} s, the other {args.jobs - args.succeeded} waited for): "
        f"create {final['create']}, List {final['list']}, Get {final['get']}"
    )


if __name__ == "__main__":
    main()
