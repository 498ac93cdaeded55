"""hydra-vertex-sweep: see, wait for, collect or cancel a sweep submitted to Vertex AI, from its
manifest (<sweep dir>/vertex_jobs.jsonl), e.g. after `hydra.launcher.wait=false`.

    hydra-vertex-sweep status  <sweep dir>    a table of the jobs and their states
    hydra-vertex-sweep wait    <sweep dir>    until every job has ended, with progress
    hydra-vertex-sweep results <sweep dir>    values, errors, console links; Hydra outputs copied
    hydra-vertex-sweep cancel  <sweep dir>    cancel the jobs that have not ended

Project, location and endpoint come from the manifest (--project, --location, --api-endpoint
override them). Each poll is one List call per page of jobs; exit status 0 when every job
succeeded (status and cancel: when they could be read), 1 otherwise, 2 for a bad sweep dir.
"""

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from google.api_core import exceptions

from .executors.vertex.cancel import cancel_jobs
from .executors.vertex.client import VertexCredentialsError
from .executors.vertex.progress import SweepProgress, state_text, summary_table
from .executors.vertex.recorded import Connection, NoSweep, RecordedSweep, is_settled
from .executors.vertex.retry import GaveUp
from .executors.vertex.storage import OutputCopier

SUCCEEDED = "PIPELINE_STATE_SUCCEEDED"
VALUE_WIDTH = 40


def _status(sweep: RecordedSweep, args: argparse.Namespace) -> int:
    states = sweep.poll()
    rows = [
        (e.job_num, state_text(states[e.job_id]), str(e.attempt), e.job_id, " ".join(e.overrides))
        for e in sweep.jobs
    ]
    header = ("#", "state", "attempt", "job id", "overrides")
    print(f"Sweep {sweep.sweep_id} ({sweep.manifest_path}):")
    print(summary_table(rows, header))
    return 0


def _wait(sweep: RecordedSweep, args: argparse.Namespace) -> int:
    deadline = None if args.timeout_s is None else time.monotonic() + args.timeout_s
    progress = SweepProgress(sys.stdout)
    try:
        while True:
            states = sweep.poll()
            progress.update(states.values())
            if all(is_settled(s) for s in states.values()):
                break
            if deadline is not None and time.monotonic() > deadline:
                print(f"Still running after {args.timeout_s:g} s", file=sys.stderr)
                return 1
            time.sleep(args.poll_interval_s)
    finally:
        progress.close()
    _status(sweep, args)
    return 0 if all(s == SUCCEEDED for s in states.values()) else 1


def _results(sweep: RecordedSweep, args: argparse.Namespace) -> int:
    states = sweep.poll()
    copier = OutputCopier(sweep.header.project, sweep.header.api_endpoint)
    results = [sweep.result(entry, copier) for entry in sweep.jobs]
    if args.json:
        for r in results:
            print(
                json.dumps(
                    {
                        "job_num": r.entry.job_num,
                        "job_id": r.entry.job_id,
                        "state": r.state,
                        "value": r.value,
                        "error": r.error,
                        "console_url": r.entry.console_url,
                        "overrides": r.entry.overrides,
                    }
                )
            )
    else:
        rows = [
            (r.entry.job_num, state_text(r.state), repr(r.value)[:VALUE_WIDTH], r.entry.console_url)
            for r in results
        ]
        print(summary_table(rows, ("#", "state", "value", "console")))
        for r in results:
            if r.error:
                print(f"#{r.entry.job_num}: {r.error}")
    return 0 if all(s == SUCCEEDED for s in states.values()) else 1


def _cancel(sweep: RecordedSweep, args: argparse.Namespace) -> int:
    states = sweep.poll()
    names = [e.name for e in sweep.jobs if not is_settled(states[e.job_id])]
    outcomes = cancel_jobs(sweep.client, sweep.manifest, sweep.sweep_id, names, 8)
    print(
        f"Sweep {sweep.sweep_id}: cancelling {outcomes.count('cancelling')} jobs"
        + (f"; {outcomes.count('finished')} had ended meanwhile" if "finished" in outcomes else "")
    )
    return 0 if "failed" not in outcomes else 1


COMMANDS = {
    "status": (_status, "the jobs and their states"),
    "wait": (_wait, "wait until every job has ended, showing progress"),
    "results": (_results, "values, errors and console links; Hydra outputs copied back"),
    "cancel": (_cancel, "cancel the jobs that have not ended"),
}


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(
        prog="hydra-vertex-sweep", description=__doc__.split("\n\n")[0]
    )
    commands = main_parser.add_subparsers(dest="command", required=True)
    for name, (_, text) in COMMANDS.items():
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("sweep_dir", type=Path, help="the sweep dir (hydra.sweep.dir)")
        sub.add_argument("--sweep-id", help="a sweep of the manifest other than the last one")
        sub.add_argument("--project", help="instead of the manifest's")
        sub.add_argument("--location", help="instead of the manifest's")
        sub.add_argument("--api-endpoint", help="instead of the manifest's")
        if name == "wait":
            sub.add_argument("--poll-interval-s", type=float, default=30.0)
            sub.add_argument("--timeout-s", type=float, help="give up after this long")
        if name == "results":
            sub.add_argument("--json", action="store_true", help="one JSON object per job")
    return main_parser


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # the library's messages (progress, warnings) on stderr while the command runs
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    package_log = logging.getLogger(__package__)
    level = package_log.level
    package_log.addHandler(handler)
    package_log.setLevel(logging.INFO)
    try:
        return _run(args)
    finally:
        package_log.removeHandler(handler)
        package_log.setLevel(level)


def _run(args: argparse.Namespace) -> int:
    connection = Connection(args.project, args.location, args.api_endpoint)
    try:
        sweep = RecordedSweep(args.sweep_dir.absolute(), connection, args.sweep_id)
    except (NoSweep, VertexCredentialsError) as e:
        print(f"hydra-vertex-sweep: {e}", file=sys.stderr)
        return 2
    command = COMMANDS[args.command][0]
    try:
        return command(sweep, args)
    except (GaveUp, exceptions.GoogleAPICallError) as e:
        print(f"hydra-vertex-sweep: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        sweep.close()


if __name__ == "__main__":
    sys.exit(main())
