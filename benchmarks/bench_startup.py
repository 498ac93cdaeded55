"""Start-up cost the plugin adds to every Hydra app (Hydra imports all of hydra_plugins at start).

The same interpreter runs the same trivial Hydra app with and without the plugin visible, runs
interleaved. "Without" drops the repository (where the editable install points, via a .pth file)
from sys.path before anything is imported, so the `hydra_plugins` namespace package has no
hydra_vertex_pipeline_launcher in it; a check with `--info plugins` proves which is which.

Reported: the median wall time and CPU time (user + system, less disturbed by other load) of
`python app.py` (run mode) and `python app.py --help`, the median in-process time of Hydra's plugin
scan (`Plugins.instance()`), each with and without the plugin, and what the plugin's own modules
cost to import (`python -X importtime`). The target is judged on CPU time.

Then what the plugin costs apps that do not select it, per job: a multirun of `--multirun-jobs`
no-op jobs under Hydra's basic launcher (each job composed twice: the sweeper's check and the
launch), with and without the plugin, `--multirun-runs` times each.

    python benchmarks/bench_startup.py --runs 15 --multirun-jobs 100 --multirun-runs 5
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

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = "hydra_plugins.hydra_vertex_pipeline_launcher"
TARGET_MS = 20.0
SCAN_CASE = "Plugins.instance() scan"
MULTIRUN_CASE = "python app.py -m x=range(N)"

APP = """
import hydra
from omegaconf import DictConfig


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> None:
    pass


main()
"""

# argv: hide(0/1) script args...; hides the repository from sys.path before any import
WRAPPER = f"""
import os, runpy, sys
if sys.argv[1] == "1":
    sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != {str(ROOT)!r}]
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""

SCAN = """
import time
from hydra.core.plugins import Plugins
start = time.perf_counter()
Plugins.instance()
print(time.perf_counter() - start)
"""

# hidden, Hydra scans its plugins (importing what they need); then the plugin's modules are
# imported with the repository back on sys.path: -X importtime shows what they add
IMPORTS = f"""
import os, sys
saved = list(sys.path)
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != {str(ROOT)!r}]
from hydra.core.plugins import Plugins
Plugins.instance()
sys.path[:] = saved
print("--- plugin imports ---", file=sys.stderr, flush=True)
import {PLUGIN}.config
import {PLUGIN}.callbacks
import {PLUGIN}.vertex_pipeline_launcher
"""


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def python(hide: bool, *argv: str, cwd: Path) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(
        [sys.executable, "-c", WRAPPER, "1" if hide else "0", *argv],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    )


def timed(hide: bool, argv: list[str], cwd: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of the app."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, "1" if hide else "0", *argv],
        cwd=cwd,
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, proc.args)
    return elapsed, usage.ru_utime + usage.ru_stime


def write_app(folder: Path) -> Path:
    (folder / "conf").mkdir()
    (folder / "conf" / "config.yaml").write_text("x: 1\n")
    app = folder / "app.py"
    app.write_text(APP)
    return app


def check_visibility(app: Path) -> None:
    shown = python(False, app.name, "--info", "plugins", cwd=app.parent).stdout
    hidden = python(True, app.name, "--info", "plugins", cwd=app.parent).stdout
    assert "VertexPipelineLauncher" in shown, "the plugin is not visible in the 'with' runs"
    assert "VertexPipelineLauncher" not in hidden, "the plugin is still visible when hidden"


def plugin_import_ms(cwd: Path) -> tuple[float, list[tuple[str, float]]]:
    """What importing the plugin's modules adds after Hydra's own start-up: their cumulative
    -X importtime (what they pull in included), and each plugin module's own time."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", IMPORTS],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    after_marker = proc.stderr.split("--- plugin imports ---", 1)[1]
    rows = []
    for line in after_marker.splitlines():
        if line.startswith("import time:") and "imported package" not in line:
            self_us, cumulative_us, name = line[len("import time:") :].split("|")
            depth = len(name) - len(name.lstrip(" "))
            rows.append((depth, name.strip(), int(self_us), int(cumulative_us)))
    top = min(depth for depth, *_ in rows)
    total_ms = sum(cum for depth, _, _, cum in rows if depth == top) / 1000
    own = [(name, self_us / 1000) for _, name, self_us, _ in rows if name.startswith(PLUGIN)]
    return total_ms, own


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


Samples = dict[tuple[str, bool], list[float]]


def measure(app: Path, scan: Path, runs: int) -> tuple[Samples, Samples]:
    commands = {"python app.py": [app.name], "python app.py --help": [app.name, "--help"]}
    wall: Samples = {}
    cpu: Samples = {}
    for _ in range(runs):  # interleaved, so that drift hits both sides alike
        for hide in (False, True):
            for case, argv in commands.items():
                elapsed, cpu_s = timed(hide, argv, app.parent)
                wall.setdefault((case, hide), []).append(elapsed)
                cpu.setdefault((case, hide), []).append(cpu_s)
            scan_s = float(python(hide, scan.name, cwd=app.parent).stdout)
            wall.setdefault((SCAN_CASE, hide), []).append(scan_s)
    return wall, cpu


def measure_multirun(app: Path, jobs: int, runs: int) -> tuple[Samples, Samples]:
    """A basic-launcher multirun of `jobs` no-op jobs, with and without the plugin."""
    sweep_dir = app.parent / "multirun"
    argv = [app.name, "-m", f"x=range({jobs})", f"hydra.sweep.dir={sweep_dir}"]
    wall: Samples = {}
    cpu: Samples = {}
    for _ in range(runs):
        for hide in (False, True):
            elapsed, cpu_s = timed(hide, argv, app.parent)
            shutil.rmtree(sweep_dir)  # each run writes its job dirs anew
            wall.setdefault((MULTIRUN_CASE, hide), []).append(elapsed)
            cpu.setdefault((MULTIRUN_CASE, hide), []).append(cpu_s)
    return wall, cpu


def report_multirun(wall: Samples, cpu: Samples, jobs: int, runs: int) -> None:
    print(f"\n{MULTIRUN_CASE} ({jobs} jobs, basic launcher), {runs} runs each, medians in s")
    for name, samples in (("wall", wall), ("CPU", cpu)):
        with_s = statistics.median(samples[(MULTIRUN_CASE, False)])
        without_s = statistics.median(samples[(MULTIRUN_CASE, True)])
        print(
            f"  {name}: with the plugin {with_s:.2f}, without {without_s:.2f}: "
            f"{with_s / without_s:.3f}x ({(with_s - without_s) / jobs * 1000:+.2f} ms a job)"
        )


def report(
    wall: Samples, cpu: Samples, runs: int, imported_ms: float, own: list[tuple[str, float]]
) -> None:
    print(f"python {sys.version.split()[0]}, {runs} runs per case, medians in ms")
    header = ("case", "wall with", "without", "added", "CPU with", "without", "added")
    print(f"{header[0]:<24}" + "".join(f"{h:>11}" for h in header[1:]))
    for case in dict.fromkeys(case for case, _ in wall):
        row = f"{case:<24}"
        for samples in (wall, cpu):
            if (case, False) in samples:
                with_ms = median_ms(samples[(case, False)])
                without_ms = median_ms(samples[(case, True)])
                row += f"{with_ms:>11.1f}{without_ms:>11.1f}{with_ms - without_ms:>11.1f}"
        print(row)
    print(f"\n-X importtime of the plugin's modules after Hydra's start-up: {imported_ms:.1f} ms")
    for name, ms in own:
        print(f"  {name:<70}{ms:>6.2f} ms self")
    print()
    for case in dict.fromkeys(case for case, _ in cpu):
        added = median_ms(cpu[(case, False)]) - median_ms(cpu[(case, True)])
        verdict = "within" if added < TARGET_MS else "OVER"
        print(f"{case}: {added:.1f} ms CPU added: {verdict} the {TARGET_MS:.0f} ms target")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per case (at least 10)")
    parser.add_argument("--multirun-jobs", type=int, default=100)
    parser.add_argument("--multirun-runs", type=int, default=5, help="0: skip the multirun")
    args = parser.parse_args()
    runs = max(args.runs, 10)
    with tempfile.TemporaryDirectory() as tmp:
        app = write_app(Path(tmp))
        check_visibility(app)
        scan = Path(tmp) / "scan.py"
        scan.write_text(SCAN)
        wall, cpu = measure(app, scan, runs)
        imported_ms, own = plugin_import_ms(app.parent)
        report(wall, cpu, runs, imported_ms, own)
        if args.multirun_runs:
            multirun = measure_multirun(app, args.multirun_jobs, args.multirun_runs)
            report_multirun(*multirun, args.multirun_jobs, args.multirun_runs)


if __name__ == "__main__":
    main()
