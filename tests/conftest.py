"""Shared test settings: a reproducible hypothesis profile under CI, and a Hydra app runner."""

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from hypothesis import settings

APPS_DIR = Path(__file__).parent / "apps"

# CI runs every property test with the same examples; locally they keep exploring.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

RunApp = Callable[..., "subprocess.CompletedProcess[str]"]


def app_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment without GOOGLE_CLOUD_PROJECT (vertex-mode checks must not see one)."""
    env = {k: v for k, v in os.environ.items() if k != "GOOGLE_CLOUD_PROJECT"}
    env.update(extra or {})
    return env


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
