"""Errors answered as Google APIs answer them: `{"error": {"code", "message", "status"}}`."""

from typing import Any

# the codes a fault can answer with, and their gRPC status names
INJECTABLE = {
    403: ("PERMISSION_DENIED", "Permission denied on the resource (injected by the emulator)."),
    429: ("RESOURCE_EXHAUSTED", "Quota exceeded (injected by the emulator)."),
    500: ("INTERNAL", "Internal error encountered (injected by the emulator)."),
    503: ("UNAVAILABLE", "The service is currently unavailable (injected by the emulator)."),
    504: ("DEADLINE_EXCEEDED", "The request timed out (injected by the emulator)."),
}


class ApiError(Exception):
    """A request the API refuses; `http` and `status` as Google's REST mapping of gRPC codes."""

    def __init__(self, http: int, status: str, message: str) -> None:
        super().__init__(message)
        self.http = http
        self.status = status
        self.message = message

    def to_json(self) -> dict[str, Any]:
        return {"error": {"code": self.http, "message": self.message, "status": self.status}}


def invalid_argument(message: str) -> ApiError:
    return ApiError(400, "INVALID_ARGUMENT", message)


def failed_precondition(message: str) -> ApiError:
    return ApiError(400, "FAILED_PRECONDITION", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", message)


def already_exists(message: str) -> ApiError:
    return ApiError(409, "ALREADY_EXISTS", message)


def internal(message: str) -> ApiError:
    return ApiError(500, "INTERNAL", message)


def injected(http: int) -> ApiError:
    """The answer of an injected fault; `http` is one of INJECTABLE."""
    status, message = INJECTABLE[http]
    return ApiError(http, status, message)
