"""Run the test apps as a user runs a Hydra app."""

import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

APPS_DIR = Path(__file__).parent / "apps"

# the run_app fixture: runs `python <script> <args>` in the script's folder
RunApp = Callable[..., "subprocess.CompletedProcess[str]"]


def app_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment without GOOGLE_CLOUD_PROJECT (vertex-mode checks must not see one)."""
    env = {k: v for k, v in os.environ.items() if k != "GOOGLE_CLOUD_PROJECT"}
    env.update(extra or {})
    return env
