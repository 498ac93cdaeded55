"""The HTTP server: routes API requests to the PipelineService, with faults and counters, and
serves the emulator's own endpoints under /emulator/ (never faulted, never counted) and a Docker
registry's manifest endpoint under /v2/ (registry.py; counted and faulted as `manifest`). Every
request passes the RequestGuard first (only this machine's API clients are served); every
answer, refusals and internal errors included, is Google's error JSON:

    GET /emulator/stats     request counters        POST /emulator/reset   zero them, reseed faults
    GET /emulator/faults    fault settings          POST /emulator/faults  replace them (JSON)
"""

import json
import logging
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .errors import ApiError, injected, internal, invalid_argument, not_found
from .faults import FaultInjector, fault_config_from_json
from .guard import RequestGuard
from .registry import ImageRegistry
from .routes import Request, find_route, query_params
from .service import PipelineService
from .stats import RequestStats

log = logging.getLogger(__name__)

# the largest request body read (a pipeline spec of thousands of tasks is a few MB)
MAX_BODY_BYTES = 32 << 20


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        service: PipelineService,
        registry: ImageRegistry,
        stats: RequestStats,
        faults: FaultInjector,
    ) -> None:
        super().__init__(address, EmulatorHandler)
        self.service = service
        self.registry = registry
        self.stats = stats
        self.faults = faults
        self.guard = RequestGuard(address[0], self.server_address[1])


class EmulatorHandler(BaseHTTPRequestHandler):
    server: EmulatorHTTPServer
    server_version = "hydra-vertex-emulator"

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(f"{self.address_string()} {format % args}")

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self._send_bytes(status, {"Content-Type": "application/json; charset=UTF-8"}, data)

    def _send_bytes(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _content_length(self) -> int:
        text = self.headers.get("Content-Length") or "0"
        if not text.isdigit():
            raise invalid_argument(f"Content-Length {text!r} is not a number of bytes.")
        if int(text) > MAX_BODY_BYTES:
            raise invalid_argument(
                f"Request payload size exceeds the limit: {MAX_BODY_BYTES} bytes."
            )
        return int(text)

    def _admit(self, method: str) -> int | None:
        """The body's length if the request may be served; else it is answered (and counted)."""
        try:
            length = self._content_length()
            headers: dict[str, str] = {}
            for name, value in self.headers.items():
                headers.setdefault(name.lower(), value)  # the first of repeated headers
            self.server.guard.check(method, headers, length > 0)
        except ApiError as e:
            log.warning(f"Refused {method} {self.path} from {self.address_string()}: {e.message}")
            self.server.stats.count_refused()
            self.close_connection = True  # its body, if any, is not read
            self._send(e.http, e.to_json())
            return None
        return length

    @staticmethod
    def _json(raw: bytes) -> Any:
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except (ValueError, RecursionError) as e:
            raise invalid_argument(f"Invalid JSON payload received. {e}") from e

    def _handle(self, method: str) -> None:
        length = self._admit(method)
        if length is None:
            return
        raw = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        path = unquote(url.path)
        if path.startswith("/emulator/"):
            self._handle_emulator(method, path, raw)
            return
        registry = path == "/v2" or path.startswith("/v2/")
        found = None if registry else find_route(method, path)
        kind = "manifest" if registry else found[0].kind if found else "unknown"
        server = self.server
        server.stats.count_request(kind)
        latency = server.faults.latency()
        if latency:
            time.sleep(latency)
        code = server.faults.error(kind)
        if code is not None:
            server.stats.count_injected(str(code))
            self._send(code, injected(code).to_json())
            return
        if registry:
            self._handle_registry(method, path)
            return
        try:
            if found is None:
                raise not_found(f"The requested URL {path} ({method}) was not found.")
            route, params = found
            request = Request(params, query_params(parse_qsl(url.query)), self._json(raw))
            reply = route.handler(server.service, request)
        except ApiError as e:
            log.info(f"{method} {path}: {e.http} {e.status}: {e.message}")
            self._send(e.http, e.to_json())
            return
        except Exception as e:
            log.exception(f"{method} {path}: the emulator failed")
            self._send(500, internal(f"The emulator failed: {type(e).__name__}: {e}").to_json())
            return
        if reply.created is not None:
            server.stats.count_created(reply.created)
            if server.faults.drop_created():
                server.stats.count_injected("dropped")
                log.info(f"Created {reply.created}; dropping the connection (injected fault)")
                self.close_connection = True
                return
        self._send(200, reply.body)

    def _handle_registry(self, method: str, path: str) -> None:
        answer = self.server.registry.answer(method, path, self.headers.get("Accept", ""))
        self._send_bytes(answer.status, answer.headers, answer.body)

    def _handle_emulator(self, method: str, path: str, raw: bytes) -> None:
        server = self.server
        if (method, path) == ("GET", "/emulator/stats"):
            self._send(200, server.stats.snapshot())
        elif (method, path) == ("POST", "/emulator/reset"):
            server.stats.reset()
            server.faults.configure(server.faults.config)
            self._send(200, {})
        elif (method, path) == ("GET", "/emulator/faults"):
            self._send(200, server.faults.config.to_json())
        elif (method, path) == ("POST", "/emulator/faults"):
            try:
                body = self._json(raw)
                server.faults.configure(fault_config_from_json(body or {}))
            except (ApiError, TypeError, ValueError) as e:
                self._send(400, invalid_argument(f"Bad fault settings: {e}").to_json())
                return
            self._send(200, server.faults.config.to_json())
        else:
            self._send(404, not_found(f"No emulator endpoint {method} {path}.").to_json())
