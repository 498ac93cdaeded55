"""Emulator tests: every test gets an emulator on a free port (the package's pytest fixtures,
registered by its pytest11 entry point) and a pipeline compiled by the launcher's compiler."""

from pathlib import Path

import pytest
from emulator_helpers import Pipeline, compile_pipeline


@pytest.fixture
def pipeline(tmp_path: Path) -> Pipeline:
    return compile_pipeline(tmp_path)
