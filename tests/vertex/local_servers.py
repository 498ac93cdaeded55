"""Small HTTP servers on 127.0.0.1 for what the preflight asks that no emulator serves: an OAuth
2.0 token endpoint (which Application Default Credentials refresh against), a Cloud Storage JSON
API that lets a bucket be read but not written to, and a registry that wants a pull token, as
Docker Hub does."""

import base64
import contextlib
import json
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from hydra_vertex_emulator.registry import MANIFEST_TYPE


@dataclass(frozen=True)
class Call:
    method: str
    # with the query
    path: str
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


Answer = Callable[[Call], Reply]


@contextlib.contextmanager
def serve(answer: Answer) -> Iterator[str]:
    """A server answering every request with `answer(call)` (a JSON body); yields its
    endpoint."""

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            reply = answer(Call(self.command, self.path, dict(self.headers.items())))
            data = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            for name, value in {"Content-Type": "application/json", **reply.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _reply

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
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

    def answer(call: Call) -> Reply:
        if refuse:
            refusal = "Token has been expired or revoked."
            return Reply(400, {"error": "invalid_grant", "error_description": refusal})
        token = {"access_token": "ya29.local-token", "expires_in": 3600, "token_type": "Bearer"}
        return Reply(200, token)

    return answer


def read_only_storage(location: str) -> Answer:
    """Cloud Storage where every bucket exists in `location` and no object may be written."""

    def answer(call: Call) -> Reply:
        if call.method == "GET" and call.path.startswith("/storage/v1/b/"):
            name = call.path.split("?", 1)[0].removeprefix("/storage/v1/b/")
            return Reply(200, {"kind": "storage#bucket", "name": name, "location": location})
        message = "someone@example.org does not have storage.objects.create access."
        return Reply(403, {"error": {"code": 403, "message": message, "errors": []}})

    return answer


def token_registry(images: Collection[str], grant: bool = True) -> Answer:
    """A registry that answers a manifest request without a pull token 401 with a Bearer
    challenge, and hands out anonymous pull tokens at /token (none when not `grant`), as Docker
    Hub does; `images` as repository/manifests/reference paths, e.g. apps/train/manifests/v1."""

    def answer(call: Call) -> Reply:
        path = call.path.split("?", 1)[0]
        if path == "/token":
            return Reply(200, {"token": "pull-token"}) if grant else Reply(403, {})
        repository = path.removeprefix("/v2/").split("/manifests/", 1)[0]
        if call.headers.get("Authorization") != "Bearer pull-token":
            realm = f"http://{call.headers['Host']}/token"
            scope = f"repository:{repository}:pull"
            challenge = f'Bearer realm="{realm}",service="local",scope="{scope}"'
            return Reply(401, {"errors": []}, {"WWW-Authenticate": challenge})
        if path.removeprefix("/v2/") in images:
            return Reply(200, {}, {"Content-Type": MANIFEST_TYPE})
        return Reply(404, {"errors": [{"code": "MANIFEST_UNKNOWN"}]})

    return answer
