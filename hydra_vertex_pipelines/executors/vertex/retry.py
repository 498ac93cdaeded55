"""RetryPolicy: retries with exponential backoff and full jitter for Vertex AI calls, for as long
as a deadline allows, cut short when the sweep is stopping.

Retried: 429 (quota), every 5xx, and connection errors (refused, reset, dropped, timed out), as an
outage or a restarting endpoint gives them. Anything else (400 bad spec, 403 permission, 404, 409)
is the answer: it goes back at once.
"""

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import requests
from google.api_core import exceptions

log = logging.getLogger(__name__)

T = TypeVar("T")

_RETRYABLE: tuple[type[BaseException], ...] = (
    exceptions.TooManyRequests,
    exceptions.ServerError,
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)
# a call failing this long is reported as an outage (a warning), and then every REPORT_EVERY_S
QUIET_FOR_S = 2.0
REPORT_EVERY_S = 30.0


class GaveUp(Exception):
    """A call kept failing with retryable errors until its deadline: Vertex AI is unreachable or
    overloaded; nothing is known of what the call would have done."""

    def __init__(self, what: str, elapsed_s: float, last: BaseException) -> None:
        super().__init__(
            f"{what}: Vertex AI kept failing for {elapsed_s:.0f} s (last: {describe(last)})"
        )
        self.last = last


class Stopped(Exception):
    """A retry was not made because the sweep is stopping (an interrupt)."""


@dataclass(frozen=True)
class RetryPolicy:
    # seconds a call keeps retrying retryable errors, from its first try; then GaveUp
    deadline_s: float = 600.0
    # upper bound of the first wait; each further wait's bound is `multiplier` times larger
    initial_backoff_s: float = 0.5
    multiplier: float = 2.0
    # no wait's bound grows beyond this
    max_backoff_s: float = 30.0
    # set when the sweep stops: waits end at once and no further try is made
    stop: threading.Event = field(default_factory=threading.Event, compare=False)

    def backoff_s(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (0-based): uniform in [0, bound] ("full
        jitter"), so that jobs throttled together do not come back together."""
        exponent = min(retry, 64)
        bound = min(self.max_backoff_s, self.initial_backoff_s * self.multiplier**exponent)
        return random.uniform(0.0, bound)


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, _RETRYABLE)


def describe(error: BaseException) -> str:
    """A short account of a failed call: `503 ServiceUnavailable`, `ConnectionError`."""
    name = type(error).__name__
    if isinstance(error, exceptions.GoogleAPICallError) and error.code:
        return f"{int(error.code)} {name}"
    return name


class _OutageReports:
    """An outage is no call of this process succeeding for QUIET_FOR_S (a few failed tries among
    successful ones are not one): one warning then, one per REPORT_EVERY_S while it lasts, and
    one when a call succeeds again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failing_since: float | None = None
        self._last_report = 0.0
        self._reported = False

    def failed(self, what: str, error: Exception, deadline_s: float) -> None:
        now = time.monotonic()
        with self._lock:
            if self._failing_since is None:
                self._failing_since = now
            failing_s = now - self._failing_since
            if failing_s < QUIET_FOR_S or now - self._last_report < REPORT_EVERY_S:
                return
            self._last_report, self._reported = now, True
        log.warning(
            f"Vertex AI is not answering ({what}: {describe(error)}) for {failing_s:.0f} s; "
            f"retrying with backoff for up to {deadline_s:g} s"
        )

    def succeeded(self, what: str) -> None:
        with self._lock:
            reported, self._reported = self._reported, False
            self._failing_since = None
            if reported:
                self._last_report = 0.0
        if reported:
            log.warning(f"Vertex AI answers again ({what})")


_OUTAGES = _OutageReports()


def call_with_retries(call: Callable[[], T], policy: RetryPolicy, what: str) -> T:
    """`call()`, retried under `policy` while it fails with a retryable error."""
    started = time.monotonic()
    retry = 0
    while True:
        if policy.stop.is_set() and retry:
            raise Stopped(f"{what}: not retried, the sweep is stopping")
        try:
            result = call()
        except Exception as e:
            if not is_retryable(e):
                _OUTAGES.succeeded(what)  # an answer: the service is up
                raise
            failing_s = time.monotonic() - started
            wait_s = policy.backoff_s(retry)
            if failing_s + wait_s > policy.deadline_s:
                raise GaveUp(what, failing_s, e) from e
            log.debug(f"{what}: {type(e).__name__}: {e}; retry {retry + 1} in {wait_s:.2f} s")
            _OUTAGES.failed(what, e, policy.deadline_s)
            policy.stop.wait(wait_s)
            retry += 1
            continue
        _OUTAGES.succeeded(what)
        return result
