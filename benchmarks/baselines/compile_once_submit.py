"""Baseline: a short script that compiles the pipeline once, with x as a pipeline parameter, and
submits every job from 16 threads with `aiplatform.PipelineJob(...).submit()`.

The job is the one benchmarks/bench_vertex_submit.py launches with the plugin (see
tutorial_submit.py); the bucket check of PipelineJob.submit() is skipped, in the baseline's
favour.

    python benchmarks/baselines/compile_once_submit.py --endpoint http://127.0.0.1:8080 --jobs 100
"""

import argparse
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from google.cloud import aiplatform
from kfp import compiler, dsl
from sdk_against_emulator import connect

SQUARE = Path(__file__).resolve().parents[2] / "tests" / "apps" / "sweep_app" / "square.py"


@dsl.container_component
def square(  # type: ignore[no-untyped-def]
    x: str,
    release: str,
    hydra_output: dsl.Output[dsl.Artifact],
    return_value: dsl.OutputPath(str),  # type: ignore[valid-type]
):
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


@dsl.pipeline(name="compile-once-square")
def pipeline(x: str, release: str) -> None:
    square(x=x, release=release)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--release", default="/nonexistent", help="the jobs wait for this file")
    args = parser.parse_args()
    connect(args.endpoint)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "pipeline.yaml")
        compiler.Compiler().compile(pipeline, path)

        def submit(i: int) -> None:
            aiplatform.PipelineJob(
                display_name=f"compile-once #{i}",
                template_path=path,
                job_id=f"compile-once-square-{os.getpid()}-{i}",
                pipeline_root="gs://test-bucket/pipeline-root",
                parameter_values={"x": str(i), "release": args.release},
                enable_caching=False,
            ).submit()

        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(submit, range(args.jobs)))


if __name__ == "__main__":
    main()
