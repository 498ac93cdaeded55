"""mode=vertex: submit each job's pipeline to Vertex AI Pipelines, track them, return results."""

import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from hydra.core.utils import JobReturn, JobStatus

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from ...compiling.run_dir import mounted_run_dir
from ...interrupts import InterruptGuard
from ...planning.job_plan import JobPlan
from ...vertex_api import PipelineState
from ...vertex_facts import mounted_path
from .. import JobBatch, PlanningFailed
from .client import VertexClient, pipeline_service
from .labels import LAUNCHER_LABELS
from .manifest import MANIFEST_NAME, ManifestSweep, ManifestWriter, read_manifest
from .preflight import preflight
from .progress import state_text, summary_table
from .request import sweep_id
from .retry import GaveUp, RetryPolicy
from .stopping import handle_interrupt, handle_outage, handle_planning_failure
from .submit import SubmittedJob
from .sweep_run import SweepRun

log = logging.getLogger(__name__)

SUMMARY_VALUE_WIDTH = 40


def vertex_client(conf: VertexPipelineLauncherConf, policy: RetryPolicy) -> VertexClient:
    assert conf.project is not None
    # creates (or result reads) and, after an interrupt, cancels at once
    connections = 2 * conf.max_concurrent_submissions
    service = pipeline_service(conf.location, conf.api_endpoint, connections)
    return VertexClient(service, conf.project, conf.location, policy)


def summary_value(ret: JobReturn) -> str:
    if ret.status == JobStatus.COMPLETED:
        return repr(ret.return_value)[:SUMMARY_VALUE_WIDTH]
    return "see the error below" if ret.status == JobStatus.FAILED else ""


def log_summary(
    jobs: Mapping[int, SubmittedJob],
    states: Mapping[str, PipelineState],
    returns: Sequence[JobReturn],
    plans: Sequence[JobPlan],
) -> None:
    rows = []
    for plan, ret in zip(plans, returns, strict=True):
        request = jobs[plan.num].request
        state = states.get(request.job_id)
        rows.append(
            (
                plan.num,
                "not submitted" if state is None else state_text(PipelineState(state).name),
                summary_value(ret),
                request.job_id,
            )
        )
    log.info(f"Vertex AI sweep results:\n{summary_table(rows)}")


def previous_sweep(manifest: Path) -> ManifestSweep | None:
    """The last launch recorded in the manifest, if any."""
    sweeps = read_manifest(manifest)
    return list(sweeps.values())[-1] if sweeps else None


class VertexExecutor:
    """Submits the jobs of one launch of the multirun that started at `started_ns`."""

    def __init__(self, conf: VertexPipelineLauncherConf, sweep_dir: Path, started_ns: int) -> None:
        self.conf = conf
        self.sweep_dir = sweep_dir
        self.started_ns = started_ns

    def main_run_dir(self, plan: JobPlan) -> str:
        assert self.conf.pipeline_root is not None
        return mounted_run_dir(self.conf.pipeline_root, plan)

    def artifact_root(self, plan: JobPlan) -> str:
        assert self.conf.pipeline_root is not None
        return mounted_path(self.conf.pipeline_root)

    def execute(self, batch: JobBatch) -> list[JobReturn]:
        conf = self.conf
        if conf.preflight:
            preflight(conf, self.sweep_dir, self.started_ns)
        manifest = self.sweep_dir / MANIFEST_NAME
        previous = previous_sweep(manifest) if conf.resume else None
        if conf.resume and previous is None:
            log.info(f"Nothing to resume in {self.sweep_dir} (no {MANIFEST_NAME}): a new sweep")
        sweep = previous.sweep_id if previous else sweep_id(self.sweep_dir, self.started_ns)
        keys = previous.label_keys if previous else LAUNCHER_LABELS
        stop = threading.Event()
        client = vertex_client(conf, RetryPolicy(deadline_s=conf.outage_deadline_s, stop=stop))
        log.info(
            f"Sweep {sweep}: submitting {len(batch)} jobs to {client.parent} (pipeline specs "
            f"in {self.sweep_dir})"
        )
        run = SweepRun(conf, client, ManifestWriter(manifest), sweep, self.sweep_dir, keys)
        with InterruptGuard(stop) as guard:
            try:
                returns = run.run(batch, previous)
                if guard.signum is not None:
                    raise KeyboardInterrupt  # its exception was lost on its way
            except KeyboardInterrupt:
                handle_interrupt(run, guard.signal_name)
                raise guard.exit() from None
            except GaveUp as e:
                raise handle_outage(run, e) from None
            except PlanningFailed as e:
                handle_planning_failure(run, e)
                raise e.cause from None
            finally:
                run.manifest.close()
        if conf.wait:
            log_summary(run.jobs(), run.states, returns, run.plans)
        return returns
