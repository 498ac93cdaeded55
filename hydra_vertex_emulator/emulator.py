"""The emulator as an object: build it from an EmulatorConfig, serve, inspect, close."""

import contextlib
import logging
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from .cache import ExecutionCache
from .executor import JobExecutor
from .faults import FaultConfig, FaultInjector
from .gcs import GcsUploader, check_storage_dir, local_path
from .guard import is_loopback
from .registry import ImageRegistry
from .server import EmulatorHTTPServer
from .service import PipelineService
from .stats import RequestStats
from .store import JobStore

log = logging.getLogger(__name__)

# how often the server loop looks for a shutdown request: what close() may wait
SHUTDOWN_POLL_S = 0.05


@dataclass(frozen=True)
class EmulatorConfig:
    # address to listen on; 127.0.0.1 keeps it on this machine
    host: str = "127.0.0.1"
    # listen on a host other than loopback: whoever reaches it can run commands as this user
    allow_remote: bool = False
    # 0 picks a free port
    port: int = 8080
    # where gs://bucket/path lives (as <storage_dir>/bucket/path); None: a temporary folder
    storage_dir: Path | None = None
    # jobs that run at once; the others wait in PIPELINE_STATE_PENDING
    max_parallel_jobs: int = 2
    # a GCS JSON API endpoint (e.g. gcp-storage-emulator) that output artifacts are uploaded to
    gcs_endpoint: str | None = None
    # echo the components' output, prefixed with job id and task
    echo: bool = False
    # images the registry endpoint (/v2/) knows, as repository:tag, e.g. mnist/train:1
    images: tuple[str, ...] = ()
    faults: FaultConfig = field(default_factory=FaultConfig)


class Emulator:
    """A running emulator: its HTTP server, job store, worker pool and storage folder."""

    def __init__(self, config: EmulatorConfig) -> None:
        if config.max_parallel_jobs < 1:
            raise ValueError("max_parallel_jobs must be at least 1")
        if not is_loopback(config.host):
            if not config.allow_remote:
                raise ValueError(
                    f"host {config.host!r} can be reached from other machines, and whoever "
                    "reaches the emulator can run any command as this user: listen on "
                    "127.0.0.1, or pass --allow-remote (allow_remote=True) to serve there anyway"
                )
            log.warning(
                f"Listening on {config.host}: anyone who can reach this address can run any "
                "command on this machine as this user through the emulator."
            )
        self._registry = ImageRegistry(config.images)
        self._temporary = config.storage_dir is None
        # resolved: every path derived from a request is checked against it (storage_paths.py)
        self.storage_dir = (
            Path(tempfile.mkdtemp(prefix="vertex-emulator-"))
            if config.storage_dir is None
            else config.storage_dir
        ).resolve()
        check_storage_dir(self.storage_dir)
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        uploader = GcsUploader(config.gcs_endpoint) if config.gcs_endpoint else None
        store = JobStore()
        self._executor = JobExecutor(
            store,
            ExecutionCache(),
            self.storage_dir,
            uploader,
            config.max_parallel_jobs,
            config.echo,
        )
        self._stats = RequestStats()
        self._faults = FaultInjector(config.faults)
        self._server = EmulatorHTTPServer(
            (config.host, config.port),
            PipelineService(store, self._executor),
            self._registry,
            self._stats,
            self._faults,
        )
        self._thread: threading.Thread | None = None

    @property
    def registry_host(self) -> str:
        """host:port of the registry endpoint: an image `<registry_host>/mnist/train:1` is
        looked up there (`images`)."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def endpoint(self) -> str:
        """http://host:port: what `api_endpoint` is set to."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def set_faults(self, faults: FaultConfig) -> None:
        """Use these fault settings from now on (fresh random draws and create counts)."""
        self._faults.configure(faults)

    def stats(self) -> dict[str, Any]:
        """Requests per kind, injected faults, successful creates per job id."""
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        self._stats.reset()

    def local_path(self, uri: str) -> Path:
        """Where a gs:// URI lives on this machine."""
        return local_path(self.storage_dir, uri)

    def start(self) -> "Emulator":
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(SHUTDOWN_POLL_S,),
            name="vertex-emulator",
            daemon=True,
        )
        self._thread.start()
        log.info(f"Vertex AI Pipelines emulator on {self.endpoint} (storage: {self.storage_dir})")
        return self

    @contextlib.contextmanager
    def api_down(self) -> Iterator[None]:
        """A restart of the API endpoint: inside the block the port refuses connections (the
        server stops listening); after it the same port answers again. What a restarted Vertex
        AI endpoint keeps is kept: the jobs (which go on running meanwhile), storage, counters
        and fault settings."""
        assert self._thread is not None, "start() the emulator first"
        # the host as it was given (the guard accepts it as Host), the port it got
        address = (self._server.guard.bind_host, self._server.server_address[1])
        service = self._server.service
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()
        log.info(f"Emulator API down (port {address[1]} refuses connections)")
        try:
            yield
        finally:
            self._server = EmulatorHTTPServer(
                address, service, self._registry, self._stats, self._faults
            )
            self.start()

    def serve_forever(self) -> None:
        """Serve in this thread until `close()` (from another thread) or KeyboardInterrupt."""
        log.info(f"Vertex AI Pipelines emulator on {self.endpoint} (storage: {self.storage_dir})")
        self._server.serve_forever()

    def close(self) -> None:
        """Stop serving, cancel running jobs, and remove a temporary storage folder."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
        self._executor.shutdown()
        if self._temporary:
            shutil.rmtree(self.storage_dir, ignore_errors=True)

    def __enter__(self) -> "Emulator":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
