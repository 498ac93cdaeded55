"""JobRequest: what one job of the sweep asks Vertex AI for: its id, labels and PipelineJob.

The PipelineJob message is built once per template (the spec parsed once into its Struct, the
settings shared by every job) and copied per job, which fills in only its own fields.

Job ids are `<pipeline>-<sweep id>-<job num>`, the sweep id a hash of the machine, the absolute
sweep dir and the time the multirun started: the same job of the same multirun always has the
same id, so a create retried after its answer was lost meets ALREADY_EXISTS instead of submitting
the job twice.
"""

import dataclasses
import hashlib
import json
import socket
from dataclasses import dataclass
from pathlib import Path

from hydra.core.utils import filter_overrides

from hydra_plugins.hydra_vertex_pipeline_launcher.config import VertexPipelineLauncherConf

from ...choices import FailurePolicy
from ...compiling.compiled_job import CompiledJob
from ...compiling.run_dir import job_output_uri
from ...compiling.template import PipelineTemplate
from ...planning.job_plan import JobPlan
from ...vertex_api import EncryptionSpec, PipelineFailurePolicy, PipelineJob
from ...vertex_facts import (
    FAIL_FAST,
    FAIL_SLOW,
    MAX_DISPLAY_NAME_LENGTH,
    MAX_JOB_ID_LENGTH,
    console_url,
)
from .labels import LAUNCHER_LABELS, LabelKeys, sanitize_labels

FAILURE_POLICIES = {
    FailurePolicy.fast: PipelineFailurePolicy.__members__[FAIL_FAST],
    FailurePolicy.slow: PipelineFailurePolicy.__members__[FAIL_SLOW],
}


@dataclass(frozen=True)
class JobRequest:
    compiled: CompiledJob
    job_id: str
    # the message sent to create the job
    pipeline_job: PipelineJob
    console_url: str
    # gs:// URI of the main component's Hydra output dir (its hydra.run.dir)
    hydra_output_uri: str
    # 1, or the how-manieth submission of this job (resume=true after failed attempts)
    attempt: int = 1
    # the keys of the launcher's labels in the job's sweep
    label_keys: LabelKeys = LAUNCHER_LABELS

    @property
    def plan(self) -> JobPlan:
        return self.compiled.plan

    @property
    def digest(self) -> str:
        return str(self.pipeline_job.labels[self.label_keys.digest])

    @property
    def sweep_id(self) -> str:
        return str(self.pipeline_job.labels[self.label_keys.sweep])

    @property
    def description(self) -> str:
        return overrides_text(self.plan)


def overrides_text(plan: JobPlan) -> str:
    return " ".join(filter_overrides(plan.overrides))


def sweep_id(sweep_dir: Path, started_ns: int) -> str:
    """10 hex digits of sha256(host name, absolute sweep dir, start of the multirun in ns): every
    create of one multirun (retries, batches of a batched sweeper) names the same jobs, and a
    multirun launched again into the same sweep dir runs its jobs again, as Hydra's launchers do.
    The host name keeps equal paths on different machines (containers, CI runners) apart."""
    text = f"{socket.gethostname()}:{sweep_dir.absolute()}:{started_ns}"
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def job_id(pipeline_name: str, sweep: str, num: int, attempt: int = 1) -> str:
    """A valid Vertex job id: [a-z][-a-z0-9]*, at most 128 characters; pipeline names are kfp
    names already ([a-z0-9-])."""
    stem = pipeline_name if pipeline_name[:1].isalpha() else f"job-{pipeline_name}"
    suffix = f"-{sweep}-{num}" + (f"-try{attempt}" if attempt > 1 else "")
    return stem[: MAX_JOB_ID_LENGTH - len(suffix)].rstrip("-") + suffix


def job_digest(template: PipelineTemplate, parameter_values: dict[str, str], root: str) -> str:
    identity = {"spec": template.digest, "parameters": parameter_values, "root": root}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


def job_labels(
    conf: VertexPipelineLauncherConf, sweep: str, plan: JobPlan, digest: str, keys: LabelKeys
) -> dict[str, str]:
    """The user's labels, then the launcher's (which win: tracking relies on them), sanitized."""
    labels = dict(conf.labels)
    if conf.experiment:
        labels[keys.experiment] = conf.experiment
    labels |= {
        keys.sweep: sweep,
        keys.job_num: str(plan.num),
        keys.app: plan.job_name,
        keys.digest: digest,
        keys.attempt: "1",
    }
    return sanitize_labels(labels)


def template_job(conf: VertexPipelineLauncherConf, template: PipelineTemplate) -> PipelineJob:
    """The part of the PipelineJob shared by every job of the template."""
    assert conf.pipeline_root is not None
    job = PipelineJob(
        pipeline_spec=template.spec,
        runtime_config=PipelineJob.RuntimeConfig(
            gcs_output_directory=conf.pipeline_root,
            failure_policy=FAILURE_POLICIES[conf.failure_policy],
        ),
    )
    if conf.service_account:
        job.service_account = conf.service_account
    if conf.network:
        job.network = conf.network
    if conf.reserved_ip_ranges:
        job.reserved_ip_ranges = list(conf.reserved_ip_ranges)
    if conf.encryption_spec_key_name:
        job.encryption_spec = EncryptionSpec(kms_key_name=conf.encryption_spec_key_name)
    return job


class RequestBuilder:
    """Each job's JobRequest; the part of the PipelineJob that the jobs of a template share is
    built once."""

    def __init__(self, conf: VertexPipelineLauncherConf, sweep: str, keys: LabelKeys) -> None:
        assert conf.project is not None and conf.pipeline_root is not None
        self.conf = conf
        self.project = conf.project
        self.pipeline_root = conf.pipeline_root
        self.sweep = sweep
        # the keys of the launcher's labels in this sweep (an adopted sweep keeps its own)
        self.keys = keys
        self.shared: dict[str, PipelineJob] = {}

    def __call__(self, compiled: CompiledJob) -> JobRequest:
        conf, plan, template = self.conf, compiled.plan, compiled.template
        if template.digest not in self.shared:
            self.shared[template.digest] = template_job(conf, template)
        values = compiled.runtime_parameters
        job = PipelineJob(self.shared[template.digest])
        job.runtime_config.parameter_values = values
        digest = job_digest(template, values, self.pipeline_root)
        job.labels = job_labels(conf, self.sweep, plan, digest, self.keys)
        title = f"{template.pipeline_name} #{plan.num} {overrides_text(plan)}"
        job.display_name = title.rstrip()[:MAX_DISPLAY_NAME_LENGTH]
        jid = job_id(template.pipeline_name, self.sweep, plan.num)
        return JobRequest(
            compiled=compiled,
            job_id=jid,
            pipeline_job=job,
            console_url=console_url(self.project, conf.location, jid),
            hydra_output_uri=job_output_uri(self.pipeline_root, plan),
            label_keys=self.keys,
        )


def with_attempt(request: JobRequest, attempt: int, project: str, location: str) -> JobRequest:
    """The same job submitted again as attempt number `attempt`: a new job id, the same spec,
    parameters and digest."""
    template = request.compiled.template
    job = PipelineJob(request.pipeline_job)
    job.labels[request.label_keys.attempt] = str(attempt)
    jid = job_id(template.pipeline_name, request.sweep_id, request.plan.num, attempt)
    return dataclasses.replace(
        request,
        job_id=jid,
        pipeline_job=job,
        console_url=console_url(project, location, jid),
        attempt=attempt,
    )
