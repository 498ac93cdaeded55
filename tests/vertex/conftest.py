"""Servers for the vertex-mode tests, on 127.0.0.1: the Vertex AI Pipelines emulator (in this
process, jobs run as subprocesses) and gcp-storage-emulator (the job outputs' Cloud Storage)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from vertex_checks import StartEmulator
from vertex_launch import APP_DIR

from hydra_vertex_emulator.emulator import Emulator, EmulatorConfig
from hydra_vertex_emulator.faults import FaultConfig


@pytest.fixture
def storage_emulator(gcs_emulator: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """google-cloud-storage talks to the GCS emulator (in this process and in subprocesses)."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator)
    return gcs_emulator


@pytest.fixture
def start_emulator(tmp_path: Path, storage_emulator: str) -> Iterator[StartEmulator]:
    """Start a Vertex AI Pipelines emulator: start_emulator(max_parallel_jobs=2, faults=...,
    images=(...)), `images` what its registry endpoint knows."""
    started: list[Emulator] = []

    def start(
        max_parallel_jobs: int = 2,
        faults: FaultConfig | None = None,
        images: tuple[str, ...] = (),
    ) -> Emulator:
        config = EmulatorConfig(
            port=0,
            storage_dir=tmp_path / f"vertex-storage-{len(started)}",
            max_parallel_jobs=max_parallel_jobs,
            gcs_endpoint=storage_emulator,
            faults=faults or FaultConfig(),
            images=images,
        )
        started.append(Emulator(config).start())
        return started[-1]

    yield start
    for emulator in started:
        emulator.close()


@pytest.fixture
def in_app_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """Components run the app dir's scripts: their commands name ${hydra.runtime.cwd}."""
    monkeypatch.chdir(APP_DIR)
