"""Small HTTP servers on 127.0.0.1 for what the preflight asks of Google that no emulator
serves: an OAuth 2.0 token endpoint (which Application Default Credentials refresh against) and
a Cloud Storage JSON API that lets a bucket be read but not written to."""

import base64
import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# (method, path) -> (status, JSON body)
Answer = Callable[[str, str], tuple[int, Any]]


@contextlib.contextmanager
def serve(answer: Answer) -> Iterator[str]:
    """A server answering every request with `answer(method, path)`; yields its endpoint."""

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            status, body = answer(self.command, self.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _reply

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def id_token(email: str) -> str:
    """An ID token as Google's token endpoint returns one with a user login (unsigned here: the
    launcher only reads who it names)."""
    header, claims = {"alg": "RS256", "typ": "JWT"}, {"email": email, "sub": "1"}
    return f"{_segment(header)}.{_segment(claims)}.{_segment({'sig': 0})}"


def token_endpoint(refuse: bool) -> Answer:
    """Google's token endpoint: an access token for a credential's grant, or the refusal of an
    expired or revoked one."""

    def answer(method: str, path: str) -> tuple[int, Any]:
        if refuse:
            refusal = "Token has been expired or revoked."
            return 400, {"error": "invalid_grant", "error_description": refusal}
        return 200, {"access_token": "ya29.local-token", "expires_in": 3600, "token_type": "Bearer"}

    return answer


def read_only_storage(location: str) -> Answer:
    """Cloud Storage where every bucket exists in `location` and no object may be written."""

    def answer(method: str, path: str) -> tuple[int, Any]:
        if method == "GET" and path.startswith("/storage/v1/b/"):
            name = path.split("?", 1)[0].removeprefix("/storage/v1/b/")
            return 200, {"kind": "storage#bucket", "name": name, "location": location}
        message = "someone@example.org does not have storage.objects.create access."
        return 403, {"error": {"code": 403, "message": message, "errors": []}}

    return answer
