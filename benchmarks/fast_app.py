"""What the emulator benchmarks share: the fast test app's dir as the working dir (its launcher
config names `${hydra.runtime.cwd}/square.py`) and a gcp-storage-emulator for the pipeline root."""

import contextlib
import os
from collections.abc import Iterator

from vertex_launch import APP_DIR  # the benchmarks put tests/vertex on sys.path first

from hydra_vertex_emulator.storage_emulator import storage_emulator


@contextlib.contextmanager
def fast_app_with_storage(bucket: str) -> Iterator[None]:
    """In the fast app's dir, with STORAGE_EMULATOR_HOST naming a storage emulator that holds
    `bucket`."""
    with storage_emulator(bucket) as host:
        os.environ["STORAGE_EMULATOR_HOST"] = host
        os.chdir(APP_DIR)
        yield
