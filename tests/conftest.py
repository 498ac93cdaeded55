"""Shared test settings: a reproducible hypothesis profile under CI, and a Hydra app runner."""

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from app_runner import RunApp, app_env
from hypothesis import settings

# CI runs every property test with the same examples; locally they keep exploring.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def run_app() -> RunApp:
    """Run `python <script> <args>` in the script's folder, as a user runs a Hydra app."""

    def run(
        script: Path, *args: str, env: Mapping[str, str] | None = None
    ) -> "subprocess.CompletedProcess[str]":
        return subprocess.run(
            [sys.executable, script.name, *args],
            cwd=script.parent,
            env=app_env(env),
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run
