"""Memory and speed of a component's output in the runner: a component writes MB megabytes of
tqdm-style progress updates (`\\r`, no newline) to stdout, then one line of LINE_MB megabytes to
stderr and fails. Printed: the runner process's peak RSS growth (VmHWM, reset through
/proc/self/clear_refs; Linux), the wall time and throughput, and the error tail's length.

    python benchmarks/bench_output_memory.py --mb 200 --line-mb 18
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from hydra_vertex_pipelines.runner.process import ProcessSupervisor


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(f"{key}:"))
    return int(line.split()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="MB of \\r updates on stdout")
    parser.add_argument("--line-mb", type=int, default=18, help="MB of one stderr line")
    args = parser.parse_args()
    code = (
        "import sys\n"
        "update = (b'x' * 1023 + b'\\r') * 1024\n"
        f"for _ in range({args.mb}): sys.stdout.buffer.write(update)\n"
        "sys.stdout.flush()\n"
        f"sys.stderr.write('E' * ({args.line_mb} << 20) + ' the error\\n'); sys.exit(1)\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        before = _status_kb("VmRSS")
        started = time.perf_counter()
        outcome = ProcessSupervisor(echo=False).run(
            [sys.executable, "-c", code], dict(os.environ), Path(tmp) / "c.log", "[c] ", None
        )
        elapsed = time.perf_counter() - started
        growth_mb = (_status_kb("VmHWM") - before) / 1024
    total = args.mb + args.line_mb
    print(f"output: {args.mb} MB of \\r updates + a {args.line_mb} MB stderr line")
    print(f"peak RSS growth of the runner: {growth_mb:.1f} MB")
    print(f"wall time: {elapsed:.2f} s ({total / elapsed:.0f} MB/s)")
    print(f"error tail: {len(outcome.stderr_tail)} characters (exit {outcome.exit_code})")


if __name__ == "__main__":
    main()
