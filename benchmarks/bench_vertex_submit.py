"""Submitting a sweep to Vertex AI end to end, against the emulator with latency on every request.

Every way is a whole process, timed from its start to its exit (imports, composing, compiling,
creating), against a fresh emulator process that adds `--latency-s` to every request; the jobs
(one component: tests/apps/sweep_app/square.py) wait for a file that never comes, one at a
time, so that running them costs nothing meanwhile:

    ours:          python main.py -m hydra/launcher=fast hydra.launcher.wait=false x=range(N)
                   (the plugin; Hydra's basic sweeper first composes every job to check it)
    compile-once:  benchmarks/baselines/compile_once_submit.py: compile once, then
                   PipelineJob(...).submit() from 16 threads
    tutorial:      benchmarks/baselines/tutorial_submit.py: per job, kfp compile and
                   PipelineJob(...).submit(), one after the other

run alternately `--repeats` times; reported: the medians and the ratios. Then the time to the
first create of ours for each of `--first-create` sweep sizes, as the emulator saw it arrive (its
createTime less the latency): from the process's start, and from the moment Hydra's sweeper
handed the batch to the launcher (after its check of every job; its debug line).

    python benchmarks/bench_vertex_submit.py --jobs 100 --latency-s 0.3 --first-create 10 100 1000

(`--concurrency 20 32` also times ours with that many creates at once.)
"""

import argparse
import contextlib
import datetime
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
APP_DIR = ROOT / "tests" / "apps" / "sweep_app"
BASELINES = ROOT / "benchmarks" / "baselines"
JOBS_URL = "{}/v1/projects/test-project/locations/us-central1/pipelineJobs"
# BasicSweeper's debug line, logged just before it hands the batch to the launcher
HANDED_OVER = re.compile(r"^\[([0-9-]+ [0-9:]+),([0-9]+)\].* Validated configs of ")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def emulator_process(latency_s: float, storage_dir: Path) -> Iterator[str]:
    """`python -m hydra_vertex_emulator` on a free port; yields its endpoint."""
    endpoint = f"http://127.0.0.1:{free_port()}"
    argv = [sys.executable, "-m", "hydra_vertex_emulator", "--port", endpoint.rsplit(":", 1)[1]]
    argv += ["--latency-s", str(latency_s), "--max-parallel-jobs", "1", "--log-level", "WARNING"]
    argv += ["--storage-dir", str(storage_dir)]
    with subprocess.Popen(argv) as proc:
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    requests.get(f"{endpoint}/emulator/stats", timeout=1)
                    break
                except requests.ConnectionError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise
                    time.sleep(0.1)
            yield endpoint
        finally:
            proc.terminate()


def create_times(endpoint: str) -> list[float]:
    """When the emulator created each job (epoch s), read from its List."""
    times, token = [], ""
    while True:
        params = {"pageSize": "1000", "pageToken": token}
        page: dict[str, Any] = requests.get(
            JOBS_URL.format(endpoint), params=params, timeout=30
        ).json()
        for job in page.get("pipelineJobs", []):
            moment = datetime.datetime.strptime(job["createTime"], "%Y-%m-%dT%H:%M:%S.%fZ")
            times.append(moment.replace(tzinfo=datetime.timezone.utc).timestamp())
        token = page.get("nextPageToken", "")
        if not token:
            return times


def argv_of(way: str, endpoint: str, jobs: int, work: Path) -> list[str]:
    release = str(work / "never")
    if way.startswith("ours"):
        # "ours, 32 creates at once": max_concurrent_submissions=32; "ours": the default
        concurrency = way.split()[1:2] if "," in way else []
        return [
            sys.executable,
            "main.py",
            "-m",
            "hydra/launcher=fast",
            f"hydra.launcher.api_endpoint={endpoint}",
            "hydra.launcher.wait=false",
            f"hydra.sweep.dir={work / 'sweep'}",
            "hydra.verbose=hydra._internal.core_plugins.basic_sweeper",
            f"x=range({jobs})",
            f"+release={release}",
            *(f"hydra.launcher.max_concurrent_submissions={n}" for n in concurrency),
        ]
    script = BASELINES / (
        "compile_once_submit.py" if way == "compile-once" else "tutorial_submit.py"
    )
    options = {"--endpoint": endpoint, "--jobs": str(jobs), "--release": release}
    return [sys.executable, str(script), *(text for pair in options.items() for text in pair)]


def handed_over(output: str) -> float | None:
    """When the sweeper handed the batch to the launcher (epoch s), from its debug line."""
    for line in output.splitlines():
        found = HANDED_OVER.match(line)
        if found:
            local = time.mktime(time.strptime(found[1], "%Y-%m-%d %H:%M:%S"))
            return local + int(found[2]) / 1000
    return None


def run(way: str, jobs: int, latency_s: float) -> dict[str, float]:
    """Wall time, CPU time, and the first create's arrival since the start (and since the
    hand-over, for ours) of one run against a fresh emulator."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with emulator_process(latency_s, work / "storage") as endpoint:
            started_at = time.time()
            start = time.perf_counter()
            proc = subprocess.Popen(
                argv_of(way, endpoint, jobs, work),
                cwd=APP_DIR,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            assert proc.stdout is not None
            output = proc.stdout.read()
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            if os.waitstatus_to_exitcode(status) != 0:
                raise RuntimeError(f"{way} failed:\n{output[-3000:]}")
            created = create_times(endpoint)
    assert len(created) == jobs, (way, len(created))
    first = min(created) - latency_s
    result = {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "first": first - started_at}
    handed = handed_over(output)
    if handed is not None:
        result["first_after_handover"] = first - handed
        result["handover"] = handed - started_at
    return result


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--latency-s", type=float, default=0.3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--first-create", type=int, nargs="*", default=[10, 100, 1000])
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="*",
        default=[],
        help="also time ours with these max_concurrent_submissions (default: 16)",
    )
    args = parser.parse_args()
    ways = ["ours", "compile-once", "tutorial"]
    ways += [f"ours, {n} creates at once" for n in args.concurrency]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load "
        f"{os.getloadavg()[0]:.1f} at start; {args.latency_s * 1000:.0f} ms on every request"
    )
    runs: dict[str, list[dict[str, float]]] = {way: [] for way in ways}
    for _ in range(args.repeats):
        for way in ways:  # alternately: drift hits every way alike
            runs[way].append(run(way, args.jobs, args.latency_s))
    print(f"\n{args.jobs} jobs end to end, {args.repeats} runs each, medians")
    print(f"{'way':<30}{'wall s':>9}{'CPU s':>9}{'1st create s':>14}   walls")
    for way, samples in runs.items():
        walls = " ".join(f"{r['wall']:.1f}" for r in samples)
        print(
            f"{way:<30}{median(samples, 'wall'):>9.2f}{median(samples, 'cpu'):>9.2f}"
            f"{median(samples, 'first'):>14.2f}   {walls}"
        )
    for way in (w for w in ways if w.startswith("ours")):
        ours = median(runs[way], "wall")
        for baseline in ("compile-once", "tutorial"):
            ratio = median(runs[baseline], "wall") / ours
            print(f"{way} vs {baseline}: {ratio:.1f}x faster")
    for jobs in args.first_create:
        samples = [run("ours", jobs, args.latency_s) for _ in range(args.repeats)]
        print(
            f"\nours, {jobs} jobs: first create {median(samples, 'first'):.2f} s after the "
            f"process started, {median(samples, 'first_after_handover'):.2f} s after the sweeper "
            f"handed over the batch (its check of every job ended "
            f"{median(samples, 'handover'):.2f} s after the start); whole run "
            f"{median(samples, 'wall'):.1f} s"
        )
    print(f"load {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
