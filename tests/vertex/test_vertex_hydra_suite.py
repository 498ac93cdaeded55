"""Hydra's IntegrationTestSuite in vertex mode: each test app is launched as `python task.py -m`
and its one component, the app itself, runs as a Vertex AI pipeline on the emulator.

The suite writes its task file into a fresh tmpdir per test; generate_custom_cmd (the suite's hook
for remote launchers) points the component's command at that file. The emulator runs components in
the directory the app was launched from (the suite's tmpdir), as an image whose WORKDIR holds the
app would.

Tests that cannot hold for a remote job are expected failures (strict), for the reasons below.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hydra.test_utils.launcher_common_tests import IntegrationTestSuite
from vertex_checks import StartEmulator

# A Vertex job never runs in the launching machine's sweep subdir: it runs in its container with
# hydra.run.dir = its hydra_output artifact (a gs:// path, mounted at /gcs/...), which the launcher
# copies into <sweep subdir>/hydra_output when the job ends; and hydra.job.chdir given on the
# launching command line does not reach it (see CLI_JOB_NAME).
REMOTE_WORKDIR = "a remote job's working dir is not the local sweep subdir"
# Hydra overrides of the launching command line (hydra.job.name=...) configure the launching
# process; the compiled pipeline passes only the job's overrides to the main component.
CLI_JOB_NAME = "hydra.job.name given on the launching command line does not reach the remote job"
EXPECTED_FAILURES = {
    "test_custom_task_name[different_filename]": CLI_JOB_NAME,
    "test_custom_task_name[different_filename_and_config_file_name_override_and_command_line_"
    "override]": CLI_JOB_NAME,
    "test_custom_sweeper_run_workdir[sweep_dir_config_override]": REMOTE_WORKDIR,
    "test_custom_sweeper_run_workdir[sweep_dir_cli_override]": REMOTE_WORKDIR,
    "test_custom_sweeper_run_workdir[sweep_dir_cli_overridding_config]": REMOTE_WORKDIR,
    "test_custom_sweeper_run_workdir[subdir:override_dirname]": REMOTE_WORKDIR,
    "test_custom_sweeper_run_workdir[subdir:custom_override_dirname]": REMOTE_WORKDIR,
    "test_to_absolute_path_multirun": REMOTE_WORKDIR,
}


@pytest.fixture
def emulator_endpoint(start_emulator: StartEmulator) -> str:
    endpoint: str = start_emulator().endpoint
    return endpoint


@pytest.fixture
def task_launcher_cfg(emulator_endpoint: str) -> dict[str, Any]:
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
                "pipeline_root": "gs://test-bucket/suite",
                "api_endpoint": emulator_endpoint,
                "poll_interval_s": 0.2,
                "components": {"app": {"main": True, "image": "python:3.11-slim"}},
            }
        },
    }


@pytest.fixture
def extra_flags() -> list[str]:
    # `-m` comes from generate_custom_cmd, ahead of the component override it adds
    return []


@pytest.fixture(autouse=True)
def expected_failure(request: pytest.FixtureRequest) -> None:
    reason = EXPECTED_FAILURES.get(request.node.name)
    if reason is not None:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))


class TestVertexPipelineLauncherIntegration(IntegrationTestSuite):
    def generate_custom_cmd(self) -> Callable[..., list[str]]:
        def command(cmd: list[str], filename: str) -> list[str]:
            task_file = Path(filename).absolute()  # the suite runs this in the task's dir
            return [*cmd, "-m", f"hydra.launcher.components.app.command=[python,{task_file}]"]

        return command
