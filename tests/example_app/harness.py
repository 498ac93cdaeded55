"""Runs the example apps as Hydra runs them. Needs the repo root on sys.path (python -m pytest)."""

import inspect
import os
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from hydra import version
from hydra._internal.hydra import Hydra
from hydra.core.global_hydra import GlobalHydra
from hydra.core.utils import JobReturn

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_hydra_app(app: ModuleType, overrides: Sequence[str]) -> JobReturn:
    """Run an example app's task function in this process as `python app.py OVERRIDES` does;
    its JobReturn, return value included (a failed job raises its exception).

    It changes Hydra's singletons: use it with the hydra_restore_singletons fixture."""
    assert app.__file__ is not None
    version.setbase("1.3")
    hydra_app = Hydra.create_main_hydra_file_or_module(
        calling_file=app.__file__,
        calling_module=None,
        config_path="conf",
        job_name=app.__name__.rsplit(".", 1)[-1],
    )
    try:
        return hydra_app.run(
            config_name="config",
            task_function=inspect.unwrap(app.main),
            overrides=list(overrides),
            with_log_configuration=False,
        )
    finally:
        GlobalHydra.instance().clear()


def subprocess_env() -> dict[str, str]:
    """Environment of an example app run as a command from another directory: example_app
    importable, one intra-op thread (as the single_torch_thread fixture)."""
    paths = [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "OMP_NUM_THREADS": "1"}
