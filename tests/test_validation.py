"""Bad launcher config fails the sweep before anything is compiled or written, naming key and fix.

Every case runs a real Hydra multirun of the two-step app (tests/apps/two_step, compile mode) with
the bad setting on the command line; a few also run end to end as `python train.py -m ...`.
"""

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from app_runner import APPS_DIR, app_env
from google.cloud.aiplatform_v1.types import AcceleratorType
from hydra.errors import ConfigCompositionException
from kfp import compiler

from hydra_vertex_pipelines.errors import LauncherConfigError
from hydra_vertex_pipelines.vertex_facts import ACCELERATOR_TYPES

APP = APPS_DIR / "two_step" / "train.py"
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
    # command-line overrides after hydra/launcher=two_step and the sweep
    overrides: Sequence[str]
    # what the message must contain: the key, then the fix
    key: str
    fix: str
    launcher: str = "two_step"
    # a closed choice (an Enum) is refused by Hydra while it composes, naming the key
    raises: type[Exception] = LauncherConfigError
    # what the message must not show (a secret's value)
    hidden: str = "\0"


CASES = [
    Case(
        "unknown-mode",
        [f"{L}.mode=cloud"],
        f"full_key: {L}.mode",
        "expected one of [vertex, local, compile]",
        raises=ConfigCompositionException,
    ),
    Case(
        "no-components",
        [f"{L}.mode=compile"],
        f"{L}.components is empty",
        f"{L}.components.app={{main:true,command:[python,-m,my_app]}}",
        launcher="vertex_pipeline",
    ),
    Case(
        "zero-main",
        [f"{C}.train.main=false"],
        f"{C}: exactly one component must have main=true (found: none)",
        "it is the launched app",
    ),
    Case(
        "two-mains",
        [f"{C}.data.main=true"],
        f"{C}: exactly one component must have main=true (found: data, train)",
        "it is the launched app",
    ),
    Case(
        "input-from-unknown-component",
        [f"+{C}.train.inputs.model=nope.weights"],
        f"{C}.train.inputs.model='nope.weights' names no other component",
        "write <component>.<output> with one of data",
    ),
    Case(
        "input-from-unknown-output",
        [f"+{C}.train.inputs.model=data.weights"],
        f"{C}.train.inputs.model='data.weights': component data has no output 'weights'",
        f"add it to {C}.data.outputs",
    ),
    Case(
        "after-unknown-component",
        [f"{C}.train.after=[data,nope]"],
        f"{C}.train.after names 'nope'",
        "fix or remove it",
    ),
    Case(
        "dependency-cycle",
        [f"{C}.data.after=[train]"],
        f"{C} has a dependency cycle: data -> train -> data",
        "Remove one of these edges (inputs or after)",
    ),
    Case(
        "key-bound-by-two-outputs",
        [f"+{C}.data.outputs.copy=data.out_dir"],
        f"{C}.data.outputs.copy binds 'data.out_dir', already bound by outputs.dataset",
        "bind each key once",
    ),
    Case(
        "key-bound-by-output-and-input",
        [f"+{C}.train.outputs.model=data.dir"],
        f"{C}.train.outputs.model binds 'data.dir', already bound by inputs.data.dir",
        "bind each key once",
    ),
    Case(
        "reserved-output-return-value",
        [f"+{C}.train.outputs.return_value=model.out"],
        f"{C}.train.outputs.return_value: 'return_value' is reserved",
        "rename it",
    ),
    Case(
        "reserved-output-hydra-output",
        [f"+{C}.data.outputs.hydra_output=data.logs"],
        f"{C}.data.outputs.hydra_output: 'hydra_output' is reserved",
        "rename it",
    ),
    Case(
        "cpu-with-unit-words",
        [f"{C}.train.resources.cpu='8 cores'"],
        f"{C}.train.resources.cpu='8 cores' is not a CPU quantity",
        'write e.g. "8", "0.5" or "500m"',
    ),
    Case(
        "memory-with-GB",
        [f"{C}.train.resources.memory=32GB"],
        f"{C}.train.resources.memory='32GB' is not a memory quantity",
        'e.g. "32G"',
    ),
    Case(
        "accelerator-count-without-type",
        [f"{C}.data.resources.accelerator_count=1"],
        f"{C}.data.resources.accelerator_count=1 has no accelerator_type",
        f"set {C}.data.resources.accelerator_type (e.g. NVIDIA_TESLA_T4) or drop the count",
    ),
    Case(
        "accelerator-count-0",
        [f"{C}.train.resources.accelerator_count=0"],
        f"{C}.train.resources.accelerator_count=0 with accelerator_type=NVIDIA_L4",
        "set a count of 1 or more",
    ),
    Case(
        "machine-type-with-limits",
        [f"{R}.machine_type=g2-standard-8"],
        f"{R}.cpu and {R}.machine_type are alternatives",
        f"drop {R}.cpu or the machine_type",
    ),
    Case(
        "machine-type-not-a-name",
        [*MACHINE, f"{R}.machine_type='N1 standard'"],
        f"{R}.machine_type='N1 standard' is not a machine type",
        "write e.g. n1-standard-4",
    ),
    Case(
        "t4-on-a-g2-machine",
        [*MACHINE, f"{R}.machine_type=g2-standard-8", f"{R}.accelerator_type=NVIDIA_TESLA_T4"],
        f"{R}.machine_type=g2-standard-8 cannot take accelerator_type=NVIDIA_TESLA_T4, which "
        "runs on N1 machine types only",
        f"set {R}.machine_type=n1-standard-4",
    ),
    Case(
        "l4-on-an-n1-machine",
        [*MACHINE, f"{R}.machine_type=n1-standard-8"],
        "cannot take accelerator_type=NVIDIA_L4, which runs on G2 machine types only",
        f"set {R}.machine_type=g2-standard-8",
    ),
    Case(
        "a100-on-an-n1-machine",
        [*MACHINE, f"{R}.machine_type=n1-standard-8", f"{R}.accelerator_type=NVIDIA_TESLA_A100"],
        "runs on A2 (a2-highgpu-*) or A2 (a2-megagpu-*) machine types only",
        f"set {R}.machine_type=a2-highgpu-1g",
    ),
    Case(
        "h100-on-an-a2-machine",
        [*MACHINE, f"{R}.machine_type=a2-highgpu-1g", f"{R}.accelerator_type=NVIDIA_H100_80GB"],
        "runs on A3 (a3-highgpu-*) machine types only",
        f"set {R}.machine_type=a3-highgpu-8g",
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
        "set one of them",
    ),
    Case(
        "count-other-than-the-machine-types",
        [
            *MACHINE,
            f"{R}.machine_type=a2-highgpu-2g",
            f"{R}.accelerator_type=NVIDIA_TESLA_A100",
        ],
        f"{R}.accelerator_count=1: a2-highgpu-2g comes with 2 GPUs",
        "set accelerator_count=2 (or drop it)",
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
        f"set {R}.accelerator_type (e.g. NVIDIA_L4)",
    ),
    Case(
        "unknown-accelerator",
        [*MACHINE, f"{R}.machine_type=n1-standard-4", f"{R}.accelerator_type=NVIDIA_T4"],
        f"{R}.accelerator_type=NVIDIA_T4 is not a Vertex accelerator type",
        "set one of NVIDIA_TESLA_T4, ",
    ),
    Case(
        "unknown-strategy",
        [*MACHINE, f"{R}.machine_type=g2-standard-8", f"{R}.strategy=CHEAP"],
        f"full_key: {R}.strategy",
        "expected one of [STANDARD, SPOT, FLEX_START]",
        raises=ConfigCompositionException,
    ),
    Case(
        "spot-with-max-wait",
        [*MACHINE, f"{R}.machine_type=g2-standard-8", f"{R}.strategy=SPOT", f"{R}.max_wait_s=600"],
        f"{R}.max_wait_s=600 applies to strategy FLEX_START only (Vertex's maxWaitDuration), not "
        "SPOT",
        f"drop it or set {R}.strategy=FLEX_START",
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
        f"or {R}.strategy=SPOT or STANDARD",
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
        "set 604800 or less",
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
    ),
    Case(
        "spot-without-a-machine-type",
        [f"{R}.strategy=SPOT"],
        f"{R}.strategy applies to custom jobs only",
        f"set {R}.machine_type (e.g. n1-standard-4) or drop it",
    ),
    Case(
        "boot-disk-too-small",
        [*MACHINE, f"{R}.machine_type=g2-standard-8", f"{R}.boot_disk_size_gb=50"],
        f"{R}.boot_disk_size_gb=50",
        "set 100 to 64000 (GB)",
    ),
    Case(
        "unknown-boot-disk-type",
        [*MACHINE, f"{R}.machine_type=g2-standard-8", f"{R}.boot_disk_type=ssd"],
        f"{R}.boot_disk_type='ssd'",
        "set one of pd-ssd, pd-standard, hyperdisk-balanced",
    ),
    Case(
        "reserved-ip-ranges-without-a-network",
        [f"{L}.reserved_ip_ranges=[vertex-range]"],
        f"{L}.reserved_ip_ranges are ranges of a VPC network",
        f"set {L}.network",
    ),
    Case(
        "negative-retries",
        [f"{C}.train.retries=-1"],
        f"{C}.train.retries=-1",
        "set 0 or more",
    ),
    Case(
        "secret-looking-env",
        [f"+{C}.train.env.API_TOKEN=abc"],
        f"{C}.train.env.API_TOKEN looks like a secret",
        "Secret Manager",
    ),
    Case(
        "pipeline-root-not-gcs",
        [*VERTEX, f"{L}.pipeline_root=/tmp/pipelines"],
        f"{L}.pipeline_root='/tmp/pipelines'",
        "needs a Cloud Storage URI, e.g. gs://my-bucket/pipelines",
    ),
    Case(
        "pipeline-root-missing",
        [*VERTEX, f"{L}.pipeline_root=null"],
        f"{L}.pipeline_root=None",
        "e.g. gs://my-bucket/pipelines",
    ),
    Case(
        "image-missing-in-vertex-mode",
        [*VERTEX, f"{C}.data.image=null"],
        f"{C}.data.image is required in vertex mode",
        "set it to the container image URI",
    ),
    Case(
        "project-missing-in-vertex-mode",
        [f"{L}.mode=vertex", f"{L}.pipeline_root=gs://bucket/runs"],
        f"{L}.project is not set",
        f"set {L}.project=my-project or the environment variable GOOGLE_CLOUD_PROJECT",
    ),
    Case(
        "label-key-not-starting-with-a-letter",
        [f"+{L}.labels._team=ml"],
        f"{L}.labels._team: label key '_team' must start with a letter",
        "rename it",
    ),
    Case(
        "label-key-starting-with-a-digit",
        [f"++{L}.labels={{1team:ml}}"],
        f"{L}.labels.1team: label key '1team' must start with a letter",
        "rename it",
    ),
    Case(
        "too-many-labels",
        [f"++{L}.labels={{{','.join(f'l{i}:x' for i in range(60))}}}"],
        f"{L}.labels has 60 labels; with the launcher's own a job may carry 59 more",
        "remove 1",
    ),
    Case(
        "label-key-too-long",
        [f"+{L}.labels.{'k' * 64}=ml"],
        f"{L}.labels.{'k' * 64}: the label key has 64 characters",
        "shorten it",
    ),
    Case(
        "label-value-too-long",
        [f"+{L}.labels.team={'v' * 70}"],
        f"{L}.labels.team: the label value has 70 characters",
        "shorten it",
    ),
    Case(
        "unknown-failure-policy",
        [f"{L}.failure_policy=eventually"],
        f"full_key: {L}.failure_policy",
        "expected one of [fast, slow]",
        raises=ConfigCompositionException,
    ),
    Case(
        "unknown-local-main",
        [*LOCAL, f"{L}.local.main=thread"],
        f"full_key: {L}.local.main",
        "expected one of [subprocess, inline]",
        raises=ConfigCompositionException,
    ),
    Case(
        "inline-with-parallel-jobs",
        [*LOCAL, f"{L}.local.main=inline", f"{L}.local.max_parallel_jobs=2"],
        f"{L}.local.main=inline runs the task function in this process",
        f"set {L}.local.max_parallel_jobs=1 or {L}.local.main=subprocess",
    ),
    Case(
        "local-component-without-command",
        [*LOCAL, f"{C}.data.command=[]"],
        f"{C}.data.command is required in local mode",
        "set it, e.g. [python, -m, my_app]",
    ),
    Case(
        "override-key-without-letter-or-digit",
        ["+_=1"],
        "Override key '+_' cannot be mapped to a pipeline parameter name",
        "rename the config key so that it contains a letter or a digit",
    ),
    # secrets: nothing resolved from this machine's environment, no credential compiled
    Case(
        "env-interpolation",
        [f"+{C}.train.env.RUN_NOTE='${{oc.env:HOME}}'"],
        f"{C}.train.env.RUN_NOTE='${{oc.env:HOME}}' is an interpolation",
        "pass it in args (Hydra resolves an interpolation there in the container)",
    ),
    Case(
        "env-aws-access-key-id",
        [f"+{C}.train.env.AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP"],
        f"{C}.train.env.AWS_ACCESS_KEY_ID looks like a secret",
        "Secret Manager",
        hidden="AKIAABCDEFGHIJKLMNOP",
    ),
    Case(
        "env-github-pat",
        [f"+{C}.train.env.GITHUB_PAT=abc"],
        f"{C}.train.env.GITHUB_PAT looks like a secret",
        "Secret Manager",
    ),
    Case(
        "env-key-suffix",
        [f"+{C}.train.env.STRIPE_KEY=abc"],
        f"{C}.train.env.STRIPE_KEY looks like a secret",
        "Secret Manager",
    ),
    Case(
        "env-url-with-password",
        [f"+{C}.train.env.DATABASE_URL='postgres://app:hunter2@db:5432/x'"],
        f"{C}.train.env.DATABASE_URL: the value looks like a URL with a password",
        "Secret Manager",
        hidden="hunter2",
    ),
    Case(
        "env-token-shaped-value",
        [f"+{C}.train.env.UPLOAD_TO=ghp_{'a' * 36}"],
        f"{C}.train.env.UPLOAD_TO: the value looks like a GitHub token",
        "Secret Manager",
        hidden="ghp_",
    ),
    Case(
        "arg-secret-name",
        [f"{C}.data.args=['+db.password=hunter2']"],
        f"{C}.data.args[0]: db.password looks like a secret",
        "pass an interpolation that the container resolves (db.password=${oc.env:NAME})",
        hidden="hunter2",
    ),
    Case(
        "arg-url-with-password",
        [f"{C}.data.args=['data.shuffle=false','+db.url=mysql://app:hunter2@db/x']"],
        f"{C}.data.args[1] (db.url): the value looks like a URL with a password",
        "Secret Manager",
        hidden="hunter2",
    ),
    # numbers, the pipeline root, resources, labels
    Case(
        "poll-interval-nan",
        [f"{L}.poll_interval_s=nan"],
        f"{L}.poll_interval_s=nan",
        "set a positive number",
    ),
    Case(
        "poll-interval-inf",
        [f"{L}.poll_interval_s=inf"],
        f"{L}.poll_interval_s=inf",
        "set a positive number",
    ),
    Case(
        "local-timeout-nan",
        [*LOCAL, f"{L}.local.timeout_s=nan"],
        f"{L}.local.timeout_s=nan",
        "set a positive number or null",
    ),
    Case(
        "pipeline-root-without-bucket",
        [f"{L}.pipeline_root=gs://"],
        f"{L}.pipeline_root='gs://' names no bucket",
        "e.g. gs://my-bucket/pipelines",
    ),
    Case(
        "pipeline-root-uppercase-bucket",
        [f"{L}.pipeline_root=gs://UPPER/x"],
        f"{L}.pipeline_root='gs://UPPER/x': a bucket name has lowercase letters",
        "https://cloud.google.com/storage/docs/buckets#naming",
    ),
    Case(
        "pipeline-root-bucket-with-space",
        [f"{L}.pipeline_root='gs://bk t/x'"],
        f"{L}.pipeline_root='gs://bk t/x': a bucket name has lowercase letters",
        "https://cloud.google.com/storage/docs/buckets#naming",
    ),
    Case(
        "pipeline-root-dot-dot",
        [f"{L}.pipeline_root=gs://bkt/../../../tmp/x"],
        f"{L}.pipeline_root='gs://bkt/../../../tmp/x': the path has an empty, '.' or '..' part",
        "write a plain path such as gs://my-bucket/pipelines",
    ),
    Case(
        "pipeline-root-empty-segment",
        [f"{L}.pipeline_root=gs://bkt//x"],
        f"{L}.pipeline_root='gs://bkt//x': the path has an empty, '.' or '..' part",
        "write a plain path",
    ),
    Case(
        "cpu-zero",
        [f"{C}.train.resources.cpu='0'"],
        f"{C}.train.resources.cpu='0': a task needs more than 0 CPUs",
        'write e.g. "1" or "500m"',
    ),
    Case(
        "memory-zero",
        [f"{C}.train.resources.memory='0'"],
        f"{C}.train.resources.memory='0': a task needs more than 0 memory",
        'write e.g. "4G"',
    ),
    Case(
        "unknown-accelerator",
        [f"{C}.train.resources.accelerator_type=BOGUS_GPU"],
        f"{C}.train.resources.accelerator_type='BOGUS_GPU' is not a Vertex AI accelerator",
        "use one of NVIDIA_TESLA_K80",
    ),
    Case(
        "retries-too-many",
        [f"{C}.train.retries=100000"],
        f"{C}.train.retries=100000",
        "set 0 or more, at most 100",
    ),
    Case(
        "labels-that-merge",
        [f"+{L}.labels.team=a", f"+{L}.labels.TEAM=b"],
        f"{L}.labels.team and {L}.labels.TEAM are the same label 'team'",
        "keep one",
    ),
    # values kfp, Vertex or OmegaConf would refuse with a traceback
    Case(
        "output-named-a-keyword",
        [f"+{C}.data.outputs.class=data.cls"],
        f"{C}.data.outputs.class: 'class' is a Python keyword",
        "rename it (e.g. class_out)",
    ),
    Case(
        "output-name-with-dash",
        [f"+{C}.data.outputs.my-out=data.x"],
        f"{C}.data.outputs.my-out: kfp makes an output name a Python parameter",
        "(e.g. my_out)",
    ),
    Case(
        "pipeline-name-too-long",
        [f"{L}.pipeline_name={'a' * 300}"],
        f"{L}.pipeline_name has 300 characters as a pipeline name",
        "at most 128: shorten it",
    ),
    Case(
        "pipeline-name-non-ascii",
        [f"{L}.pipeline_name='训练'"],
        f"{L}.pipeline_name='训练' has no ASCII letter or digit",
        "rename it",
    ),
    Case(
        "unknown-launcher-key",
        [f"+{L}.bogus=1"],
        f"{L}.bogus is not a launcher setting",
        "remove it",
    ),
    Case(
        "unknown-component-key-close-to-one",
        [f"+{C}.train.retry=3"],
        f"{C}.train.retry is not a launcher setting",
        f"did you mean {C}.train.retries?",
    ),
    Case(
        "project-with-slash",
        [*VERTEX, f"{L}.project=a/b"],
        f"{L}.project='a/b' is not a project id",
        "lowercase letters, digits and hyphens, starting with a letter",
    ),
    Case(
        "project-too-short",
        [*VERTEX, f"{L}.project=abc"],
        f"{L}.project='abc': a project id has 6 to 30 characters",
        "`gcloud projects list`",
    ),
    Case(
        "location-with-space-and-slash",
        [*VERTEX, f"{L}.location='us central/1'"],
        f"{L}.location='us central/1' is not a region",
        "write e.g. us-central1",
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


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_config_fails_before_anything_is_written(
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
    assert calls == []
    assert_nothing_written(sweep_dir)


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
