"""The custom-job part of the config checks (validation.py lists what these find): machine types,
the GPUs each machine family takes and in which counts, disks, scheduling strategies. The facts
and their sources are in machine_types.py."""

import difflib
from collections.abc import Iterator

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ResourcesConf,
    VertexPipelineLauncherConf,
)

from .choices import SchedulingStrategy
from .machine_types import (
    ACCELERATORS,
    BOOT_DISK_TYPES,
    FLEX_START_GPUS,
    GPU_FAMILIES,
    GPU_MACHINE_PREFIXES,
    MACHINE_TYPE,
    MAX_BOOT_DISK_GB,
    MAX_FLEX_START_TIMEOUT_S,
    MIN_BOOT_DISK_GB,
    N1_GPU_COUNTS,
    TPU_PODS,
    fixed_gpu_count,
    suggested_machine,
)

# custom jobs are compiled by google-cloud-pipeline-components, an extra (it needs aiplatform<2)
GCPC_EXTRA = "pip install 'hydra-vertex-pipeline-launcher[custom-job]'"
# settings that only a custom job has
CUSTOM_JOB_KEYS = (
    "boot_disk_type",
    "boot_disk_size_gb",
    "strategy",
    "max_wait_s",
    "restart_job_on_worker_restart",
    "timeout_s",
    "service_account",
    "network",
    "reserved_ip_ranges",
)


def _gcpc_installed() -> bool:
    try:
        import google_cloud_pipeline_components  # noqa: F401
    except ImportError:
        return False
    return True


def _family(prefix: str) -> str:
    """n1- -> N1, a2-highgpu- -> A2 (a2-highgpu-*)."""
    family = prefix.split("-")[0].upper()
    return family if prefix.count("-") == 1 else f"{family} ({prefix}*)"


def _gpus(key: str, res: ResourcesConf, machine: str) -> Iterator[str]:
    accelerator, count = res.accelerator_type, res.accelerator_count
    if accelerator is None:
        if machine.startswith(GPU_FAMILIES):
            takes = [a for a, ps in GPU_MACHINE_PREFIXES.items() if machine.startswith(ps)]
            example = takes[0] if takes else "the GPU of that machine type"
            yield (
                f"{key}.machine_type={machine} comes with GPUs: set one, e.g. "
                f"{key}.accelerator_type={example}, or pick a machine type without GPUs, e.g. "
                f"{key}.machine_type=n1-standard-4."
            )
        return
    if accelerator not in ACCELERATORS:
        fitting = [a for a in ACCELERATORS if machine.startswith(GPU_MACHINE_PREFIXES.get(a, ()))]
        close = difflib.get_close_matches(accelerator, fitting or ACCELERATORS, n=1, cutoff=0)
        yield (
            f"{key}.accelerator_type={accelerator} is not a Vertex accelerator type: set one "
            f"of {', '.join(ACCELERATORS)}, e.g. {key}.accelerator_type={close[0]}."
        )
        return
    prefixes = GPU_MACHINE_PREFIXES.get(accelerator)
    if prefixes and not machine.startswith(prefixes):
        families = " or ".join(_family(p) for p in prefixes)
        suggestion = suggested_machine(accelerator)
        comes_with = fixed_gpu_count(suggestion)
        if count is not None and comes_with is not None and count != comes_with:
            suggestion += f" {key}.accelerator_count={comes_with}"
        yield (
            f"{key}.machine_type={machine} cannot take accelerator_type={accelerator}, which "
            f"runs on {families} machine types only: set {key}.machine_type={suggestion} (or "
            "another GPU)."
        )
        return
    fixed = fixed_gpu_count(machine)
    allowed = N1_GPU_COUNTS.get(accelerator)
    if count is not None and allowed and count not in allowed:
        counts = ", ".join(map(str, allowed))
        nearest = min(allowed, key=lambda n: (abs(n - count), n))
        yield (
            f"{key}.accelerator_count={count}: {accelerator} attaches to N1 machines in counts "
            f"of {counts}; set one of them, e.g. {key}.accelerator_count={nearest}."
        )
    elif count is not None and fixed is not None and count != fixed:
        yield (
            f"{key}.accelerator_count={count}: {machine} comes with {fixed} GPUs; set "
            f"{key}.accelerator_count={fixed} (or drop it, {key}.accelerator_count=null), or "
            f"pick the machine type with {count}."
        )


def _scheduling(key: str, res: ResourcesConf) -> Iterator[str]:
    strategy = res.strategy or SchedulingStrategy.STANDARD
    if res.timeout_s is not None and res.timeout_s < 1:
        yield (
            f"{key}.timeout_s={res.timeout_s}: set a positive number of seconds or null, e.g. "
            f"{key}.timeout_s=null."
        )
    if res.max_wait_s is not None and strategy != SchedulingStrategy.FLEX_START:
        yield (
            f"{key}.max_wait_s={res.max_wait_s} applies to strategy FLEX_START only (Vertex's "
            f"maxWaitDuration), not {strategy.value}: drop it, {key}.max_wait_s=null, or set "
            f"{key}.strategy=FLEX_START."
        )
    elif res.max_wait_s is not None and res.max_wait_s < 0:
        yield (
            f"{key}.max_wait_s={res.max_wait_s}: set 0 (wait indefinitely) or more, e.g. "
            f"{key}.max_wait_s=0."
        )
    if strategy == SchedulingStrategy.FLEX_START:
        if res.accelerator_type not in FLEX_START_GPUS:
            yield (
                f"{key}.strategy=FLEX_START (Dynamic Workload Scheduler) needs one of "
                f"{', '.join(FLEX_START_GPUS)} (accelerator_type={res.accelerator_type}): set "
                f"one of them with its machine type, or another strategy, {key}.strategy=SPOT or "
                f"{key}.strategy=STANDARD."
            )
        if res.timeout_s is not None and res.timeout_s > MAX_FLEX_START_TIMEOUT_S:
            yield (
                f"{key}.timeout_s={res.timeout_s}: FLEX_START jobs run at most 7 days; set "
                f"{MAX_FLEX_START_TIMEOUT_S} or less, e.g. "
                f"{key}.timeout_s={MAX_FLEX_START_TIMEOUT_S}."
            )
    if strategy == SchedulingStrategy.SPOT and res.accelerator_type in TPU_PODS:
        yield (
            f"{key}.strategy=SPOT: Spot VMs are not supported with TPU Pods "
            f"({res.accelerator_type}); set {key}.strategy=STANDARD."
        )


def custom_job_problems(
    key: str, res: ResourcesConf, conf: VertexPipelineLauncherConf
) -> Iterator[str]:
    """What is wrong with a component's custom-job settings (`key` is its resources' key)."""
    machine = res.machine_type
    accelerator = res.accelerator_type
    example = suggested_machine(accelerator) if accelerator in GPU_MACHINE_PREFIXES else None
    example = example or "n1-standard-4"
    if machine is None:
        for name in CUSTOM_JOB_KEYS:
            if getattr(res, name) is not None:
                yield (
                    f"{key}.{name} applies to custom jobs only: set a machine type, e.g. "
                    f"{key}.machine_type={example} (without cpu and memory limits), or drop it, "
                    f"{key}.{name}=null."
                )
        return
    if not MACHINE_TYPE.match(machine):
        yield (
            f"{key}.machine_type={machine!r} is not a machine type: write e.g. "
            f"{key}.machine_type={example}."
        )
        return
    if not _gcpc_installed():
        yield (
            f"{key}.machine_type={machine} runs the component as a custom job, compiled by "
            f"google-cloud-pipeline-components, which is not installed: {GCPC_EXTRA}."
        )
    for limit in ("cpu", "memory"):
        if getattr(res, limit) is not None:
            yield (
                f"{key}.{limit} and {key}.machine_type are alternatives (limits that Vertex "
                f"fits a machine to, or an exact machine as a custom job): drop one, "
                f"{key}.{limit}=null or {key}.machine_type=null."
            )
    yield from _gpus(key, res, machine)
    if res.boot_disk_type is not None and res.boot_disk_type not in BOOT_DISK_TYPES:
        yield (
            f"{key}.boot_disk_type={res.boot_disk_type!r}: set one of "
            f"{', '.join(BOOT_DISK_TYPES)}, e.g. {key}.boot_disk_type={BOOT_DISK_TYPES[0]}."
        )
    size = res.boot_disk_size_gb
    if size is not None and not MIN_BOOT_DISK_GB <= size <= MAX_BOOT_DISK_GB:
        yield (
            f"{key}.boot_disk_size_gb={size}: set {MIN_BOOT_DISK_GB} to {MAX_BOOT_DISK_GB} (GB), "
            f"e.g. {key}.boot_disk_size_gb={MIN_BOOT_DISK_GB}."
        )
    yield from _scheduling(key, res)
    if res.reserved_ip_ranges and not (res.network or conf.network):
        yield (
            f"{key}.reserved_ip_ranges are ranges of a VPC network: set it, e.g. "
            f"{key}.network=projects/NUMBER/global/networks/NAME (or hydra.launcher.network)."
        )
