"""Request counters for tests: requests per kind, injected faults, successful creates per job id,
and requests refused before they were read (not from this machine's API clients, see guard.py)."""

import threading
from collections import Counter
from typing import Any

# what an API request does; `manifest` a registry request (registry.py); `unknown` is a request
# no route serves
REQUEST_KINDS = (
    "create",
    "get",
    "list",
    "cancel",
    "delete",
    "get_operation",
    "manifest",
    "unknown",
)


class RequestStats:
    """Thread-safe counters; `snapshot()` is what GET /emulator/stats answers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._injected: Counter[str] = Counter()
        self._created: Counter[str] = Counter()
        self._refused = 0

    def count_refused(self) -> None:
        with self._lock:
            self._refused += 1

    def count_request(self, kind: str) -> None:
        with self._lock:
            self._requests[kind] += 1

    def count_injected(self, fault: str) -> None:
        """`fault`: the HTTP code answered, or `dropped` for a create whose answer was dropped."""
        with self._lock:
            self._injected[fault] += 1

    def count_created(self, job_id: str) -> None:
        with self._lock:
            self._created[job_id] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": {kind: self._requests[kind] for kind in REQUEST_KINDS},
                "injected": dict(self._injected),
                "created": dict(self._created),
                "refused": self._refused,
            }

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._injected.clear()
            self._created.clear()
            self._refused = 0
