"""A wall-clock outage of the Vertex AI API while a sweep waits: every List and Get answered 503
for `--outage-s` seconds (the jobs finish meanwhile), then the API answers again.

    python benchmarks/bench_outage.py --outage-s 60 --jobs 8

The sweep must come back whole: every job created once, every result the right value. Printed:
what the launcher sent during the outage (it retries with backoff up to a poll interval) and how
long after the API came back the launch returned. tests/vertex/test_outages.py checks the same
with an outage of many poll intervals; this runs a real minute.
"""

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

from hydra.core.utils import JobReturn, JobStatus

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "vertex"), str(ROOT / "tests")]

from fast_app import fast_app_with_storage  # noqa: E402
from vertex_launch import APP_DIR, plan_sweep  # noqa: E402

from hydra_vertex_emulator.emulator import Emulator, EmulatorConfig  # noqa: E402
from hydra_vertex_emulator.faults import FaultConfig  # noqa: E402
from hydra_vertex_pipelines.executors import batch_of  # noqa: E402
from hydra_vertex_pipelines.executors.vertex.executor import VertexExecutor  # noqa: E402

BUCKET = "test-bucket"
OUTAGE = FaultConfig(error_rate=1.0, error_codes=(503,), error_kinds=("list", "get"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage-s", type=float, default=60.0)
    parser.add_argument("--jobs", type=int, default=8)
    args = parser.parse_args()
    with fast_app_with_storage(BUCKET), tempfile.TemporaryDirectory() as tmp:
        release = Path(tmp) / "release"
        sweep_dir = Path(tmp) / "sweep"
        config = EmulatorConfig(port=0, storage_dir=Path(tmp) / "storage", max_parallel_jobs=8)
        with Emulator(config).start() as emulator:
            overrides = [
                "hydra/launcher=fast",
                f"hydra.launcher.api_endpoint={emulator.endpoint}",
            ]
            jobs = [[f"x={i}", f"+release={release}"] for i in range(args.jobs)]
            conf, compiled = plan_sweep(APP_DIR, overrides, jobs, sweep_dir)
            executor = VertexExecutor(conf, sweep_dir, time.time_ns())
            returned: list[JobReturn] = []
            launch = threading.Thread(
                target=lambda: returned.extend(executor.execute(batch_of(compiled)))
            )
            launch.start()
            while emulator.stats()["requests"]["list"] < 2:  # the wait is polling
                time.sleep(0.05)
            before = dict(emulator.stats()["requests"])
            emulator.set_faults(OUTAGE)
            release.write_text("go")  # the jobs finish during the outage
            time.sleep(args.outage_s)  # the outage itself: wall-clock time is the point
            during = dict(emulator.stats()["requests"])
            emulator.set_faults(FaultConfig())
            back = time.perf_counter()
            launch.join()
            after_back = time.perf_counter() - back
            stats = emulator.stats()
    values = [float(i**2) for i in range(args.jobs)]
    lost = sum(
        r.status != JobStatus.COMPLETED or r.return_value != v
        for r, v in zip(returned, values, strict=True)
    )
    duplicated = sum(n - 1 for n in stats["created"].values())
    sent = {kind: during[kind] - before[kind] for kind in ("list", "get")}
    print(
        f"{args.jobs} jobs, List and Get answered 503 for {args.outage_s:g} s while they finished: "
        f"{sent['list']} Lists and {sent['get']} Gets sent during the outage "
        f"({(sent['list'] + sent['get']) / args.outage_s:.2f} a second); the launch returned "
        f"{after_back:.1f} s after the API answered again"
    )
    print(f"lost results {lost}, duplicated jobs {duplicated}, results {len(returned)}")
    assert len(returned) == args.jobs and lost == duplicated == 0


if __name__ == "__main__":
    main()
