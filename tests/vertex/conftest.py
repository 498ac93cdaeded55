"""Servers for the vertex-mode tests, on 127.0.0.1: the Vertex AI Pipelines emulator (in this
process, jobs run as subprocesses) and gcp-storage-emulator (the job outputs' Cloud Storage)."""

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from gcp_storage_emulator.server import create_server
from vertex_checks import StartEmulator
from vertex_launch import APP_DIR

from hydra_vertex_emulator.emulator import Emulator, EmulatorConfig
from hydra_vertex_emulator.faults import FaultConfig


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def gcs_endpoint() -> Iterator[str]:
    """gcp-storage-emulator, in memory, for the whole session."""
    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def storage_emulator(gcs_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """google-cloud-storage talks to the GCS emulator (in this process and in subprocesses)."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_endpoint)
    return gcs_endpoint


@pytest.fixture
def start_emulator(tmp_path: Path, storage_emulator: str) -> Iterator[StartEmulator]:
    """Start a Vertex AI Pipelines emulator: start_emulator(max_parallel_jobs=2, faults=...)."""
    started: list[Emulator] = []

    def start(max_parallel_jobs: int = 2, faults: FaultConfig | None = None) -> Emulator:
        config = EmulatorConfig(
            port=0,
            storage_dir=tmp_path / f"vertex-storage-{len(started)}",
            max_parallel_jobs=max_parallel_jobs,
            gcs_endpoint=storage_emulator,
            faults=faults or FaultConfig(),
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
