"""A sweep against an API that fails half of its requests: 300 jobs, error rate 0.5 on every kind
of request (create, List, Get; 429, 500, 503 and 504), a share of the creates that succeed
answered by a dropped connection. Nothing may be lost, duplicated or misreported.

    python benchmarks/bench_vertex_faults.py --jobs 300 --error-rate 0.5

Checked against the emulator's own record: every job created exactly once, each result the right
value, every job reported COMPLETED exactly when the server says it SUCCEEDED, and the manifest's
last state of every job equal to the server's.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from hydra.core.utils import JobStatus

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "vertex"), str(ROOT / "tests")]

from fast_app import fast_app_with_storage  # noqa: E402
from vertex_checks import emulator_jobs  # noqa: E402
from vertex_launch import APP_DIR, plan_sweep  # noqa: E402

from hydra_vertex_emulator.emulator import Emulator, EmulatorConfig  # noqa: E402
from hydra_vertex_emulator.faults import FaultConfig  # noqa: E402
from hydra_vertex_pipelines.executors import batch_of  # noqa: E402
from hydra_vertex_pipelines.executors.vertex.executor import VertexExecutor  # noqa: E402
from hydra_vertex_pipelines.executors.vertex.manifest import (  # noqa: E402
    MANIFEST_NAME,
    read_manifest,
)

BUCKET = "test-bucket"
CODES = ("429", "500", "503", "504")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--error-rate", type=float, default=0.5)
    parser.add_argument("--drop-create-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    faults = FaultConfig(
        error_rate=args.error_rate,
        error_codes=tuple(int(c) for c in CODES),
        drop_create_rate=args.drop_create_rate,
        seed=args.seed,
    )
    with fast_app_with_storage(BUCKET), tempfile.TemporaryDirectory() as tmp:
        sweep_dir = Path(tmp) / "sweep"
        config = EmulatorConfig(
            port=0, storage_dir=Path(tmp) / "storage", max_parallel_jobs=4, faults=faults
        )
        with Emulator(config).start() as emulator:
            overrides = [
                "hydra/launcher=fast",
                f"hydra.launcher.api_endpoint={emulator.endpoint}",
            ]
            jobs = [[f"x={i}"] for i in range(args.jobs)]
            conf, compiled = plan_sweep(APP_DIR, overrides, jobs, sweep_dir)
            started = time.perf_counter()
            rets = VertexExecutor(conf, sweep_dir, time.time_ns()).execute(batch_of(compiled))
            elapsed = time.perf_counter() - started
            stats = emulator.stats()
            emulator.set_faults(FaultConfig())
            server = {j["name"].rsplit("/", 1)[1]: j["state"] for j in emulator_jobs(emulator)}
        (sweep,) = read_manifest(sweep_dir / MANIFEST_NAME).values()
        recorded = {e.job_id: e.state for e in sweep.latest().values()}
    values = [float(i**2) for i in range(args.jobs)]
    lost = sum(
        r.status != JobStatus.COMPLETED or r.return_value != v
        for r, v in zip(rets, values, strict=True)
    )
    duplicated = sum(n - 1 for n in stats["created"].values())
    reported = {r.working_dir: r.status for r in rets}
    misreported = sum(
        (server[e.job_id] == "PIPELINE_STATE_SUCCEEDED")
        != (reported[str(sweep_dir / str(e.job_num))] == JobStatus.COMPLETED)
        for e in sweep.latest().values()
    )
    stale = sum(recorded[job] != state for job, state in server.items())
    requests, injected = stats["requests"], stats["injected"]
    print(
        f"{args.jobs} jobs, error rate {args.error_rate:g} on every request kind "
        f"({', '.join(CODES)}), {args.drop_create_rate:g} of successful creates dropped: "
        f"{elapsed:.1f} s"
    )
    print(
        f"requests: create {requests['create']}, list {requests['list']}, get {requests['get']}; "
        f"injected: {sum(injected.get(c, 0) for c in CODES)} errors, "
        f"{injected.get('dropped', 0)} dropped creates"
    )
    print(
        f"lost results {lost}, duplicated jobs {duplicated}, misreported states {misreported}, "
        f"manifest states differing from the server's {stale}"
    )
    assert len(server) == args.jobs and lost == duplicated == misreported == stale == 0


if __name__ == "__main__":
    main()
