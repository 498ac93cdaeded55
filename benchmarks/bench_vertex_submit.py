"""Vertex submission throughput: N jobs against the emulator with injected latency per request.

ours:      the launcher in vertex mode, wait=false, from the composed job plans: compile once per
           template, build each PipelineJob from the shared message, `max_concurrent_submissions`
           creates at once (GAPIC client, REST), write the manifest, return the JobReturns.
           Composing each job's config (Hydra's load_sweep_config, as every launcher does before
           anything else, and the baseline's jobs skip) is timed apart and printed.
baseline:  the seed's way, per job one after the other: compile a pipeline with the job's values
           as literal args (kfp compiler), then aiplatform.PipelineJob(...).submit(), which parses
           the template each time. submit() also checks the pipeline root's bucket and its owner
           (Cloud Storage and Resource Manager calls) for every job; offline that check only
           retries until it gives up, so it is skipped here, as the emulator's pytest fixture
           does: the baseline is timed without it, in its favour.

Both run in this process against the same emulator, which runs in its own process (latency on
every Vertex request; Cloud Storage is gcp-storage-emulator, without added latency) and runs the
jobs' one tiny component meanwhile, one job at a time.

    python benchmarks/bench_vertex_submit.py --jobs 100 --latency-s 0.3
"""

import argparse
import contextlib
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform
from google.cloud.aiplatform.utils import gcs_utils
from hydra.core.utils import JobStatus
from kfp import compiler, dsl

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "vertex"), str(ROOT / "tests")]

from vertex_launch import APP_DIR, compose  # noqa: E402

from hydra_vertex_emulator.storage_emulator import free_port, storage_emulator  # noqa: E402
from hydra_vertex_pipelines.compiling.compiled_job import compile_jobs  # noqa: E402
from hydra_vertex_pipelines.executors.vertex.executor import VertexExecutor  # noqa: E402
from hydra_vertex_pipelines.launch import launcher_conf  # noqa: E402
from hydra_vertex_pipelines.planning.job_plan import plan_jobs  # noqa: E402

PROJECT = "test-project"
LOCATION = "us-central1"
PIPELINE_ROOT = "gs://test-bucket/pipeline-root"
BUCKET = "test-bucket"


def submit_ours(jobs: int, endpoint: str, work: Path, concurrency: int) -> tuple[float, float, int]:
    """(seconds composing the jobs' configs, seconds compiling and submitting, jobs submitted)."""
    overrides = [
        "hydra/launcher=fast",
        f"hydra.launcher.api_endpoint={endpoint}",
        "hydra.launcher.wait=false",
        f"hydra.launcher.max_concurrent_submissions={concurrency}",
        # the preflight (one List, a bucket probe) is measured apart: bench_preflight.py
        "hydra.launcher.preflight=false",
    ]
    sweep_dir = work / f"ours-{concurrency}"
    start = time.perf_counter()
    cfg, context = compose(APP_DIR, overrides, sweep_dir)
    conf = launcher_conf(cfg)
    plans = plan_jobs(context, cfg, [[f"x={i}"] for i in range(jobs)], 0)
    composed = time.perf_counter()
    sweep_dir.mkdir(parents=True, exist_ok=True)
    executor = VertexExecutor(conf, sweep_dir, time.time_ns())
    rets = executor.execute(compile_jobs(conf, plans, sweep_dir, executor))
    submitted = time.perf_counter()
    assert len(rets) == jobs and all(r.status == JobStatus.UNKNOWN for r in rets)
    return composed - start, submitted - composed, len(rets)


def baseline_pipeline(x: int, work: Path) -> object:
    """A pipeline whose one component has the job's values as literal args."""

    @dsl.container_component
    def square(hydra_output: dsl.Output[dsl.Artifact], return_value: dsl.OutputPath(str)):  # type: ignore[no-untyped-def,valid-type]
        return dsl.ContainerSpec(
            image="python:3.11-slim",
            command=["python", str(APP_DIR / "square.py")],
            args=[
                f"x={x}",
                f"hydra.run.dir={hydra_output.path}",
                f"++hydra.callbacks.vertex_pipeline_return_value.output_file={return_value}",
            ],
        )

    @dsl.pipeline(name="baseline-app")
    def pipeline() -> None:
        square()

    return pipeline


def no_bucket_check(**kwargs: object) -> object:
    return kwargs.get("output_artifacts_gcs_dir")


def submit_baseline(jobs: int, endpoint: str, work: Path) -> float:
    gcs_utils.create_gcs_bucket_for_pipeline_artifacts_if_it_does_not_exist = no_bucket_check  # type: ignore[assignment]
    aiplatform.init(
        project=PROJECT,
        location=LOCATION,
        api_endpoint=endpoint,
        api_transport="rest",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
    )
    start = time.perf_counter()
    for i in range(jobs):
        path = work / f"baseline-{i}.yaml"
        compiler.Compiler().compile(baseline_pipeline(i, work), str(path))
        aiplatform.PipelineJob(
            display_name=f"baseline #{i}",
            template_path=str(path),
            job_id=f"baseline-app-{os.getpid()}-{i}",
            pipeline_root=PIPELINE_ROOT,
            enable_caching=False,
        ).submit()
    return time.perf_counter() - start


@contextlib.contextmanager
def emulator_process(latency_s: float, storage_dir: Path) -> Iterator[str]:
    """`python -m hydra_vertex_emulator` on a free port; yields its endpoint."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "hydra_vertex_emulator", "--port", str(port)]
    argv += ["--latency-s", str(latency_s), "--max-parallel-jobs", "1", "--log-level", "WARNING"]
    argv += ["--storage-dir", str(storage_dir)]
    with subprocess.Popen(argv) as proc:
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    requests.get(f"{endpoint}/emulator/stats", timeout=1)
                    break
                except requests.ConnectionError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise
                    time.sleep(0.1)
            yield endpoint
        finally:
            proc.terminate()


def create_requests(endpoint: str) -> int:
    stats: dict[str, Any] = requests.get(f"{endpoint}/emulator/stats", timeout=10).json()
    creates: int = stats["requests"]["create"]
    return creates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--latency-s", type=float, default=0.3)
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=[8, 16, 32],
        help="max_concurrent_submissions values to time ours with",
    )
    args = parser.parse_args()
    logging.disable(logging.INFO)
    gcs = contextlib.ExitStack()
    os.environ["STORAGE_EMULATOR_HOST"] = gcs.enter_context(storage_emulator(BUCKET))
    os.chdir(APP_DIR)  # the fast launcher config names ${hydra.runtime.cwd}/square.py
    ours: dict[int, tuple[float, float, int]] = {}
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            emulator_process(args.latency_s, Path(tmp) / "storage") as endpoint,
        ):
            work = Path(tmp)
            for concurrency in args.concurrency:
                ours[concurrency] = submit_ours(args.jobs, endpoint, work, concurrency)
            creates_ours = create_requests(endpoint)
            baseline = submit_baseline(args.jobs, endpoint, work)
            creates_baseline = create_requests(endpoint) - creates_ours
    finally:
        gcs.close()
    n = args.jobs
    print(f"{n} jobs, {args.latency_s * 1000:.0f} ms added to every Vertex request")
    print(
        f"baseline (compile + PipelineJob.submit() per job): {baseline:6.2f} s "
        f"({baseline / n * 1000:.0f} ms/job, {creates_baseline} creates)"
    )
    for concurrency, (composed, submitted, count) in ours.items():
        print(
            f"ours, max_concurrent_submissions={concurrency:<3d}: {submitted:6.2f} s "
            f"({submitted / n * 1000:.0f} ms/job, {count} jobs) -> {baseline / submitted:.1f}x "
            f"faster (target >= 10x); composing the jobs' configs before: {composed:.2f} s"
        )
    print(f"create requests for ours, all runs: {creates_ours}")


if __name__ == "__main__":
    main()
