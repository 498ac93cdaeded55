"""gcp-storage-emulator on a free loopback port, beside the Vertex emulator, so that artifacts are
readable through the GCS JSON API. gcp-storage-emulator is a test dependency: imported on start."""

import contextlib
import socket
from collections.abc import Iterator


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def storage_emulator(default_bucket: str | None = None) -> Iterator[str]:
    """An in-memory gcp-storage-emulator while the block runs; yields its endpoint."""
    from gcp_storage_emulator.server import create_server

    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket=default_bucket)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
