"""Fault injection: latency, error answers (429, 503...), connections dropped after a create."""

import random
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .errors import INJECTABLE
from .stats import REQUEST_KINDS


@dataclass(frozen=True)
class FaultConfig:
    # seconds added before answering each API request
    latency_s: float = 0.0
    # fraction of API requests answered with an error from error_codes instead of being served
    error_rate: float = 0.0
    # HTTP codes of those answers: 429, 500, 503 or 504
    error_codes: tuple[int, ...] = (429, 503)
    # request kinds that errors are injected into (create, get, list, cancel, delete); empty: all
    error_kinds: tuple[str, ...] = ()
    # the first N creates that succeed are answered by closing the connection (the job exists)
    drop_first_creates: int = 0
    # fraction of the later successful creates answered the same way
    drop_create_rate: float = 0.0
    # seed of the random draws; the same seed and requests give the same faults
    seed: int = 0

    def __post_init__(self) -> None:
        if self.latency_s < 0:
            raise ValueError("latency_s must be >= 0")
        for name in ("error_rate", "drop_create_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.drop_first_creates < 0:
            raise ValueError("drop_first_creates must be >= 0")
        unknown = sorted(set(self.error_codes) - set(INJECTABLE))
        if unknown or not self.error_codes:
            raise ValueError(f"error_codes must be some of {sorted(INJECTABLE)}")
        if not set(self.error_kinds) <= set(REQUEST_KINDS):
            raise ValueError(f"error_kinds must be some of {', '.join(REQUEST_KINDS)}")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["error_codes"] = list(self.error_codes)
        data["error_kinds"] = list(self.error_kinds)
        return data


def fault_config_from_json(data: Mapping[str, Any]) -> FaultConfig:
    """A FaultConfig from its JSON form (what POST /emulator/faults receives)."""
    unknown = sorted(set(data) - set(FaultConfig.__dataclass_fields__))
    if unknown:
        raise ValueError(f"unknown fault settings: {', '.join(unknown)}")
    values = dict(data)
    for name in ("error_codes", "error_kinds"):
        if name in values:
            values[name] = tuple(values[name])
    return FaultConfig(**values)


class FaultInjector:
    """Draws the faults of each request from a seeded generator (thread-safe)."""

    def __init__(self, config: FaultConfig) -> None:
        self._lock = threading.Lock()
        self.configure(config)

    @property
    def config(self) -> FaultConfig:
        return self._config

    def configure(self, config: FaultConfig) -> None:
        """Use these settings from now on, with a fresh generator and create count."""
        with self._lock:
            self._config = config
            self._rng = random.Random(config.seed)
            self._dropped_creates = 0

    def latency(self) -> float:
        return self._config.latency_s

    def error(self, kind: str) -> int | None:
        """The HTTP code to answer this request with instead of serving it, if any."""
        with self._lock:
            config = self._config
            if config.error_rate == 0.0 or (config.error_kinds and kind not in config.error_kinds):
                return None
            if self._rng.random() >= config.error_rate:
                return None
            return self._rng.choice(config.error_codes)

    def drop_created(self) -> bool:
        """Whether to close the connection instead of answering a create that succeeded."""
        with self._lock:
            config = self._config
            if self._dropped_creates < config.drop_first_creates:
                self._dropped_creates += 1
                return True
            return config.drop_create_rate > 0.0 and self._rng.random() < config.drop_create_rate
