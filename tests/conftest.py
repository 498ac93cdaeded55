"""Shared test settings: a reproducible hypothesis profile under CI, and a Hydra app runner."""

# first, before any test module: aiplatform_v1 minus its 0.6 s __init__, submodules then cheap
import hydra_vertex_pipelines.vertex_api  # noqa: F401  # isort: skip

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from app_runner import RunApp, app_env
from hydra.core.global_hydra import GlobalHydra
from hydra.version import VersionBase
from hypothesis import settings

from hydra_vertex_emulator.storage_emulator import storage_emulator

# A test run started in the background by a shell without job control (`.ci/run &`) inherits
# SIGINT ignored, one started with nohup SIGHUP, and so would every launcher the tests start to
# interrupt with them: the launcher keeps an ignored signal ignored, as Python does. The tests
# take them back (SIGINT as Python's default handler, SIGHUP as the system's default), and the
# children they start inherit that.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
if signal.getsignal(signal.SIGHUP) is signal.SIG_IGN:
    signal.signal(signal.SIGHUP, signal.SIG_DFL)

# One OpenMP thread in every process the tests start (torch's training steps, numpy): three test
# processes already share the cores, and an OpenMP thread that waits for a busy core spins, which
# tripled the CPU time of a training step under the suite.
os.environ.setdefault("OMP_NUM_THREADS", "1")

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


# the buckets of the pipeline roots that tests launch with against the Cloud Storage emulator:
# they exist before a sweep, as on Vertex AI (the launcher's preflight checks)
TEST_BUCKETS = ("test-bucket", "probe-bucket")


@pytest.fixture(scope="module")
def gcs_emulator() -> Iterator[str]:
    """The package's in-memory gcp-storage-emulator for a test module, with the tests' buckets:
    it rewrites its whole object list on every upload, so one for the session grew slower with
    every test that ran before."""
    with storage_emulator(buckets=TEST_BUCKETS) as endpoint:
        yield endpoint


# The scopes that keep an xdist worker longest (seconds under `make test`, 2026-12-01), started
# first so that none of them is left running alone at the end while the other workers idle; the
# rest follow, most tests first (xdist's own order)
LONGEST_FIRST = (
    "tests/test_validation.py",  # 23
    "tests/vertex/test_vertex_hydra_suite.py::TestVertexPipelineLauncherIntegration",  # 22
    "tests/test_local_mode.py",  # 21
    "tests/vertex/test_vertex_mode.py",  # 21
    "tests/test_composer.py",  # 20
    "tests/emulator",  # 16
    "tests/example_app/test_example_train.py",  # 15
    "tests/test_local_hydra_suites.py::TestVertexPipelineLauncherLocalIntegration",  # 13
    "tests/example_app/test_example_pipeline.py",  # 11, one test
    "tests/test_job_fidelity.py",  # 11
    "tests/vertex/test_resume.py",  # 11
    "tests/vertex/test_outages.py",  # 10
    "tests/test_process_supervision.py",  # 9
    "tests/vertex/test_kill_resume.py",  # 9, one test
)


def xdist_scope(nodeid: str) -> str:
    """What one worker runs together: a test module or class (`--dist loadscope`), but the
    emulator's tests (tests/emulator) are one scope: they drive it through Vertex AI's SDK,
    whose import (2 s of CPU) one worker then pays, not every worker."""
    if nodeid.startswith("tests/emulator/"):
        return "tests/emulator"
    return nodeid.rsplit("::", 1)[0]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Scopes in LONGEST_FIRST order, then the rest by their number of tests."""
    counts = Counter(xdist_scope(item.nodeid) for item in items)

    def rank(item: pytest.Item) -> tuple[int, int]:
        scope = xdist_scope(item.nodeid)
        if scope in LONGEST_FIRST:
            return LONGEST_FIRST.index(scope), 0
        return len(LONGEST_FIRST), -counts[scope]

    items.sort(key=rank)  # stable: each scope's tests keep their order


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadscope` with the scopes of `xdist_scope`, in the order of the collection."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False  # pytest_collection_modifyitems ordered them

    class Scheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist: untyped
        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid)

    return Scheduling(config, log)


# Hydra's version base as a fresh process has it (conftest loads before any app is imported)
DEFAULT_VERSION_BASE = VersionBase.instance().getbase()


@pytest.fixture(autouse=True)
def default_hydra_version_base() -> Iterator[None]:
    """Each test starts with Hydra's default version base, as a fresh process would: it is
    process-wide, and importing an app whose @hydra.main names one (the example apps, at
    collection) sets it. Hydra's launcher suites rely on the default."""
    base = VersionBase.instance().getbase()
    VersionBase.instance().version_base = DEFAULT_VERSION_BASE  # setbase() refuses "unspecified"
    yield
    VersionBase.instance().version_base = base
    GlobalHydra.instance().clear()  # tests that compose in-process leave Hydra initialized
