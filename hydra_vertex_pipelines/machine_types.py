"""What Vertex AI fixes about the machines of a custom job: which machine family each GPU needs,
how many GPUs a machine takes, disks, scheduling strategies and their limits.

Sources:
- GPUs per machine type for custom training:
  https://cloud.google.com/vertex-ai/docs/training/configure-compute#gpu-compatibility-table
  and Compute Engine's GPU machine types (https://cloud.google.com/compute/docs/gpus): T4, V100,
  P100 and P4 attach to N1 machines (1, 2 or 4; V100 also 8); L4 needs G2, A100 40GB A2
  (a2-highgpu, a2-megagpu), A100 80GB A2 Ultra (a2-ultragpu), H100 A3 (a3-highgpu, a3-megagpu
  for H100 Mega), H200 a3-ultragpu and B200 A4; those accelerator-optimized machine types
  come with a fixed number of GPUs, named in the type (a2-highgpu-2g: 2) or, for G2, by its size.
- AcceleratorType names: https://cloud.google.com/vertex-ai/docs/reference/rest/v1/MachineSpec
- DiskSpec (pd-ssd default, pd-standard, hyperdisk-balanced; 100 GB default):
  https://cloud.google.com/vertex-ai/docs/reference/rest/v1/CustomJobSpec#DiskSpec and the
  boot disk sizes of custom training (100 to 64000 GB):
  https://cloud.google.com/vertex-ai/docs/training/configure-compute#boot_disk_options
- Scheduling (strategy; maxWaitDuration applies to FLEX_START only; timeout default 7 days):
  https://cloud.google.com/vertex-ai/docs/reference/rest/v1/CustomJobSpec#Scheduling
- FLEX_START (Dynamic Workload Scheduler) needs L4, A100, H100, H200 or B200 GPUs and a timeout
  of 7 days or less: https://cloud.google.com/vertex-ai/docs/training/schedule-jobs-dws
- Spot VMs are not supported with TPU Pods:
  https://cloud.google.com/vertex-ai/docs/training/use-spot-vms
"""

import re

# Compute Engine machine type names: <family>-<kind>[-<size>], lowercase
MACHINE_TYPE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")
GPU_MACHINE_PREFIXES = {
    "NVIDIA_TESLA_T4": ("n1-",),
    "NVIDIA_TESLA_V100": ("n1-",),
    "NVIDIA_TESLA_P100": ("n1-",),
    "NVIDIA_TESLA_P4": ("n1-",),
    "NVIDIA_L4": ("g2-",),
    "NVIDIA_TESLA_A100": ("a2-highgpu-", "a2-megagpu-"),
    "NVIDIA_A100_80GB": ("a2-ultragpu-",),
    "NVIDIA_H100_80GB": ("a3-highgpu-",),
    "NVIDIA_H100_MEGA_80GB": ("a3-megagpu-",),
    "NVIDIA_H200_141GB": ("a3-ultragpu-",),
    "NVIDIA_B200": ("a4-highgpu-",),
}
# GPUs that attach to N1 machines in these counts; the other GPUs come with their machine type
N1_GPU_COUNTS = {
    "NVIDIA_TESLA_T4": (1, 2, 4),
    "NVIDIA_TESLA_V100": (1, 2, 4, 8),
    "NVIDIA_TESLA_P100": (1, 2, 4),
    "NVIDIA_TESLA_P4": (1, 2, 4),
}
# G2 machines: GPUs per size (g2-standard-<vCPUs>)
G2_GPUS = {"4": 1, "8": 1, "12": 1, "16": 1, "32": 1, "24": 2, "48": 4, "96": 8}
TPU_ACCELERATORS = ("TPU_V2", "TPU_V3", "TPU_V4_POD", "TPU_V5_LITEPOD")
TPU_PODS = ("TPU_V4_POD",)
ACCELERATORS = (*GPU_MACHINE_PREFIXES, *TPU_ACCELERATORS)
# the machine families whose machine types include GPUs
GPU_FAMILIES = ("g2-", "a2-", "a3-", "a4-")
BOOT_DISK_TYPES = ("pd-ssd", "pd-standard", "hyperdisk-balanced")
MIN_BOOT_DISK_GB, MAX_BOOT_DISK_GB = 100, 64000
FLEX_START_GPUS = (
    "NVIDIA_L4",
    "NVIDIA_TESLA_A100",
    "NVIDIA_A100_80GB",
    "NVIDIA_H100_80GB",
    "NVIDIA_H100_MEGA_80GB",
    "NVIDIA_H200_141GB",
    "NVIDIA_B200",
)
MAX_FLEX_START_TIMEOUT_S = 7 * 24 * 3600
# Vertex's defaults, which the custom job is compiled with when the config leaves them unset
DEFAULT_BOOT_DISK_TYPE = "pd-ssd"
DEFAULT_BOOT_DISK_GB = 100
DEFAULT_TIMEOUT_S = 7 * 24 * 3600
DEFAULT_MAX_WAIT_S = 24 * 3600


def fixed_gpu_count(machine_type: str) -> int | None:
    """GPUs an accelerator-optimized machine type comes with: a2-highgpu-2g -> 2,
    g2-standard-24 -> 2; None for other machine types (N1 takes 1, 2, 4 or 8)."""
    if machine_type.startswith("g2-"):
        return G2_GPUS.get(machine_type.rsplit("-", 1)[-1])
    match = re.match(r"^a[2-4]-[a-z]+-(\d+)g$", machine_type)
    return int(match.group(1)) if match else None


def gpu_count(machine_type: str, accelerator_count: int | None) -> int:
    """The count a custom job asks for: the given one, else what the machine type fixes, else 1."""
    if accelerator_count is not None:
        return accelerator_count
    return fixed_gpu_count(machine_type) or 1


def suggested_machine(accelerator: str) -> str:
    """A machine type that takes one of these GPUs, for error messages."""
    prefix = GPU_MACHINE_PREFIXES[accelerator][0]
    return {"n1-": "n1-standard-4", "g2-": "g2-standard-8", "a2-highgpu-": "a2-highgpu-1g"}.get(
        prefix, f"{prefix}8g"
    )
