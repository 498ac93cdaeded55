"""pytest fixtures for testing pipelines and launcher configs against the emulator offline.

    vertex_emulator_config  the EmulatorConfig of vertex_emulator; override it to change settings
    vertex_emulator         an Emulator serving on a free port for the test: .endpoint,
                            .storage_dir, .stats(), .reset_stats(), .set_faults(...), .local_path()
    vertex_aiplatform       the same, with the aiplatform SDK pointed at it for the test (REST,
                            anonymous credentials, project PROJECT in LOCATION)
    gcs_emulator            the endpoint of an in-memory gcp-storage-emulator for the session
                            (give it to EmulatorConfig.gcs_endpoint; needs gcp-storage-emulator);
                            a launch's pipeline root bucket must exist there, as on Vertex (the
                            launcher's preflight checks): storage_emulator.create_buckets()

Registered through the `pytest11` entry point; importing this module imports only pytest.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .emulator import Emulator, EmulatorConfig

PROJECT = "emulated-project"
LOCATION = "us-central1"


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[str]:
    """An in-memory gcp-storage-emulator on a free port for the session; its endpoint."""
    from .storage_emulator import storage_emulator

    with storage_emulator() as endpoint:
        yield endpoint


@pytest.fixture
def vertex_emulator_config(tmp_path: Path) -> "EmulatorConfig":
    """A free port, storage under the test's tmp_path, default settings otherwise."""
    from .emulator import EmulatorConfig

    return EmulatorConfig(port=0, storage_dir=tmp_path / "vertex-storage")


@pytest.fixture
def vertex_emulator(vertex_emulator_config: "EmulatorConfig") -> Iterator["Emulator"]:
    """An emulator serving for this test; closed (running jobs cancelled) after it."""
    from .emulator import Emulator

    with Emulator(vertex_emulator_config).start() as emulator:
        yield emulator


def _no_bucket_check(**kwargs: Any) -> Any:
    return kwargs.get("output_artifacts_gcs_dir")


@pytest.fixture
def vertex_aiplatform(vertex_emulator: "Emulator", monkeypatch: pytest.MonkeyPatch) -> "Emulator":
    """aiplatform.init(...) for the emulator, undone after the test.

    PipelineJob.submit() first checks (best effort) that the pipeline root's bucket exists and
    belongs to the project, through the real GCS and Resource Manager APIs: offline that is
    40-120 s of retries before the client logs the failure and goes on. The check is skipped here.
    """
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.aiplatform import initializer
    from google.cloud.aiplatform.utils import gcs_utils

    config = initializer._Config()  # type: ignore[no-untyped-call]
    config.init(
        project=PROJECT,
        location=LOCATION,
        api_endpoint=vertex_emulator.endpoint,
        api_transport="rest",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
    )
    monkeypatch.setattr(initializer, "global_config", config)
    monkeypatch.setattr(
        gcs_utils,
        "create_gcs_bucket_for_pipeline_artifacts_if_it_does_not_exist",
        _no_bucket_check,
    )
    return vertex_emulator
