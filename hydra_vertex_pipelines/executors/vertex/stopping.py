"""How a sweep on Vertex AI ends early: an interrupt (Ctrl-C, SIGTERM, SIGHUP) cancels what it
submitted (cancel_on_interrupt); so does a job that cannot be planned (its config does not
compose) once earlier jobs were submitted: the launch fails with that job's error, as it would
have before anything was submitted, and leaves no job running that nobody waits for (with
cancel_on_interrupt=false they keep running, in the manifest). An outage longer than
outage_deadline_s ends the wait, leaving the jobs running (or cancelling them: cancel_on_outage).
Either way the manifest is complete and the user is told how to pick the sweep up again."""

import logging
import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from hydra.errors import CompactHydraException

from ...planning.overrides import in_quotes
from .. import PlanningFailed
from .cancel import cancel_jobs, cleanup_client
from .retry import GaveUp
from .sweep_run import SweepRun

log = logging.getLogger(__name__)

_REPLACED = ("hydra.launcher.resume=", "hydra.sweep.dir=")
# a path that Hydra's override grammar reads unquoted as itself
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_./-]+")


class VertexUnreachable(CompactHydraException):
    """The wait gave up: Vertex AI did not answer for outage_deadline_s."""


def path_value(path: str) -> str:
    """A path as the value of a Hydra override: as is when plain, else single-quoted (text to
    Hydra and OmegaConf, whatever it holds)."""
    return path if _PLAIN_PATH.fullmatch(path) else "'" + in_quotes(path, "'") + "'"


def resume_command(sweep_dir: Path, argv: Sequence[str] = tuple(sys.argv)) -> str:
    """This launch's command line with resume=true and its sweep dir."""
    kept = [a for a in argv[1:] if not a.lstrip("+").startswith(_REPLACED)]
    extra = ["hydra.launcher.resume=true", f"hydra.sweep.dir={path_value(str(sweep_dir))}"]
    return shlex.join(["python", argv[0] if argv else "app.py", *kept, *extra])


def where_to_look(run: SweepRun) -> str:
    return (
        f"The sweep's jobs: {run.manifest.path}. `hydra-vertex-sweep "
        f"status|wait|results|cancel {run.sweep_dir}` acts on them; to resume the sweep:\n  "
        f"{resume_command(run.sweep_dir)}"
    )


def handle_interrupt(run: SweepRun, signal_name: str) -> None:
    stop_sweep(run, f"Interrupted ({signal_name})")


def handle_planning_failure(run: SweepRun, error: PlanningFailed) -> None:
    submitted = len(run.submission.started)
    log.error(
        f"Job #{error.num} could not be planned, after {submitted} jobs of this launch were "
        f"submitted: {error.cause}"
    )
    stop_sweep(run, f"Job #{error.num} could not be planned")


def stop_sweep(run: SweepRun, why: str) -> None:
    """Stop creating; cancel what exists now, then what the creates in flight made (or, with
    cancel_on_interrupt=false, let them run)."""
    conf = run.conf
    run.client.policy.stop.set()
    run.submission.finish(wait=False)
    if run.collecting is not None:
        run.collecting.shutdown(wait=False, cancel_futures=True)
    if not conf.cancel_on_interrupt:
        log.warning(
            f"{why}: the sweep's jobs keep running (cancel_on_interrupt="
            "false); waiting for the creates in flight"
        )
        run.submission.finish(wait=True)
        log.warning(where_to_look(run))
        return
    cleanup = cleanup_client(run.client)
    known = run.unfinished_names()
    in_flight = run.submission.in_flight
    later = f", and the jobs of {in_flight} creates in flight once they answer" if in_flight else ""
    log.warning(f"{why}: cancelling {len(known)} jobs of this sweep{later}")
    workers = conf.max_concurrent_submissions
    cancel_jobs(cleanup, run.manifest, run.sweep, known, workers)
    run.submission.finish(wait=True)  # creates in flight end; no retry, no new create
    done = set(known)
    late = [
        r.job.name if r.job is not None else run.client.name_of(r.request.job_id)
        for r in run.submission.results.values()
        if (r.job is not None and r.job.name not in done) or (r.job is None and r.maybe_created)
    ]
    outcomes = cancel_jobs(cleanup, run.manifest, run.sweep, late, workers)
    if late:
        cancelled, absent = outcomes.count("cancelling"), outcomes.count("not created")
        log.warning(
            f"Creates that were in flight: {cancelled} jobs created and cancelled, {absent} "
            "never created"
        )
    log.warning(where_to_look(run))


def handle_outage(run: SweepRun, error: GaveUp) -> VertexUnreachable:
    """The wait gives up; the jobs keep running unless cancel_on_outage."""
    conf = run.conf
    run.client.policy.stop.set()
    run.submission.finish(wait=True)
    if run.collecting is not None:
        run.collecting.shutdown(wait=False, cancel_futures=True)
    names = run.unfinished_names()
    if conf.cancel_on_outage and names:
        log.warning(f"Cancelling {len(names)} unfinished jobs (cancel_on_outage=true)")
        outcomes = cancel_jobs(
            cleanup_client(run.client),
            run.manifest,
            run.sweep,
            names,
            conf.max_concurrent_submissions,
        )
        fate = f"{outcomes.count('cancelling')} of its {len(names)} unfinished jobs were cancelled"
    else:
        fate = f"its {len(names)} unfinished jobs keep running on Vertex AI"
    return VertexUnreachable(
        f"Stopped waiting for the sweep: {error} (hydra.launcher.outage_deadline_s="
        f"{conf.outage_deadline_s:g}); {fate}.\n{where_to_look(run)}"
    )
