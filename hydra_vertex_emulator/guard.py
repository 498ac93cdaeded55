"""Who may call the emulator. It runs any command a job names, as the user who started it, so a
request is served only if it comes from a client on this machine, not from a web page:

- `Host` names this machine (localhost, 127.0.0.0/8, ::1) or the address the emulator was started
  on: a DNS-rebinding page reaches 127.0.0.1 under its own name, which is refused;
- no `Origin` other than the emulator's own, and no `Sec-Fetch-Site` other than same-origin or
  none: browsers send them, API clients do not;
- a POST, and any request with a body, is `application/json`: a page can POST `text/plain`,
  form data or no body at all without a CORS preflight, never JSON.

With --host 0.0.0.0 (--allow-remote), any IP address is accepted as `Host` too: a rebinding page
always goes by a name.
"""

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import ApiError, invalid_argument

LOOPBACK_NAMES = ("localhost",)
_WILDCARDS = ("0.0.0.0", "::", "")
_SAFE_FETCH_SITES = ("same-origin", "none")


def is_loopback(host: str) -> bool:
    """Whether a host name or address is this machine's loopback interface."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _host_and_port(netloc: str) -> tuple[str, int | None]:
    """`Example.com:8080` -> (example.com, 8080), `[::1]` -> (::1, None); ("", None) if not
    readable."""
    try:
        parts = urlsplit(f"//{netloc.strip()}")
        return parts.hostname or "", parts.port
    except ValueError:
        return "", None


def forbidden(message: str) -> ApiError:
    return ApiError(403, "PERMISSION_DENIED", message)


@dataclass(frozen=True)
class RequestGuard:
    # the address the server listens on (--host)
    bind_host: str
    # its port, for the emulator's own origin
    port: int

    def host_allowed(self, host: str) -> bool:
        if is_loopback(host) or host == self.bind_host.strip("[]").lower():
            return True
        return self.bind_host in _WILDCARDS and _is_ip(host)

    def check(self, method: str, headers: Mapping[str, str], has_body: bool) -> None:
        """Raise the ApiError (403 or 400) that refuses the request, if any; `headers` by
        lowercase name."""
        host_header = headers.get("host")
        if host_header is not None and not self.host_allowed(_host_and_port(host_header)[0]):
            raise forbidden(
                f"Host {host_header!r} is not this machine: the emulator answers requests to "
                "localhost or the address it listens on only."
            )
        origin = headers.get("origin")
        if origin is not None and not self._own_origin(origin):
            raise forbidden(
                f"Cross-origin request from {origin!r} refused: the emulator runs commands and "
                "answers API clients on this machine, not web pages."
            )
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site.lower() not in _SAFE_FETCH_SITES:
            raise forbidden(f"A {fetch_site} browser request is refused.")
        content_type = headers.get("content-type", "")
        media_type = content_type.split(";", 1)[0].strip().lower()
        if (method == "POST" or has_body or content_type) and media_type != "application/json":
            raise invalid_argument(
                f"Content-Type {content_type or '(none)'!s} is not accepted: send application/json."
            )

    def _own_origin(self, origin: str) -> bool:
        scheme, _, netloc = origin.lower().partition("://")
        host, port = _host_and_port(netloc)
        return scheme == "http" and bool(host) and self.host_allowed(host) and port == self.port
