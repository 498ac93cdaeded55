"""A large sweep in mode=compile against Hydra's basic launcher running a no-op app.

Both are whole processes of the same no-op Hydra app (benchmarks/apps/noop), the same sweep
(`x=range(N)`, Hydra's basic sweeper, which first composes every job of the batch to check it):

    ours:   python app.py -m hydra/launcher=vertex_pipeline hydra.launcher.mode=compile x=range(N)
            (every job composed, its pipeline compiled, its .hydra/ files and parameters.json
            written, a JobReturn each)
    basic:  python app.py -m x=range(N)
            (every job composed, its .hydra/ files written, the no-op task run, a JobReturn each)

run alternately, `--repeats` times each; reported: the medians of wall time, CPU time (user +
system) and peak RSS (ru_maxrss) of each, and ours against basic.

    python benchmarks/bench_compile_scale.py --jobs 1000 --repeats 3
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

APP = Path(__file__).resolve().parent / "apps" / "noop" / "app.py"
WAYS = {
    "ours (mode=compile)": ["hydra/launcher=vertex_pipeline", "hydra.launcher.mode=compile"],
    "basic launcher": [],
}


def run(overrides: list[str], jobs: int, sweep_dir: Path) -> tuple[float, float, float]:
    """Wall s, CPU s and peak RSS MB of one multirun."""
    argv = [sys.executable, APP.name, "-m", *overrides, f"x=range({jobs})"]
    argv.append(f"hydra.sweep.dir={sweep_dir}")
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=APP.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    assert proc.stderr is not None
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{argv} failed:\n{proc.stderr.read()}")
    proc.stderr.close()
    assert len(list(sweep_dir.glob("*/.hydra/hydra.yaml"))) == jobs
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {load:.1f} at start")
    for jobs in args.jobs:
        samples: dict[str, list[tuple[float, float, float]]] = {way: [] for way in WAYS}
        with tempfile.TemporaryDirectory() as tmp:
            for repeat in range(args.repeats):
                for way, overrides in WAYS.items():  # alternately: drift hits both alike
                    sweep_dir = Path(tmp) / f"{repeat}-{len(overrides)}"
                    samples[way].append(run(overrides, jobs, sweep_dir))
                    shutil.rmtree(sweep_dir)
        medians = {
            way: tuple(statistics.median(s[i] for s in runs) for i in range(3))
            for way, runs in samples.items()
        }
        print(f"\n{jobs} jobs, {args.repeats} runs each, medians")
        print(f"{'way':<22}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}   walls")
        for way, (wall, cpu, rss) in medians.items():
            walls = " ".join(f"{s[0]:.1f}" for s in samples[way])
            print(f"{way:<22}{wall:>9.2f}{cpu:>9.2f}{rss:>9.0f}   {walls}")
        (ours_wall, ours_cpu, ours_rss), (basic_wall, basic_cpu, basic_rss) = medians.values()
        print(
            f"ours vs basic: {basic_wall / ours_wall:.1f}x faster (wall; target >= 5x), "
            f"{basic_cpu / ours_cpu:.1f}x less CPU, peak memory {ours_rss / basic_rss:.2f}x "
            "(target <= 1)"
        )
    print(f"load {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
