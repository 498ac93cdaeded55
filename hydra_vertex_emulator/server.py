"""The HTTP server: routes API requests to the PipelineService, with faults and counters, and
serves the emulator's own endpoints under /emulator/ (never faulted, never counted):

    GET /emulator/stats     request counters        POST /emulator/reset   zero them, reseed faults
    GET /emulator/faults    fault settings          POST /emulator/faults  replace them (JSON)
"""

import json
import logging
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .errors import ApiError, injected, invalid_argument, not_found
from .faults import FaultInjector, fault_config_from_json
from .routes import Request, find_route, query_params
from .service import PipelineService
from .stats import RequestStats

log = logging.getLogger(__name__)


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        service: PipelineService,
        stats: RequestStats,
        faults: FaultInjector,
    ) -> None:
        super().__init__(address, EmulatorHandler)
        self.service = service
        self.stats = stats
        self.faults = faults


class EmulatorHandler(BaseHTTPRequestHandler):
    server: EmulatorHTTPServer
    server_version = "hydra-vertex-emulator"

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(f"{self.address_string()} {format % args}")

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError as e:
            raise invalid_argument(f"Invalid JSON payload received. {e}") from e

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        if path.startswith("/emulator/"):
            self._handle_emulator(method, path)
            return
        found = find_route(method, path)
        kind = found[0].kind if found else "unknown"
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
        try:
            if found is None:
                raise not_found(f"The requested URL {path} ({method}) was not found.")
            route, params = found
            request = Request(params, query_params(parse_qsl(url.query)), self._body())
            reply = route.handler(server.service, request)
        except ApiError as e:
            log.info(f"{method} {path}: {e.http} {e.status}: {e.message}")
            self._send(e.http, e.to_json())
            return
        if reply.created is not None:
            server.stats.count_created(reply.created)
            if server.faults.drop_created():
                server.stats.count_injected("dropped")
                log.info(f"Created {reply.created}; dropping the connection (injected fault)")
                self.close_connection = True
                return
        self._send(200, reply.body)

    def _handle_emulator(self, method: str, path: str) -> None:
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
                body = self._body()
                server.faults.configure(fault_config_from_json(body or {}))
            except (ApiError, TypeError, ValueError) as e:
                self._send(400, invalid_argument(f"Bad fault settings: {e}").to_json())
                return
            self._send(200, server.faults.config.to_json())
        else:
            self._send(404, not_found(f"No emulator endpoint {method} {path}.").to_json())
