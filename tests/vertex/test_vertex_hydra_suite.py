"""Hydra's IntegrationTestSuite in vertex mode: each test app is launched as `python task.py -m`
and its one component, the app itself, runs as a Vertex AI pipeline on the emulator.

The suite writes its task file into a fresh tmpdir per test; generate_custom_cmd (the suite's hook
for remote launchers) points the component's command at that file. The emulator runs components in
the directory the app was launched from (the suite's tmpdir), as an image whose WORKDIR holds the
app would. A job's run dir is `<pipeline root>/<sweep dir>/<sweep subdir>`, seen through the
Cloud Storage mount: get_test_app_working_dir (the suite's hook for remote jobs) is the pipeline
root's folder in the emulator's storage.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hydra.test_utils.launcher_common_tests import IntegrationTestSuite
from vertex_checks import StartEmulator

from hydra_vertex_emulator.emulator import Emulator
from hydra_vertex_emulator.gcs import local_path

PIPELINE_ROOT = "gs://test-bucket/suite"


@pytest.fixture
def emulator(start_emulator: StartEmulator) -> Emulator:
    started: Emulator = start_emulator()
    return started


@pytest.fixture
def task_launcher_cfg(emulator: Emulator) -> dict[str, Any]:
    return {
        "defaults": [
            {"override hydra/launcher": "vertex_pipeline"},
            {"override hydra/hydra_logging": "hydra_debug"},
            {"override hydra/job_logging": "disabled"},
        ],
        "hydra": {
            "launcher": {
                "mode": "vertex",
                "project": "test-project",
                "pipeline_root": PIPELINE_ROOT,
                "api_endpoint": emulator.endpoint,
                "poll_interval_s": 0.2,
                # The suite rewrites a task file in place between two launches of the same
                # command; Vertex's cache keys on the image and the args, so (as on Vertex) the
                # second launch would reuse the first one's result. An image holds its code.
                "enable_caching": False,
                "components": {"app": {"main": True, "image": "python:3.11-slim"}},
            }
        },
    }


@pytest.fixture
def extra_flags() -> list[str]:
    # `-m` comes from generate_custom_cmd, ahead of the component override it adds
    return []


class TestVertexPipelineLauncherIntegration(IntegrationTestSuite):
    remote_working_dir: Path | None = None

    @pytest.fixture(autouse=True)
    def pipeline_root_folder(self, emulator: Emulator) -> None:
        self.remote_working_dir = local_path(emulator.storage_dir, PIPELINE_ROOT)

    def get_test_app_working_dir(self) -> Path | None:
        return self.remote_working_dir

    def generate_custom_cmd(self) -> Callable[..., list[str]]:
        def command(cmd: list[str], filename: str) -> list[str]:
            task_file = Path(filename).absolute()  # the suite runs this in the task's dir
            return [*cmd, "-m", f"hydra.launcher.components.app.command=[python,{task_file}]"]

        return command
