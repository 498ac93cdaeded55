"""The closed choices of the launcher config, as Enums (OmegaConf refuses other values at compose
time, naming the key).

They live here, not in the plugin's config.py: Hydra's plugin scan executes config.py again when
it was imported before the scan, which would make new Enum classes that the values already made
are not instances of. This module is imported once. It is light: the plugin imports it when every
Hydra app starts."""

from enum import Enum


class Mode(Enum):
    # submit every job to Vertex AI Pipelines (or to the emulator at api_endpoint)
    vertex = "vertex"
    # run every job's compiled pipeline on this machine
    local = "local"
    # write the pipeline spec and the job files, run nothing
    compile = "compile"


class FailurePolicy(Enum):
    # stop scheduling tasks once one fails
    fast = "fast"
    # run every task that can run
    slow = "slow"


class LocalMain(Enum):
    # run the main component's command as a subprocess, like every other component
    subprocess = "subprocess"
    # call the task function in the launcher's process (breakpoints work)
    inline = "inline"


class SchedulingStrategy(Enum):
    """How a custom-job component's VM is provisioned (Vertex's CustomJobSpec
    scheduling.strategy: https://cloud.google.com/vertex-ai/docs/reference/rest/v1/CustomJobSpec#Strategy)."""

    # on-demand VMs
    STANDARD = "STANDARD"
    # Spot VMs: 60-91% cheaper, preemptible at any time
    SPOT = "SPOT"
    # Dynamic Workload Scheduler: the job queues until its GPUs are available
    FLEX_START = "FLEX_START"
