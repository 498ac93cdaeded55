"""Bad launcher config fails the sweep before anything is compiled or written, naming key and fix,
and the fix the message suggests is a command that works.

Every case runs a real Hydra multirun of the two-step app (tests/apps/sweep_app, compile mode) with
the bad setting on the command line; a few also run end to end as `python main.py -m ...`. Then
the fixed commands are taken through every check of a launch (compose, launcher config, plan,
compile) up to what the mode's executor would do: the fixes of cases that set different keys in
the same launcher and mode together, one command (each case's problem, were its fix not to
mend it, would still be found there).
"""

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from app_runner import APPS_DIR, app_env
from google.cloud.aiplatform_v1.types.accelerator_type import AcceleratorType
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import ConfigCompositionException
from kfp import compiler
from local_launch import compose

from hydra_vertex_pipelines.errors import LauncherConfigError
from hydra_vertex_pipelines.executors import PlanningFailed
from hydra_vertex_pipelines.executors.compile import CompileExecutor
from hydra_vertex_pipelines.launch import compiled_jobs, pipeline_conf
from hydra_vertex_pipelines.vertex_facts import ACCELERATOR_TYPES

APP = APPS_DIR / "sweep_app" / "main.py"
L = "hydra.launcher"
C = f"{L}.components"
VERTEX = [f"{L}.mode=vertex", f"{L}.project=my-project", f"{L}.pipeline_root=gs://bucket/runs"]
LOCAL = [f"{L}.mode=local"]
R = f"{C}.train.resources"
# train as a custom job: a machine type instead of two_step's cpu/memory limits (NVIDIA_L4 stays)
MACHINE = [f"{R}.cpu=null", f"{R}.memory=null"]


@dataclass(frozen=True)
class Case:
    id: str
    # command-line overrides after hydra/launcher=<launcher> and the sweep
    overrides: Sequence[str]
    # what the message must contain: the key, then the fix
    key: str
    fix: str
    # the overrides once the message's fix is followed (an override it quotes replaces the bad
    # one it corrects, or is added)
    fixed: Sequence[str]
    launcher: str = "two_step"
    # a closed choice (an Enum) is refused by Hydra while it composes, naming the key
    raises: type[Exception] = LauncherConfigError
    # whether each override that `fixed` adds is quoted from the message; not where the fix is a
    # rename of the user's own key, or one of the choices Hydra lists
    quoted: bool = True
    # what the message must not show (a secret's value)
    hidden: str = "\0"


IMAGE = "us-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE:TAG"
LABELS_60 = ",".join(f"l{i}:x" for i in range(60))

CASES = [
    Case(
        "unknown-mode",
        [f"{L}.mode=cloud"],
        f"full_key: {L}.mode",
        "expected one of [vertex, local, compile]",
        fixed=[f"{L}.mode=compile"],
        raises=ConfigCompositionException,
        quoted=False,
    ),
    Case(
        "default-pipeline-without-image-in-vertex-mode",
        VERTEX,
        f"{L}.image is required in vertex mode",
        f"{L}.image={IMAGE}, or set the environment variable VERTEX_PIPELINE_IMAGE",
        fixed=[*VERTEX, f"{L}.image={IMAGE}"],
        launcher="vertex_pipeline",
    ),
    Case(
        "default-pipeline-app-memory-with-GB",
        [f"{L}.mode=compile", f"{L}.app.resources.memory=32GB"],
        f"{L}.app.resources.memory='32GB' is not a memory quantity",
        f"{L}.app.resources.memory=32G",
        fixed=[f"{L}.mode=compile", f"{L}.app.resources.memory=32G"],
        launcher="vertex_pipeline",
    ),
    Case(
        "app-setting-unused-with-components",
        [f"{L}.app.retries=3"],
        f"{L}.app.retries=3 is not used",
        f"Set it on the main component instead: {C}.train.retries=3",
        fixed=[f"{C}.train.retries=3"],
    ),
    Case(
        "component-that-is-not-a-mapping",
        [f"+{C}.extra=5"],
        f"{C}.extra=5 is not a component",
        f"remove it (~{C}.extra) or write its settings, e.g. {C}.extra={{main:true,",
        fixed=[f"+{C}.extra=5", f"~{C}.extra"],
    ),
    Case(
        "component-setting-misspelt",
        [f"+{C}.train.resource.cpu=8"],
        f"{C}.train.resource is not a launcher setting (did you mean {C}.train.resources?)",
        f"remove it (~{C}.train.resource) or correct its name",
        fixed=[f"+{C}.train.resource.cpu=8", f"~{C}.train.resource"],
    ),
    Case(
        "component-setting-of-the-wrong-type",
        [f"{C}.train.retries=twice"],
        f"{C}.train.retries=twice is not a whole number",
        f"set e.g. {C}.train.retries=0",
        fixed=[f"{C}.train.retries=0"],
    ),
    Case(
        "component-name-misspelt-in-an-override",
        [f"{C}.trian.retries=3"],
        f"{C}.trian sets neither command nor image",
        f"remove it, ~{C}.trian, or set its command",
        fixed=[f"{C}.trian.retries=3", f"~{C}.trian"],
    ),
    Case(
        "component-made-on-the-command-line-with-a-bad-setting",
        [f"+{C}.eval={{command:[python,eval.py],resources:{{memory:1TB}}}}"],
        f"{C}.eval.resources.memory='1TB' is not a memory quantity",
        f"{C}.eval.resources.memory=32G",
        fixed=[
            f"+{C}.eval={{command:[python,eval.py],resources:{{memory:1TB}}}}",
            f"{C}.eval.resources.memory=32G",
        ],
    ),
    Case(
        "zero-main",
        [f"{C}.train.main=false"],
        f"{C}: exactly one component must have main=true (found: none)",
        f"it is the launched app, e.g. {C}.train.main=true",
        fixed=[f"{C}.train.main=true"],
    ),
    Case(
        "two-mains",
        [f"{C}.data.main=true"],
        f"{C}: exactly one component must have main=true (found: data, train)",
        f"it is the launched app, e.g. {C}.data.main=false",
        fixed=[f"{C}.data.main=false"],
    ),
    Case(
        "input-from-unknown-component",
        [f"+{C}.train.inputs.model=nope.weights"],
        f"{C}.train.inputs.model='nope.weights' names no other component",
        f"read one of data.dataset, e.g. {C}.train.inputs.model=data.dataset",
        fixed=[f"{C}.train.inputs.model=data.dataset"],
    ),
    Case(
        "input-from-unknown-output",
        [f"+{C}.train.inputs.model=data.weights"],
        f"{C}.train.inputs.model='data.weights': component data has no output 'weights'",
        f"read one of data.dataset, e.g. {C}.train.inputs.model=data.dataset",
        fixed=[f"{C}.train.inputs.model=data.dataset"],
    ),
    Case(
        "after-unknown-component",
        [f"{C}.train.after=[data,nope]"],
        f"{C}.train.after names 'nope'",
        f"remove it, {C}.train.after=[data]",
        fixed=[f"{C}.train.after=[data]"],
    ),
    Case(
        "dependency-cycle",
        [f"{C}.data.after=[train]"],
        f"{C} has a dependency cycle: data -> train -> data",
        f"Remove one of these edges (inputs or after): {C}.data.after=[]",
        fixed=[f"{C}.data.after=[]"],
    ),
    Case(
        "key-bound-by-two-outputs",
        [f"+{C}.data.outputs.copy=data.out_dir"],
        f"{C}.data.outputs.copy binds 'data.out_dir', already bound by outputs.dataset",
        f"bind each key once (remove it, ~{C}.data.outputs.copy, or bind another key)",
        fixed=[f"+{C}.data.outputs.copy=data.out_dir", f"~{C}.data.outputs.copy"],
    ),
    Case(
        "key-bound-by-output-and-input",
        [f"+{C}.train.outputs.model=data.dir"],
        f"{C}.train.outputs.model binds 'data.dir', already bound by inputs.data.dir",
        f"remove it, ~{C}.train.outputs.model, or bind another key",
        fixed=[f"+{C}.train.outputs.model=data.dir", f"~{C}.train.outputs.model"],
    ),
    Case(
        "reserved-output-return-value",
        [f"+{C}.train.outputs.return_value=model.out"],
        f"{C}.train.outputs.return_value: 'return_value' is reserved",
        f"rename it, ~{C}.train.outputs.return_value {C}.train.outputs.return_value_out=model.out",
        fixed=[
            f"+{C}.train.outputs.return_value=model.out",
            f"~{C}.train.outputs.return_value",
            f"{C}.train.outputs.return_value_out=model.out",
        ],
    ),
    Case(
        "reserved-output-hydra-output",
        [f"+{C}.data.outputs.hydra_output=data.logs"],
        f"{C}.data.outputs.hydra_output: 'hydra_output' is reserved",
        f"rename it, ~{C}.data.outputs.hydra_output {C}.data.outputs.hydra_output_out=data.logs",
        fixed=[
            f"+{C}.data.outputs.hydra_output=data.logs",
            f"~{C}.data.outputs.hydra_output",
            f"{C}.data.outputs.hydra_output_out=data.logs",
        ],
    ),
    Case(
        "cpu-with-unit-words",
        [f"{C}.train.resources.cpu='8 cores'"],
        f"{C}.train.resources.cpu='8 cores' is not a CPU quantity",
        f"write a number of CPUs, e.g. {C}.train.resources.cpu=8 (or 0.5, 500m)",
        fixed=[f"{C}.train.resources.cpu=8"],
    ),
    Case(
        "memory-with-GB",
        [f"{C}.train.resources.memory=32GB"],
        f"{C}.train.resources.memory='32GB' is not a memory quantity",
        f"e.g. {C}.train.resources.memory=32G",
        fixed=[f"{C}.train.resources.memory=32G"],
    ),
    Case(
        "accelerator-count-without-type",
        [f"{C}.data.resources.accelerator_count=1"],
        f"{C}.data.resources.accelerator_count=1 has no accelerator_type",
        f"set one, e.g. {C}.data.resources.accelerator_type=NVIDIA_TESLA_T4, or drop the count",
        fixed=[
            f"{C}.data.resources.accelerator_count=1",
            f"{C}.data.resources.accelerator_type=NVIDIA_TESLA_T4",
        ],
    ),
    Case(
        "accelerator-count-0",
        [f"{C}.train.resources.accelerator_count=0"],
        f"{C}.train.resources.accelerator_count=0 with accelerator_type=NVIDIA_L4",
        f"set a count of 1 or more, e.g. {C}.train.resources.accelerator_count=1",
        fixed=[f"{C}.train.resources.accelerator_count=1"],
    ),
    Case(
        "machine-type-with-limits",
        [f"{R}.machine_type=g2-standard-8"],
        f"{R}.cpu and {R}.machine_type are alternatives",
        f"drop one, {R}.cpu=null or {R}.machine_type=null",
        fixed=[f"{R}.machine_type=g2-standard-8", f"{R}.cpu=null", f"{R}.memory=null"],
    ),
    Case(
        "machine-type-not-a-name",
        [*MACHINE, f"{R}.machine_type='N1 standard'"],
        f"{R}.machine_type='N1 standard' is not a machine type",
        f"write e.g. {R}.machine_type=g2-standard-8",
        fixed=[*MACHINE, f"{R}.machine_type=g2-standard-8"],
    ),
    Case(
        "t4-on-a-g2-machine",
        [*MACHINE, f"{R}.machine_type=g2-standard-8", f"{R}.accelerator_type=NVIDIA_TESLA_T4"],
        f"{R}.machine_type=g2-standard-8 cannot take accelerator_type=NVIDIA_TESLA_T4, which "
        "runs on N1 machine types only",
        f"set {R}.machine_type=n1-standard-4",
        fixed=[
            *MACHINE,
            f"{R}.machine_type=n1-standard-4",
            f"{R}.accelerator_type=NVIDIA_TESLA_T4",
        ],
    ),
    Case(
        "l4-on-an-n1-machine",
        [*MACHINE, f"{R}.machine_type=n1-standard-8"],
        "cannot take accelerator_type=NVIDIA_L4, which runs on G2 machine types only",
        f"set {R}.machine_type=g2-standard-8",
        fixed=[*MACHINE, f"{R}.machine_type=g2-standard-8"],
    ),
    Case(
        "a100-on-an-n1-machine",
        [*MACHINE, f"{R}.machine_type=n1-standard-8", f"{R}.accelerator_type=NVIDIA_TESLA_A100"],
        "runs on A2 (a2-highgpu-*) or A2 (a2-megagpu-*) machine types only",
        f"set {R}.machine_type=a2-highgpu-1g",
        fixed=[
            *MACHINE,
            f"{R}.machine_type=a2-highgpu-1g",
            f"{R}.accelerator_type=NVIDIA_TESLA_A100",
        ],
    ),
    Case(
        "h100-on-an-a2-machine",
        [*MACHINE, f"{R}.machine_type=a2-highgpu-1g", f"{R}.accelerator_type=NVIDIA_H100_80GB"],
        "runs on A3 (a3-highgpu-*) machine types only",
        f"set {R}.machine_type=a3-highgpu-8g {R}.accelerator_count=8",
        fixed=[
            *MACHINE,
            f"{R}.machine_type=a3-highgpu-8g",
            f"{R}.accelerator_type=NVIDIA_H100_80GB",
            f"{R}.accelerator_count=8",
        ],
    ),
    Case(
        "three-t4s",
        [
            *MACHINE,
            f"{R}.machine_type=n1-standard-8",
            f"{R}.accelerator_type=NVIDIA_TESLA_T4",
            f"{R}.accelerator_count=3",
        ],
        f"{R}.accelerator_count=3: NVIDIA_TESLA_T4 attaches to N1 machines in counts of 1, 2, 4",
        f"set one of them, e.g. {R}.accelerator_count=2",
        fixed=[
            *MACHINE,
            f"{R}.machine_type=n1-standard-8",
            f"{R}.accelerator_type=NVIDIA_TESLA_T4",
            f"{R}.accelerator_count=2",
        ],
    ),
    Case(
        "count-other-than-the-machine-types",
        [
            *MACHINE,
            f"{R}.machine_type=a2-highgpu-2g",
            f"{R}.accelerator_type=NVIDIA_TESLA_A100",
        ],
        f"{R}.accelerator_count=1: a2-highgpu-2g comes with 2 GPUs",
        f"set {R}.accelerator_count=2 (or drop it, {R}.accelerator_count=null)",
        fixed=[
            *MACHINE,
            f"{R}.machine_type=a2-highgpu-2g",
            f"{R}.accelerator_type=NVIDIA_TESLA_A100",
            f"{R}.accelerator_count=2",
        ],
    ),
    Case(
        "gpu-machine-without-accelerator",
        [
            *MACHINE,
            f"{R}.machine_type=g2-standard-8",
            f"{R}.accelerator_type=null",
            f"{R}.accelerator_count=null",
        ],
        f"{R}.machine_type=g2-standard-8 comes with GPUs",
        f"set one, e.g. {R}.accelerator_type=NVIDIA_L4",
        fixed=[
            *MACHINE,
            f"{R}.machine_type=g2-standard-8",
            f"{R}.accelerator_type=NVIDIA_L4",
            f"{R}.accelerator_count=null",
        ],
    ),
    Case(
        "unknown-accelerator-on-a-machine-type",
        [*MACHINE, f"{R}.machine_type=n1-standard-4", f"{R}.accelerator_type=NVIDIA_T4"],
        f"{R}.accelerator_type=NVIDIA_T4 is not a Vertex accelerator type",
        f"e.g. {R}.accelerator_type=NVIDIA_TESLA_T4",
        fixed=[
            *MACHINE,
            f"{R}.machine_type=n1-standard-4",
            f"{R}.accelerator_type=NVIDIA_TESLA_T4",
        ],
    ),
    Case(
        "unknown-strategy",
        [*MACHINE, f"{R}.machine_type=g2-standard-8", f"{R}.strategy=CHEAP"],
        f"{R}.strategy=CHEAP is not one of STANDARD, SPOT, FLEX_START or null",
        f"set e.g. {R}.strategy=STANDARD",
        fixed=[*MACHINE, f"{R}.machine_type=g2-standard-8", f"{R}.strategy=STANDARD"],
    ),
    Case(
        "spot-with-max-wait",
        [*MACHINE, f"{R}.machine_type=g2-standard-8", f"{R}.strategy=SPOT", f"{R}.max_wait_s=600"],
        f"{R}.max_wait_s=600 applies to strategy FLEX_START only (Vertex's maxWaitDuration), not "
        "SPOT",
        f"drop it, {R}.max_wait_s=null, or set {R}.strategy=FLEX_START",
        fixed=[
            *MACHINE,
            f"{R}.machine_type=g2-standard-8",
            f"{R}.strategy=SPOT",
            f"{R}.max_wait_s=null",
        ],
    ),
    Case(
        "flex-start-with-a-t4",
        [
            *MACHINE,
            f"{R}.machine_type=n1-standard-4",
            f"{R}.accelerator_type=NVIDIA_TESLA_T4",
            f"{R}.strategy=FLEX_START",
        ],
        f"{R}.strategy=FLEX_START (Dynamic Workload Scheduler) needs one of NVIDIA_L4, ",
        f"or another strategy, {R}.strategy=SPOT or {R}.strategy=STANDARD",
        fixed=[
            *MACHINE,
            f"{R}.machine_type=n1-standard-4",
            f"{R}.accelerator_type=NVIDIA_TESLA_T4",
            f"{R}.strategy=SPOT",
        ],
    ),
    Case(
        "flex-start-longer-than-7-days",
        [
            *MACHINE,
            f"{R}.machine_type=g2-standard-8",
            f"{R}.strategy=FLEX_START",
            f"{R}.timeout_s=700000",
        ],
        f"{R}.timeout_s=700000: FLEX_START jobs run at most 7 days",
        f"set 604800 or less, e.g. {R}.timeout_s=604800",
        fixed=[
            *MACHINE,
            f"{R}.machine_type=g2-standard-8",
            f"{R}.strategy=FLEX_START",
            f"{R}.timeout_s=604800",
        ],
    ),
    Case(
        "spot-on-a-tpu-pod",
        [
            *MACHINE,
            f"{R}.machine_type=cloud-tpu",
            f"{R}.accelerator_type=TPU_V4_POD",
            f"{R}.accelerator_count=32",
            f"{R}.strategy=SPOT",
        ],
        f"{R}.strategy=SPOT: Spot VMs are not supported with TPU Pods (TPU_V4_POD)",
        f"set {R}.strategy=STANDARD",
        fixed=[
            *MACHINE,
            f"{R}.machine_type=cloud-tpu",
            f"{R}.accelerator_type=TPU_V4_POD",
            f"{R}.accelerator_count=32",
            f"{R}.strategy=STANDARD",
        ],
    ),
    Case(
        "spot-without-a-machine-type",
        [f"{R}.strategy=SPOT"],
        f"{R}.strategy applies to custom jobs only",
        f"set a machine type, e.g. {R}.machine_type=g2-standard-8 (without cpu and memory "
        f"limits), or drop it, {R}.strategy=null",
        fixed=[f"{R}.strategy=null"],
    ),
    Case(
        "boot-disk-too-small",
        [*MACHINE, f"{R}.machine_type=g2-standard-8", f"{R}.boot_disk_size_gb=50"],
        f"{R}.boot_disk_size_gb=50",
        f"set 100 to 64000 (GB), e.g. {R}.boot_disk_size_gb=100",
        fixed=[*MACHINE, f"{R}.machine_type=g2-standard-8", f"{R}.boot_disk_size_gb=100"],
    ),
    Case(
        "unknown-boot-disk-type",
        [*MACHINE, f"{R}.machine_type=g2-standard-8", f"{R}.boot_disk_type=ssd"],
        f"{R}.boot_disk_type='ssd'",
        f"set one of pd-ssd, pd-standard, hyperdisk-balanced, e.g. {R}.boot_disk_type=pd-ssd",
        fixed=[*MACHINE, f"{R}.machine_type=g2-standard-8", f"{R}.boot_disk_type=pd-ssd"],
    ),
    Case(
        "reserved-ip-ranges-without-a-network",
        [f"{L}.reserved_ip_ranges=[vertex-range]"],
        f"{L}.reserved_ip_ranges are ranges of a VPC network",
        f"set it, e.g. {L}.network=projects/NUMBER/global/networks/NAME",
        fixed=[
            f"{L}.reserved_ip_ranges=[vertex-range]",
            f"{L}.network=projects/NUMBER/global/networks/NAME",
        ],
    ),
    Case(
        "negative-retries",
        [f"{C}.train.retries=-1"],
        f"{C}.train.retries=-1",
        f"set 0 or more, at most 100, e.g. {C}.train.retries=0",
        fixed=[f"{C}.train.retries=0"],
    ),
    Case(
        "secret-looking-env",
        [f"+{C}.train.env.API_TOKEN=abc"],
        f"{C}.train.env.API_TOKEN looks like a secret",
        f"read it at run time from Secret Manager instead (~{C}.train.env.API_TOKEN)",
        fixed=[f"+{C}.train.env.API_TOKEN=abc", f"~{C}.train.env.API_TOKEN"],
    ),
    Case(
        "pipeline-root-not-gcs",
        [*VERTEX, f"{L}.pipeline_root=/tmp/pipelines"],
        f"{L}.pipeline_root='/tmp/pipelines'",
        f"needs a Cloud Storage URI, e.g. {L}.pipeline_root=gs://my-bucket/pipelines",
        fixed=[*VERTEX, f"{L}.pipeline_root=gs://my-bucket/pipelines"],
    ),
    Case(
        "pipeline-root-missing",
        [*VERTEX, f"{L}.pipeline_root=null"],
        f"{L}.pipeline_root=None",
        f"e.g. {L}.pipeline_root=gs://my-bucket/pipelines",
        fixed=[*VERTEX, f"{L}.pipeline_root=gs://my-bucket/pipelines"],
    ),
    Case(
        "image-missing-in-vertex-mode",
        [*VERTEX, f"{C}.data.image=null"],
        f"{C}.data.image is required in vertex mode",
        f"e.g. {C}.data.image={IMAGE} (or {L}.image for every component without one)",
        fixed=[*VERTEX, f"{C}.data.image={IMAGE}"],
    ),
    Case(
        "project-missing-in-vertex-mode",
        [f"{L}.mode=vertex", f"{L}.pipeline_root=gs://bucket/runs"],
        f"{L}.project is not set",
        f"set {L}.project=my-project or the environment variable GOOGLE_CLOUD_PROJECT",
        fixed=[
            f"{L}.mode=vertex",
            f"{L}.pipeline_root=gs://bucket/runs",
            f"{L}.project=my-project",
        ],
    ),
    Case(
        "label-key-not-starting-with-a-letter",
        [f"+{L}.labels._team=ml"],
        f"{L}.labels._team: label key '_team' must start with a letter",
        f"rename it. (~{L}.labels._team)",
        fixed=[f"+{L}.labels._team=ml", f"~{L}.labels._team"],
    ),
    Case(
        "label-key-starting-with-a-digit",
        [f"++{L}.labels={{1team:ml}}"],
        f"{L}.labels.1team: label key '1team' must start with a letter",
        f"rename it. (remove it from {L}.labels where it is written)",
        fixed=[f"++{L}.labels={{team1:ml}}"],
        quoted=False,
    ),
    Case(
        "too-many-labels",
        [f"++{L}.labels={{{LABELS_60}}}"],
        f"{L}.labels has 60 labels; with the launcher's own a job may carry 58 more",
        f"remove 2, e.g. ~{L}.labels.l58 ~{L}.labels.l59",
        fixed=[f"++{L}.labels={{{LABELS_60}}}", f"~{L}.labels.l58", f"~{L}.labels.l59"],
    ),
    Case(
        "label-key-too-long",
        [f"+{L}.labels.{'k' * 64}=ml"],
        f"{L}.labels.{'k' * 64}: the label key has 64 characters",
        f"shorten it. (~{L}.labels.{'k' * 64})",
        fixed=[f"+{L}.labels.{'k' * 64}=ml", f"~{L}.labels.{'k' * 64}"],
    ),
    Case(
        "label-value-too-long",
        [f"+{L}.labels.team={'v' * 70}"],
        f"{L}.labels.team: the label value has 70 characters",
        f"shorten it. (++{L}.labels.team={'v' * 63})",
        fixed=[f"++{L}.labels.team={'v' * 63}"],
    ),
    Case(
        "unknown-failure-policy",
        [f"{L}.failure_policy=eventually"],
        f"full_key: {L}.failure_policy",
        "expected one of [fast, slow]",
        fixed=[f"{L}.failure_policy=slow"],
        raises=ConfigCompositionException,
        quoted=False,
    ),
    Case(
        "unknown-local-main",
        [*LOCAL, f"{L}.local.main=thread"],
        f"full_key: {L}.local.main",
        "expected one of [subprocess, inline]",
        fixed=[*LOCAL, f"{L}.local.main=subprocess"],
        raises=ConfigCompositionException,
        quoted=False,
    ),
    Case(
        "inline-with-parallel-jobs",
        [*LOCAL, f"{L}.local.main=inline", f"{L}.local.max_parallel_jobs=2"],
        f"{L}.local.main=inline runs the task function in this process",
        f"set {L}.local.max_parallel_jobs=1 or {L}.local.main=subprocess",
        fixed=[*LOCAL, f"{L}.local.main=inline", f"{L}.local.max_parallel_jobs=1"],
    ),
    Case(
        "local-component-without-command",
        [*LOCAL, f"{C}.data.command=[]"],
        f"{C}.data.command is required in local mode",
        f"set it, e.g. {C}.data.command=[python,-m,my_app]",
        fixed=[*LOCAL, f"{C}.data.command=[python,-m,my_app]"],
    ),
    Case(
        "outage-deadline-negative",
        [f"{L}.outage_deadline_s=-1"],
        f"{L}.outage_deadline_s=-1.0",
        f"set a number of seconds, 0 or more, e.g. {L}.outage_deadline_s=600",
        fixed=[f"{L}.outage_deadline_s=600"],
    ),
    Case(
        "resume-outside-vertex-mode",
        [*LOCAL, f"{L}.resume=true"],
        f"{L}.resume=true adopts jobs submitted to Vertex AI: it needs mode=vertex",
        f"drop it, {L}.resume=false",
        fixed=[*LOCAL, f"{L}.resume=false"],
    ),
    Case(
        "override-key-without-letter-or-digit",
        ["+_=1"],
        "Override key '+_' cannot be mapped to a pipeline parameter name",
        "rename the config key so that it contains a letter or a digit",
        fixed=["+a_=1"],
        quoted=False,
    ),
    # secrets: nothing resolved from this machine's environment, no credential compiled
    Case(
        "api-endpoint-with-a-password",
        [f"{L}.api_endpoint='http://bob:s3cret@127.0.0.1:8080'"],
        f"{L}.api_endpoint: the URL holds a user name or password",
        f"leave them out, {L}.api_endpoint='http://127.0.0.1:8080'",
        fixed=[f"{L}.api_endpoint='http://127.0.0.1:8080'"],
        hidden="s3cret",
    ),
    Case(
        "env-interpolation",
        [f"+{C}.train.env.RUN_NOTE='${{oc.env:HOME}}'"],
        f"{C}.train.env.RUN_NOTE='${{oc.env:HOME}}' is an interpolation",
        "pass it in args (Hydra resolves an interpolation there in the container)",
        fixed=[f"+{C}.train.env.RUN_NOTE='${{oc.env:HOME}}'", f"~{C}.train.env.RUN_NOTE"],
    ),
    Case(
        "env-aws-access-key-id",
        [f"+{C}.train.env.AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP"],
        f"{C}.train.env.AWS_ACCESS_KEY_ID looks like a secret",
        f"Secret Manager instead (~{C}.train.env.AWS_ACCESS_KEY_ID)",
        fixed=[
            f"+{C}.train.env.AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP",
            f"~{C}.train.env.AWS_ACCESS_KEY_ID",
        ],
        hidden="AKIAABCDEFGHIJKLMNOP",
    ),
    Case(
        "env-github-pat",
        [f"+{C}.train.env.GITHUB_PAT=abc"],
        f"{C}.train.env.GITHUB_PAT looks like a secret",
        f"Secret Manager instead (~{C}.train.env.GITHUB_PAT)",
        fixed=[f"+{C}.train.env.GITHUB_PAT=abc", f"~{C}.train.env.GITHUB_PAT"],
    ),
    Case(
        "env-key-suffix",
        [f"+{C}.train.env.STRIPE_KEY=abc"],
        f"{C}.train.env.STRIPE_KEY looks like a secret",
        f"Secret Manager instead (~{C}.train.env.STRIPE_KEY)",
        fixed=[f"+{C}.train.env.STRIPE_KEY=abc", f"~{C}.train.env.STRIPE_KEY"],
    ),
    Case(
        "env-url-with-password",
        [f"+{C}.train.env.DATABASE_URL='postgres://app:hunter2@db:5432/x'"],
        f"{C}.train.env.DATABASE_URL: the value looks like a URL with a password",
        f"Secret Manager instead (~{C}.train.env.DATABASE_URL)",
        fixed=[
            f"+{C}.train.env.DATABASE_URL='postgres://app:hunter2@db:5432/x'",
            f"~{C}.train.env.DATABASE_URL",
        ],
        hidden="hunter2",
    ),
    Case(
        "env-token-shaped-value",
        [f"+{C}.train.env.UPLOAD_TO=ghp_{'a' * 36}"],
        f"{C}.train.env.UPLOAD_TO: the value looks like a GitHub token",
        f"Secret Manager instead (~{C}.train.env.UPLOAD_TO)",
        fixed=[f"+{C}.train.env.UPLOAD_TO=ghp_{'a' * 36}", f"~{C}.train.env.UPLOAD_TO"],
        hidden="ghp_",
    ),
    Case(
        "arg-secret-name",
        [f"{C}.data.args=['+db.password=hunter2']"],
        f"{C}.data.args[0]: db.password looks like a secret",
        "pass an interpolation that the container resolves (db.password=${oc.env:NAME}, e.g. "
        f"{C}.data.args=['+db.password=${{oc.env:DB_PASSWORD}}'])",
        fixed=[f"{C}.data.args=['+db.password=${{oc.env:DB_PASSWORD}}']"],
        hidden="hunter2",
    ),
    Case(
        "arg-url-with-password",
        [f"{C}.data.args=['data.shuffle=false','+db.url=mysql://app:hunter2@db/x']"],
        f"{C}.data.args[1] (db.url): the value looks like a URL with a password",
        "Secret Manager instead, e.g. as an interpolation that the container resolves, "
        f"{C}.data.args=['data.shuffle=false','+db.url=${{oc.env:DB_URL}}']",
        fixed=[f"{C}.data.args=['data.shuffle=false','+db.url=${{oc.env:DB_URL}}']"],
        hidden="hunter2",
    ),
    Case(
        "default-pipeline-app-arg-secret-name",
        [f"{L}.mode=compile", f"{L}.app.args=['+db.password=hunter2']"],
        f"{L}.app.args[0]: db.password looks like a secret",
        f"e.g. {L}.app.args=['+db.password=${{oc.env:DB_PASSWORD}}']",
        fixed=[f"{L}.mode=compile", f"{L}.app.args=['+db.password=${{oc.env:DB_PASSWORD}}']"],
        launcher="vertex_pipeline",
        hidden="hunter2",
    ),
    Case(
        "default-pipeline-app-env-interpolation",
        [f"{L}.mode=compile", f"+{L}.app.env.RUN_NOTE='${{oc.env:HOME}}'"],
        f"{L}.app.env.RUN_NOTE='${{oc.env:HOME}}' is an interpolation",
        f"Secret Manager instead (~{L}.app.env.RUN_NOTE)",
        fixed=[
            f"{L}.mode=compile",
            f"+{L}.app.env.RUN_NOTE='${{oc.env:HOME}}'",
            f"~{L}.app.env.RUN_NOTE",
        ],
        launcher="vertex_pipeline",
    ),
    # numbers, the pipeline root, resources, labels
    Case(
        "poll-interval-nan",
        [f"{L}.poll_interval_s=nan"],
        f"{L}.poll_interval_s=nan",
        f"set a positive number, e.g. {L}.poll_interval_s=30",
        fixed=[f"{L}.poll_interval_s=30"],
    ),
    Case(
        "poll-interval-inf",
        [f"{L}.poll_interval_s=inf"],
        f"{L}.poll_interval_s=inf",
        f"set a positive number, e.g. {L}.poll_interval_s=30",
        fixed=[f"{L}.poll_interval_s=30"],
    ),
    Case(
        "local-timeout-nan",
        [*LOCAL, f"{L}.local.timeout_s=nan"],
        f"{L}.local.timeout_s=nan",
        f"set a positive number or null, e.g. {L}.local.timeout_s=null",
        fixed=[*LOCAL, f"{L}.local.timeout_s=null"],
    ),
    Case(
        "pipeline-root-without-bucket",
        [f"{L}.pipeline_root=gs://"],
        f"{L}.pipeline_root='gs://' names no bucket",
        f"e.g. {L}.pipeline_root=gs://my-bucket/pipelines",
        fixed=[f"{L}.pipeline_root=gs://my-bucket/pipelines"],
    ),
    Case(
        "pipeline-root-uppercase-bucket",
        [f"{L}.pipeline_root=gs://UPPER/x"],
        f"{L}.pipeline_root='gs://UPPER/x': a bucket name has lowercase letters",
        f"https://cloud.google.com/storage/docs/buckets#naming); e.g. {L}.pipeline_root=gs://upper/x",
        fixed=[f"{L}.pipeline_root=gs://upper/x"],
    ),
    Case(
        "pipeline-root-bucket-with-space",
        [f"{L}.pipeline_root='gs://bk t/x'"],
        f"{L}.pipeline_root='gs://bk t/x': a bucket name has lowercase letters",
        f"https://cloud.google.com/storage/docs/buckets#naming); e.g. {L}.pipeline_root=gs://bk-t/x",
        fixed=[f"{L}.pipeline_root=gs://bk-t/x"],
    ),
    Case(
        "pipeline-root-dot-dot",
        [f"{L}.pipeline_root=gs://bkt/../../../tmp/x"],
        f"{L}.pipeline_root='gs://bkt/../../../tmp/x': the path has an empty, '.' or '..' part",
        f"write a plain path such as {L}.pipeline_root=gs://bkt/tmp/x",
        fixed=[f"{L}.pipeline_root=gs://bkt/tmp/x"],
    ),
    Case(
        "pipeline-root-empty-segment",
        [f"{L}.pipeline_root=gs://bkt//x"],
        f"{L}.pipeline_root='gs://bkt//x': the path has an empty, '.' or '..' part",
        f"write a plain path such as {L}.pipeline_root=gs://bkt/x",
        fixed=[f"{L}.pipeline_root=gs://bkt/x"],
    ),
    Case(
        "cpu-zero",
        [f"{C}.train.resources.cpu='0'"],
        f"{C}.train.resources.cpu='0': a task needs more than 0 CPUs",
        f"write e.g. {C}.train.resources.cpu=1 (or 500m)",
        fixed=[f"{C}.train.resources.cpu=1"],
    ),
    Case(
        "memory-zero",
        [f"{C}.train.resources.memory='0'"],
        f"{C}.train.resources.memory='0': a task needs more than 0 memory",
        f"write e.g. {C}.train.resources.memory=4G",
        fixed=[f"{C}.train.resources.memory=4G"],
    ),
    Case(
        "unknown-accelerator-for-limits",
        [f"{C}.train.resources.accelerator_type=BOGUS_GPU"],
        f"{C}.train.resources.accelerator_type='BOGUS_GPU' is not a Vertex AI accelerator",
        "use one of NVIDIA_TESLA_K80, NVIDIA_TESLA_P100, ",
        fixed=[f"{C}.train.resources.accelerator_type=NVIDIA_TESLA_T4"],
    ),
    Case(
        "retries-too-many",
        [f"{C}.train.retries=100000"],
        f"{C}.train.retries=100000",
        f"set 0 or more, at most 100, e.g. {C}.train.retries=100",
        fixed=[f"{C}.train.retries=100"],
    ),
    Case(
        "labels-that-merge",
        [f"+{L}.labels.team=a", f"+{L}.labels.TEAM=b"],
        f"{L}.labels.team and {L}.labels.TEAM are the same label 'team'",
        f"keep one, ~{L}.labels.TEAM",
        fixed=[f"+{L}.labels.team=a", f"+{L}.labels.TEAM=b", f"~{L}.labels.TEAM"],
    ),
    # values kfp, Vertex or OmegaConf would refuse with a traceback
    Case(
        "output-named-a-keyword",
        [f"+{C}.data.outputs.class=data.cls"],
        f"{C}.data.outputs.class: 'class' is a Python keyword",
        f"rename it (e.g. class_out), ~{C}.data.outputs.class {C}.data.outputs.class_out=data.cls",
        fixed=[
            f"+{C}.data.outputs.class=data.cls",
            f"~{C}.data.outputs.class",
            f"{C}.data.outputs.class_out=data.cls",
        ],
    ),
    Case(
        "output-name-with-dash",
        [f"+{C}.data.outputs.my-out=data.x"],
        f"{C}.data.outputs.my-out: kfp makes an output name a Python parameter",
        f"(e.g. my_out): rename it, ~{C}.data.outputs.my-out {C}.data.outputs.my_out=data.x",
        fixed=[
            f"+{C}.data.outputs.my-out=data.x",
            f"~{C}.data.outputs.my-out",
            f"{C}.data.outputs.my_out=data.x",
        ],
    ),
    Case(
        "pipeline-name-too-long",
        [f"{L}.pipeline_name={'a' * 300}"],
        f"{L}.pipeline_name has 300 characters as a pipeline name",
        f"at most 128: shorten it, e.g. {L}.pipeline_name={'a' * 128}.",
        fixed=[f"{L}.pipeline_name={'a' * 128}"],
    ),
    Case(
        "pipeline-name-non-ascii",
        [f"{L}.pipeline_name='训练'"],
        f"{L}.pipeline_name='训练' has no ASCII letter or digit",
        f"rename it, e.g. {L}.pipeline_name=my-pipeline",
        fixed=[f"{L}.pipeline_name=my-pipeline"],
    ),
    Case(
        "unknown-launcher-key",
        [f"+{L}.bogus=1"],
        f"{L}.bogus is not a launcher setting",
        f"remove it (drop the +{L}.bogus=... override, or the key where a yaml sets it) or "
        f"correct its name; the settings at {L} are mode, image,",
        fixed=[],
        quoted=False,
    ),
    Case(
        "unknown-component-key-close-to-one",
        [f"+{C}.train.retry=3"],
        f"{C}.train.retry is not a launcher setting",
        f"did you mean {C}.train.retries?",
        fixed=[f"+{C}.train.retry=3", f"~{C}.train.retry"],
    ),
    Case(
        "project-with-slash",
        [f"{L}.mode=vertex", f"{L}.pipeline_root=gs://bucket/runs", f"{L}.project=a/b"],
        f"{L}.project='a/b' is not a project id",
        f"lowercase letters, digits and hyphens, starting with a letter (or the project "
        f"number), e.g. {L}.project=my-project",
        fixed=[*VERTEX],
    ),
    Case(
        "project-too-short",
        [f"{L}.mode=vertex", f"{L}.pipeline_root=gs://bucket/runs", f"{L}.project=abc"],
        f"{L}.project='abc': a project id has 6 to 30 characters",
        f"`gcloud projects list` shows, e.g. {L}.project=my-project",
        fixed=[*VERTEX],
    ),
    Case(
        "location-with-space-and-slash",
        [*VERTEX, f"{L}.location='us central/1'"],
        f"{L}.location='us central/1' is not a region",
        f"write e.g. {L}.location=us-central1",
        fixed=[*VERTEX, f"{L}.location=us-central1"],
    ),
]


def count_kfp_compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every run of the kfp compiler (it still runs: this only counts)."""
    calls: list[str] = []
    real = compiler.Compiler.compile

    def counting(self: compiler.Compiler, pipeline_func: Any, package_path: str) -> None:
        calls.append(package_path)
        real(self, pipeline_func=pipeline_func, package_path=package_path)

    monkeypatch.setattr(compiler.Compiler, "compile", counting)
    return calls


def assert_nothing_written(sweep_dir: Path) -> None:
    """Hydra's sweeper saves multirun.yaml before it launches; the launcher adds nothing."""
    written = sorted(str(p.relative_to(sweep_dir)) for p in sweep_dir.rglob("*"))
    assert written in ([], ["multirun.yaml"]), written


def launch_error(launcher: str, overrides: Sequence[str], sweep_dir: Path) -> str:
    """What stops a launch of the two-step app with `overrides` before the mode's executor
    would run or submit anything (composing, the launcher config, planning, compiling), or ''."""
    try:
        cfg, context = compose(
            [f"hydra/launcher={launcher}", *overrides, "optim.lr=0.1"], sweep_dir, APP
        )
        conf = pipeline_conf(cfg, lambda cfg: None)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        jobs = [list(cfg.hydra.overrides.task)]
        list(compiled_jobs(conf, context, cfg, jobs, 0, sweep_dir, CompileExecutor(conf)))
    except (ConfigCompositionException, LauncherConfigError) as e:
        return f"{e}\n{e.__cause__}"
    except PlanningFailed as e:
        return f"{e.cause}\n{e.cause.__cause__}"
    finally:
        GlobalHydra.instance().clear()
    return ""


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_config_fails_before_anything_is_written_and_the_fix_works(
    case: Case, tmp_path: Path, hydra_sweep_runner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    calls = count_kfp_compiles(monkeypatch)
    sweep_dir = tmp_path / "sweep"
    with (
        pytest.raises(case.raises) as error,
        hydra_sweep_runner(
            calling_file=str(APP),
            calling_module=None,
            task_function=lambda cfg: pytest.fail("a bad config must not run the task"),
            config_path="conf",
            config_name="config",
            overrides=[f"hydra/launcher={case.launcher}", *case.overrides, "optim.lr=0.1"],
            temp_dir=sweep_dir,
        ),
    ):
        pass
    message = f"{error.value}\n{error.value.__cause__}"
    assert case.key in message
    assert case.fix in message
    assert case.hidden not in message
    if case.quoted:
        added = [o for o in case.fixed if o not in case.overrides]
        assert added and all(override in message for override in added), message
    assert calls == []
    assert_nothing_written(sweep_dir)


def override_key(override: str) -> str:
    return override.lstrip("+~").split("=", 1)[0]


def mode_of(case: Case) -> str | None:
    modes = [o.split("=", 1)[1] for o in case.fixed if override_key(o) == f"{L}.mode"]
    return modes[-1] if modes else None


def overlap(fixed: Sequence[str], other: Sequence[str]) -> bool:
    """Whether two fixes set a key differently, or one a key inside the other's."""
    for a in fixed:
        for b in other:
            ka, kb = override_key(a), override_key(b)
            if a != b and (ka == kb or ka.startswith(f"{kb}.") or kb.startswith(f"{ka}.")):
                return True
    return False


def fix_batches(cases: Sequence[Case]) -> list[list[Case]]:
    """The cases in batches whose fixes apply together: the same launcher and mode, and no key
    that two of them set differently."""
    batches: list[list[Case]] = []
    for case in cases:
        for batch in batches:
            same = (batch[0].launcher, mode_of(batch[0])) == (case.launcher, mode_of(case))
            if same and not any(overlap(case.fixed, other.fixed) for other in batch):
                batch.append(case)
                break
        else:
            batches.append([case])
    return batches


FIX_BATCHES = fix_batches(CASES)


@pytest.mark.parametrize(
    "batch", FIX_BATCHES, ids=[f"{b[0].id}-and-{len(b) - 1}-more" for b in FIX_BATCHES]
)
def test_the_fixed_commands_get_past_every_check_before_execution(
    batch: list[Case], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    fixed = list(dict.fromkeys(o for case in batch for o in case.fixed))
    assert launch_error(batch[0].launcher, fixed, tmp_path) == "", [c.id for c in batch]


def test_components_made_on_the_command_line_are_checked_as_in_a_yaml(tmp_path: Path) -> None:
    """two_step.yaml's pipeline, written on the command line instead, with the same mistakes."""
    data = "{command:[python,data_step.py],image:d,overrides:[data],outputs:{dataset:data.out_dir}}"
    train = "{main:true,command:[python,main.py],image:t,inputs:{data.dir:data.dataset}}"
    mistakes = [
        f"{C}.train.retries=-1",
        f"{C}.train.resources.memory=1TB",
        f"{C}.train.after=[data,nope]",
        f"{C}.data.resources.accelerator_count=1",
    ]
    from_yaml = launch_error("two_step", mistakes, tmp_path / "yaml")
    on_command_line = launch_error(
        "vertex_pipeline",
        [f"{L}.mode=compile", f"+{C}.data={data}", f"+{C}.train={train}", *mistakes],
        tmp_path / "cli",
    )
    assert from_yaml.count("\n  - ") == len(mistakes)
    assert on_command_line == from_yaml


def test_every_problem_is_listed_at_once(tmp_path: Path, hydra_sweep_runner: Any) -> None:
    with (
        pytest.raises(LauncherConfigError) as error,
        hydra_sweep_runner(
            calling_file=str(APP),
            calling_module=None,
            task_function=None,
            config_path="conf",
            config_name="config",
            overrides=[
                "hydra/launcher=two_step",
                f"{C}.train.resources.memory=32GB",
                f"{C}.data.resources.cpu=lots",
                f"{C}.data.retries=-1",
            ],
            temp_dir=tmp_path,
        ),
    ):
        pass
    lines = str(error.value).splitlines()
    assert lines[0] == "Invalid launcher config; nothing was compiled, run or submitted:"
    problems = [line for line in lines[1:] if line.startswith("  - ")]
    assert len(problems) == 3


END_TO_END = {
    "memory": ([f"{C}.train.resources.memory=32GB"], f"{C}.train.resources.memory='32GB'"),
    "cycle": ([f"{C}.data.after=[train]"], "dependency cycle: data -> train -> data"),
    "project": (
        [f"{L}.mode=vertex", f"{L}.pipeline_root=gs://bucket/runs"],
        f"{L}.project is not set",
    ),
    "override-key": (["+_=1"], "Override key '+_' cannot be mapped"),
    "unknown-key": ([f"+{L}.bogus=1"], f"{L}.bogus is not a launcher setting"),
    "output-keyword": ([f"+{C}.data.outputs.class=data.cls"], "'class' is a Python keyword"),
}


def test_end_to_end_a_bad_config_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    procs = {
        name: subprocess.Popen(
            [
                sys.executable,
                APP.name,
                "-m",
                "hydra/launcher=two_step",
                *overrides,
                "optim.lr=0.1,0.2",
                f"hydra.sweep.dir={tmp_path / name}",
            ],
            cwd=APP.parent,
            env=app_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, (overrides, _) in END_TO_END.items()
    }
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, out + err
        assert END_TO_END[name][1] in err
        # the error is a config error, printed compactly: no traceback
        assert "Traceback" not in err
        assert "Launching" not in out
        assert_nothing_written(tmp_path / name)


def test_the_accelerator_list_is_the_vertex_api_s() -> None:
    """The launcher's list (no aiplatform import at validation) against the client's enum."""
    names = set(AcceleratorType.__members__) - {"ACCELERATOR_TYPE_UNSPECIFIED"}
    assert set(ACCELERATOR_TYPES) == names


def test_a_machine_type_without_the_custom_job_extra_names_the_install(
    tmp_path: Path, hydra_sweep_runner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # google-cloud-pipeline-components not importable, as where the extra is not installed
    monkeypatch.setitem(sys.modules, "google_cloud_pipeline_components", None)
    with (
        pytest.raises(LauncherConfigError) as error,
        hydra_sweep_runner(
            calling_file=str(APP),
            calling_module=None,
            task_function=None,
            config_path="conf",
            config_name="config",
            overrides=["hydra/launcher=two_step", *MACHINE, f"{R}.machine_type=g2-standard-8"],
            temp_dir=tmp_path,
        ),
    ):
        pass
    assert (
        f"{R}.machine_type=g2-standard-8 runs the component as a custom job, compiled by "
        "google-cloud-pipeline-components, which is not installed: "
        "pip install 'hydra-vertex-pipeline-launcher[custom-job]'."
    ) in str(error.value)
