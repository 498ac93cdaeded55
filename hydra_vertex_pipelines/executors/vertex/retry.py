"""RetryPolicy: bounded retries with exponential backoff and full jitter for Vertex AI calls.

Retried: 429 (quota), every 5xx, and connection errors (refused, reset, dropped, timed out).
Anything else (400 bad spec, 403 permission, 404, 409) is the answer: it goes back at once.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class RetryPolicy:
    # calls made at most, the first included
    max_attempts: int = 10
    # upper bound of the first wait; each further wait's bound is `multiplier` times larger
    initial_backoff_s: float = 0.5
    multiplier: float = 2.0
    # no wait's bound grows beyond this
    max_backoff_s: float = 30.0

    def backoff_s(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (0-based): uniform in [0, bound] ("full
        jitter"), so that jobs throttled together do not come back together."""
        bound = min(self.max_backoff_s, self.initial_backoff_s * self.multiplier**retry)
        return random.uniform(0.0, bound)


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, _RETRYABLE)


def call_with_retries(call: Callable[[], T], policy: RetryPolicy, what: str) -> T:
    """`call()`, retried under `policy` while it fails with a retryable error."""
    for retry in range(policy.max_attempts - 1):
        try:
            return call()
        except Exception as e:
            if not is_retryable(e):
                raise
            wait_s = policy.backoff_s(retry)
            log.debug(f"{what}: {type(e).__name__}: {e}; retry {retry + 1} in {wait_s:.2f} s")
            time.sleep(wait_s)
    return call()
