"""Local runner overhead for a 2-component pipeline (data step -> main step).

overhead per job = (launch() wall time for N jobs - the same components run directly, one after
the other, as plain subprocesses) / N. Both run the same Hydra apps with the same arguments, so
the difference is what the launcher adds: composing, compiling, writing job files, resolving the
spec, streaming output, reading results.

    python benchmarks/bench_local_overhead.py --jobs 10
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from local_launch import APP_DIR, launch  # noqa: E402


def run_components_directly(jobs: int, work: Path) -> float:
    """The components' own run time: each job's two apps as plain subprocesses."""
    start = time.perf_counter()
    for i in range(jobs):
        data = work / f"direct{i}" / "dataset"
        for argv in (
            ["data_step.py", "data.n=5", f"data.out_dir={data}"],
            ["main.py", f"x={i}", "data.n=5", f"data.dir={data}"],
        ):
            subprocess.run(
                [sys.executable, *argv, f"hydra.run.dir={work / f'direct{i}' / argv[0]}"],
                cwd=APP_DIR,
                check=True,
                capture_output=True,
            )
    return time.perf_counter() - start


def run_through_launcher(jobs: int, work: Path) -> float:
    start = time.perf_counter()
    rets = launch(
        ["hydra/launcher=local_two_step", "hydra.launcher.enable_caching=false"],
        [[f"x={i}", "data.n=5"] for i in range(jobs)],
        work / "sweep",
    )
    elapsed = time.perf_counter() - start
    assert [r.return_value for r in rets] == [float(i) ** 2 + 5 for i in range(jobs)]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.chdir(APP_DIR)
    overheads = []
    for repeat in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            direct = run_components_directly(args.jobs, Path(tmp))
            launched = run_through_launcher(args.jobs, Path(tmp))
        per_job = (launched - direct) / args.jobs
        overheads.append(per_job)
        print(
            f"repeat {repeat}: {args.jobs} jobs, components directly {direct:.2f} s, "
            f"through the launcher {launched:.2f} s, overhead {per_job * 1000:.0f} ms/job"
        )
    print(f"median overhead: {statistics.median(overheads) * 1000:.0f} ms per job (target < 1000)")


if __name__ == "__main__":
    main()
