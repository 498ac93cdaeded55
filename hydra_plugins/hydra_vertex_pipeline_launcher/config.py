import sys

if sys.version_info < (3, 10):  # noqa: UP036 (older images import it too)
    # Hydra imports this module at the start of every app, also in a component image built for
    # an older stack, which needs only callbacks.py; Hydra reports an ImportError and goes on
    raise ImportError(
        "hydra-vertex-pipeline-launcher launches from Python 3.10 or newer; in this older "
        "Python only its Hydra callbacks (all a pipeline component needs) are available"
    )

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigNode, ConfigStore
from omegaconf import OmegaConf

from hydra_vertex_pipelines.choices import FailurePolicy, LocalMain, Mode, SchedulingStrategy

__all__ = [
    "AppConf",
    "ComponentConf",
    "ComposedLauncherConf",
    "FailurePolicy",
    "LocalConf",
    "LocalMain",
    "Mode",
    "ResourcesConf",
    "SchedulingStrategy",
    "VertexPipelineLauncherConf",
]


@dataclass
class ResourcesConf:
    # CPU limit of the task's machine, a Kubernetes quantity: "8", "0.5", "500m"
    cpu: str | None = None
    # memory limit, a number with K/M/G/T (or Ki/Mi/Gi/Ti) suffix: "32G", "512Mi"
    memory: str | None = None
    # accelerator, e.g. NVIDIA_TESLA_T4, NVIDIA_L4, NVIDIA_TESLA_A100, NVIDIA_H100_80GB
    accelerator_type: str | None = None
    # number of accelerators; defaults to 1 when accelerator_type is set (or to the GPUs that
    # machine_type comes with, e.g. 2 for a2-highgpu-2g)
    accelerator_count: int | None = None
    # exact Vertex machine, e.g. n1-standard-4: the component runs as a Vertex custom job
    # (instead of cpu/memory limits); the keys below apply to custom jobs only
    machine_type: str | None = None
    # boot disk: pd-ssd, pd-standard or hyperdisk-balanced; null: pd-ssd
    boot_disk_type: str | None = None
    # boot disk size in GB (100 to 64000); null: 100
    boot_disk_size_gb: int | None = None
    # STANDARD (on demand), SPOT (preemptible, cheaper) or FLEX_START (queued); null: STANDARD
    strategy: SchedulingStrategy | None = None
    # FLEX_START only: seconds to wait for the GPUs, 0 waits indefinitely; null: Vertex's 1 day
    max_wait_s: int | None = None
    # restart the whole custom job when its VM restarts (maintenance, Spot preemption)
    restart_job_on_worker_restart: bool | None = None
    # the custom job fails after running this many seconds; null: Vertex's 7 days
    timeout_s: int | None = None
    # service account of the custom job; null: hydra.launcher.service_account
    service_account: str | None = None
    # VPC network of the custom job; null: hydra.launcher.network
    network: str | None = None
    # reserved IP ranges under the network; null: hydra.launcher.reserved_ip_ranges
    reserved_ip_ranges: list[str] | None = None


@dataclass
class AppConf:
    # argv prefix, e.g. [python, -m, example_app.train]; empty: the image's entrypoint (for
    # hydra.launcher.app: the command the launching app was started with)
    command: list[str] = field(default_factory=list)
    # fixed extra Hydra overrides
    args: list[str] = field(default_factory=list)
    # machine spec of the task
    resources: ResourcesConf = field(default_factory=ResourcesConf)
    # retries of a failed task
    retries: int = 0
    # task caching; null follows hydra.launcher.enable_caching
    caching: bool | None = None
    # environment variables of the container
    env: dict[str, str] = field(default_factory=dict)
    # task name shown in the Vertex AI console; null: the component name
    display_name: str | None = None


@dataclass
class ComponentConf(AppConf):
    # container image URI; null: hydra.launcher.image (an image is required in vertex mode)
    image: str | None = None
    # the launched app: gets every job override and reports the return value
    main: bool = False
    # key prefixes of the job overrides passed to this component, e.g. [data]
    overrides: list[str] = field(default_factory=list)
    # {hydra.key: other_component.output_name}: arg hydra.key=<input artifact path>
    inputs: dict[str, str] = field(default_factory=dict)
    # {output_name: hydra.key}: arg hydra.key=<output artifact path>
    outputs: dict[str, str] = field(default_factory=dict)
    # components that must finish before this one (beyond artifact edges)
    after: list[str] = field(default_factory=list)


@dataclass
class LocalConf:
    # subprocess: run the main component's command; inline: call the task function in-process
    main: LocalMain = LocalMain.subprocess
    # jobs of a sweep run at once
    max_parallel_jobs: int = 1
    # a component running longer than this many seconds fails its job; null: no limit
    timeout_s: float | None = None


@dataclass
class VertexPipelineLauncherConf:
    _target_: str = (
        "hydra_plugins.hydra_vertex_pipeline_launcher.vertex_pipeline_launcher"
        ".VertexPipelineLauncher"
    )
    # vertex: submit to Vertex AI; local: run here; compile: write the pipeline spec and stop
    mode: Mode = Mode.vertex
    # container image of the default pipeline's app and of every component that names none
    image: str | None = "${oc.env:VERTEX_PIPELINE_IMAGE,null}"
    # GCP project
    project: str | None = "${oc.env:GOOGLE_CLOUD_PROJECT,null}"
    # GCP region
    location: str = "us-central1"
    # gs://bucket/prefix where pipeline artifacts go; required in vertex mode
    pipeline_root: str | None = None
    # pipeline name and job-id stem
    pipeline_name: str = "${hydra.job.name}"
    # service account the pipeline runs as
    service_account: str | None = None
    # VPC network to peer, projects/NUMBER/global/networks/NAME
    network: str | None = None
    # names of reserved IP ranges under that network for the jobs' VMs
    reserved_ip_ranges: list[str] = field(default_factory=list)
    # Cloud KMS key for the pipeline's resources
    encryption_spec_key_name: str | None = None
    # Vertex AI Experiments name: the sweep's runs are compared there
    experiment: str | None = None
    # labels added to the launcher's own (sweep id, job num, app)
    labels: dict[str, str] = field(default_factory=dict)
    # Vertex caching: a task with the same component and inputs reuses an earlier result
    enable_caching: bool = True
    # fast: stop scheduling tasks once one fails; slow: run all that can run
    failure_policy: FailurePolicy = FailurePolicy.fast
    # API endpoint, e.g. http://127.0.0.1:8080 for the emulator; null: the regional endpoint
    api_endpoint: str | None = None
    # block until the jobs finish and return their results; false: submit and exit
    wait: bool = True
    # seconds between status polls (one batched List call per poll)
    poll_interval_s: float = 30.0
    # parallel create calls
    max_concurrent_submissions: int = 16
    # Ctrl-C, SIGTERM or SIGHUP cancels what this sweep submitted
    cancel_on_interrupt: bool = True
    # adopt the previous launch recorded in <sweep dir>/vertex_jobs.jsonl (same command and
    # hydra.sweep.dir): jobs that succeeded return their results, running ones are waited for,
    # failed, cancelled or missing ones are submitted (again)
    resume: bool = False
    # seconds that submission and the wait ride out Vertex AI failing (429, 5xx, dropped
    # connections), backing off, before giving up; the jobs keep running for resume=true
    outage_deadline_s: float = 600.0
    # when the wait gives up after outage_deadline_s, cancel the unfinished jobs (best effort)
    cancel_on_outage: bool = False
    # tasks that run the same in every job (the data step of an lr sweep, caching on) run once:
    # one job is submitted first, the others once those tasks have run there (cache hits)
    shared_steps_once: bool = True
    # main component gets the callback that reports the task function's return value
    return_value: bool = True
    # before the first create, check credentials, project, the pipeline root's bucket and the
    # images (placeholders, existence; mutable tags warned) and refuse with the fix; false: skip
    preflight: bool = True
    # the default pipeline's one component, the launching app, used while components is empty
    app: AppConf = field(default_factory=AppConf)
    # the pipeline's components by name; empty: the default pipeline (the app alone)
    components: dict[str, ComponentConf] = field(default_factory=dict)
    # local mode settings
    local: LocalConf = field(default_factory=LocalConf)


@dataclass
class ComposedLauncherConf(VertexPipelineLauncherConf):
    """VertexPipelineLauncherConf as Hydra composes it. OmegaConf cannot assign a dict to an entry
    of a Dict[str, ComponentConf] (so `+hydra.launcher.components.prep={command:[...]}` would fail),
    so `components` is an open dict here, and not in struct mode, so that a setting a component's
    yaml did not write is overridden without `+`. The launcher checks every component against
    ComponentConf when a sweep starts, listing each problem with its key and fix."""

    components: dict[str, Any] = field(default_factory=dict)


class _LauncherConfigNode(ConfigNode):
    """The ConfigStore entry of `hydra/launcher=vertex_pipeline`, whose config node is made from
    ComposedLauncherConf when Hydra first loads it, not when every Hydra app starts (Hydra imports
    this module at the start of every app).

    Hydra deep-copies the whole ConfigStore for every composition of every app (each config
    repository it creates holds a copy: once per job, 57 times for `--help`), so the stored node
    would be copied into every job of apps that do not select this launcher. A copy of this entry
    is the entry itself: nothing changes it. Hydra loads a config from the store by copying the
    entry and then deep-copying its `node` (ConfigStore.load), which makes a copy of the node built
    once and shared by all copies of the entry."""

    def __init__(self, name: str, group: str, provider: str) -> None:
        # one node for this entry and its copies, built on first use
        self._built: list[Any] = []
        super().__init__(
            name=name,
            node=None,  # type: ignore[arg-type]
            group=group,
            package=None,
            provider=provider,
        )

    @property
    def node(self) -> Any:
        if "_node" in self.__dict__:  # set on a copy of the entry (ConfigStore.load)
            return self.__dict__["_node"]
        if not self._built:
            node = OmegaConf.structured(ComposedLauncherConf)
            OmegaConf.set_struct(node.components, False)
            self._built.append(node)
        return self._built[0]

    @node.setter
    def node(self, value: Any) -> None:
        if value is not None:
            self.__dict__["_node"] = value

    def __deepcopy__(self, memo: dict[int, Any]) -> "_LauncherConfigNode":
        return self


ConfigStore.instance().repo.setdefault("hydra", {}).setdefault("launcher", {})[
    "vertex_pipeline.yaml"
] = _LauncherConfigNode(
    name="vertex_pipeline.yaml", group="hydra/launcher", provider="hydra_vertex_pipeline_launcher"
)
