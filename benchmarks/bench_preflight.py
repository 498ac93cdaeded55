"""Preflight wall time: every check of the MNIST example's sweep (hydra/launcher=mnist_pipeline:
data_prepare and train, two images) against servers on 127.0.0.1: the Vertex AI emulator (the
project's List; its registry endpoint holds the two images) and gcp-storage-emulator (the
bucket's metadata, a probe object written and deleted). The checks run in parallel, so the
preflight takes about its slowest check, not their sum: measured without added latency, and with
`--latency-s` added to every request the Vertex emulator serves (a List, two manifest requests),
as a distant endpoint would.

Each run is a new multirun (a multirun is checked once); the figure is the median and the
slowest of `--runs` runs, in this process, through the launcher's preflight().

    python benchmarks/bench_preflight.py --runs 20 --latency-s 0 0.3
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests")]

from local_launch import compose  # noqa: E402

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (  # noqa: E402
    VertexPipelineLauncherConf,
)
from hydra_vertex_emulator.emulator import Emulator, EmulatorConfig  # noqa: E402
from hydra_vertex_emulator.faults import FaultConfig  # noqa: E402
from hydra_vertex_emulator.storage_emulator import storage_emulator  # noqa: E402
from hydra_vertex_pipelines.default_pipeline import pipeline_components  # noqa: E402
from hydra_vertex_pipelines.executors.vertex.preflight import preflight  # noqa: E402
from hydra_vertex_pipelines.launch import launcher_conf  # noqa: E402

BUCKET = "mnist-bucket"
IMAGES = ("mnist/data-prepare:v1", "mnist/train:v1")
TRAIN_APP = ROOT / "example_app" / "train.py"


def example_conf(emulator: Emulator, sweep_dir: Path) -> VertexPipelineLauncherConf:
    """The example's launcher config as a sweep composes it, its images in the emulator's
    registry, its project and bucket the local servers'."""
    registry = emulator.registry_host
    overrides = [
        "hydra/launcher=mnist_pipeline",
        f"hydra.launcher.api_endpoint={emulator.endpoint}",
        "hydra.launcher.project=mnist-project",
        f"hydra.launcher.pipeline_root=gs://{BUCKET}/pipelines",
        f"hydra.launcher.components.data_prepare.image={registry}/{IMAGES[0]}",
        f"hydra.launcher.components.train.image={registry}/{IMAGES[1]}",
    ]
    cfg, _ = compose(overrides, sweep_dir, TRAIN_APP)
    conf = launcher_conf(cfg)
    conf.components = pipeline_components(conf)
    return conf


def measure(latency_s: float, runs: int, work: Path) -> None:
    faults = FaultConfig(latency_s=latency_s)
    config = EmulatorConfig(port=0, storage_dir=work / "storage", images=IMAGES, faults=faults)
    with Emulator(config).start() as emulator:
        conf = example_conf(emulator, work / "sweep")
        seconds = []
        for run in range(runs):
            started = time.perf_counter()
            preflight(conf, work / "sweep", started_ns=run)
            seconds.append(time.perf_counter() - started)
        requests = emulator.stats()["requests"]
    per_run = {kind: requests[kind] / runs for kind in ("list", "manifest")}
    print(
        f"latency {latency_s:g} s per Vertex request: median {statistics.median(seconds):.3f} s, "
        f"slowest {max(seconds):.3f} s over {runs} runs; per run {per_run['list']:g} List, "
        f"{per_run['manifest']:g} manifest requests"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--latency-s", type=float, nargs="+", default=[0.0, 0.3])
    args = parser.parse_args()
    with storage_emulator(BUCKET) as gcs, tempfile.TemporaryDirectory() as tmp:
        os.environ["STORAGE_EMULATOR_HOST"] = gcs
        for latency in args.latency_s:
            measure(latency, args.runs, Path(tmp) / f"latency-{latency}")


if __name__ == "__main__":
    main()
