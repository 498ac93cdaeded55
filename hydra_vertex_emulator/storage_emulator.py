"""gcp-storage-emulator on a free loopback port, beside the Vertex emulator, so that artifacts are
readable through the GCS JSON API. gcp-storage-emulator is a test dependency: imported on start."""

import contextlib
import socket
from collections.abc import Iterable, Iterator

from google.api_core.exceptions import Conflict
from google.auth.credentials import AnonymousCredentials
from google.cloud.storage import Client


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def create_buckets(endpoint: str, names: Iterable[str]) -> None:
    """Create the buckets at a GCS endpoint (those that exist stay), as a user creates the
    pipeline root's bucket before a first run on Vertex AI."""
    client = Client(
        project="hydra-vertex-emulator",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": endpoint},
    )
    for name in names:
        with contextlib.suppress(Conflict):
            client.create_bucket(name)


@contextlib.contextmanager
def storage_emulator(
    default_bucket: str | None = None, buckets: Iterable[str] = ()
) -> Iterator[str]:
    """An in-memory gcp-storage-emulator with these buckets while the block runs; yields its
    endpoint."""
    from gcp_storage_emulator.server import create_server

    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket=default_bucket)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        create_buckets(endpoint, buckets)
        yield endpoint
    finally:
        server.stop()
