"""Against the emulator (a plain-http endpoint) the launcher never reaches for Application
Default Credentials or Google's endpoints, even with ADC set up, and a copy of Hydra outputs that
cannot be made is a warning, not a failed sweep; requests to Google are counted."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hydra.core.utils import JobStatus
from vertex_checks import StartEmulator
from vertex_launch import APP_DIR, launch

pytestmark = pytest.mark.usefixtures("in_app_dir")


class CountingHandler(BaseHTTPRequestHandler):
    """Counts every request (token refreshes, proxy CONNECTs) and answers 503."""

    server: "CountingServer"

    def _count(self) -> None:
        with self.server.lock:
            self.server.seen.append(f"{self.command} {self.path}")
        self.send_error(503)

    do_GET = do_POST = do_CONNECT = _count

    def log_message(self, format: str, *args: Any) -> None:
        pass


class CountingServer(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), CountingHandler)
        self.lock = threading.Lock()
        self.seen: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def google(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingServer]:
    """ADC that would refresh a token at a local counting server, and the same server as the
    proxy for every other host: any attempt to reach Google is counted."""
    server = CountingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    credentials = tmp_path / "adc.json"
    adc = {
        "type": "authorized_user",
        "client_id": "id.apps.googleusercontent.com",
        "client_secret": "not-a-secret",
        "refresh_token": "not-a-token",
        "token_uri": f"{server.url}/token",
    }
    credentials.write_text(json.dumps(adc))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(credentials))
    for proxy in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(proxy, server.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("storage_emulator_set", [True, False])
def test_results_come_back_without_a_request_to_google(
    start_emulator: StartEmulator,
    google: CountingServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    storage_emulator_set: bool,
) -> None:
    emulator = start_emulator()
    if not storage_emulator_set:
        monkeypatch.delenv("STORAGE_EMULATOR_HOST")
    overrides = ["hydra/launcher=fast", f"hydra.launcher.api_endpoint={emulator.endpoint}"]
    rets = launch(APP_DIR, overrides, [["x=2"], ["x=3"]], tmp_path / "sweep")
    assert [r.status for r in rets] == [JobStatus.COMPLETED] * 2
    assert [r.return_value for r in rets] == [4.0, 9.0]
    copied = (tmp_path / "sweep" / "1" / "hydra_output" / "square.log").exists()
    assert copied == storage_emulator_set  # else skipped with a warning
    assert google.seen == []
