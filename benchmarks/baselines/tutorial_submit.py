"""Baseline: the Vertex AI Pipelines tutorial's way, one job after the other: compile a kfp
pipeline with the job's value, then `aiplatform.PipelineJob(...).submit()`.

The job is the one benchmarks/bench_vertex_submit.py launches with the plugin: the sweep app's
square.py (tests/apps/sweep_app), with x, its output dir and its return-value file as
Hydra args. PipelineJob.submit() first checks that the pipeline root's bucket exists, through the
Cloud Storage API (offline that only retries); the check is skipped, in the baseline's favour.

    python benchmarks/baselines/tutorial_submit.py --endpoint http://127.0.0.1:8080 --jobs 100
"""

import argparse
import os
import tempfile
from pathlib import Path

from google.cloud import aiplatform
from kfp import compiler, dsl
from sdk_against_emulator import connect

SQUARE = Path(__file__).resolve().parents[2] / "tests" / "apps" / "sweep_app" / "square.py"


def pipeline_of(x: int, release: str) -> object:
    @dsl.container_component
    def square(hydra_output: dsl.Output[dsl.Artifact], return_value: dsl.OutputPath(str)):  # type: ignore[no-untyped-def,valid-type]
        return dsl.ContainerSpec(
            image="python:3.11-slim",
            command=["python", str(SQUARE)],
            args=[
                f"x={x}",
                f"+release={release}",
                f"hydra.run.dir={hydra_output.path}",
                f"++hydra.callbacks.vertex_pipeline_return_value.output_file={return_value}",
            ],
        )

    @dsl.pipeline(name="tutorial-square")
    def pipeline() -> None:
        square()

    return pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--release", default="/nonexistent", help="the jobs wait for this file")
    args = parser.parse_args()
    connect(args.endpoint)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.jobs):
            path = str(Path(tmp) / f"pipeline-{i}.yaml")
            compiler.Compiler().compile(pipeline_of(i, args.release), path)
            aiplatform.PipelineJob(
                display_name=f"tutorial #{i}",
                template_path=path,
                job_id=f"tutorial-square-{os.getpid()}-{i}",
                pipeline_root="gs://test-bucket/pipeline-root",
                enable_caching=False,
            ).submit()


if __name__ == "__main__":
    main()
