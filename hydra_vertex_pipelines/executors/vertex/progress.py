"""What the user sees while a sweep runs on Vertex AI: job counts per state, and a summary table."""

import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TextIO

log = logging.getLogger(__name__)

STATE_PREFIX = "PIPELINE_STATE_"


def state_text(state_name: str) -> str:
    """PIPELINE_STATE_RUNNING -> running."""
    return state_name.removeprefix(STATE_PREFIX).lower()


class SweepProgress:
    """Counts per state and the time elapsed: one line rewritten in place on a terminal; on
    anything else (a log file, CI) a log line whenever the counts change."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.started = time.monotonic()
        self.last_counts: Counter[str] | None = None

    def update(self, state_names: Iterable[str]) -> None:
        counts = Counter(state_text(s) for s in state_names)
        elapsed = int(time.monotonic() - self.started)
        text = f"{sum(counts.values())} jobs: " + ", ".join(
            f"{n} {state}" for state, n in sorted(counts.items())
        )
        text += f" [{elapsed // 60:d}:{elapsed % 60:02d}]"
        if self.live:
            self.stream.write(f"\r\033[K{text}")
            self.stream.flush()
        elif counts != self.last_counts:
            log.info(text)
        self.last_counts = counts

    def job_finished(self, text: str) -> None:
        """A log line for a job that finished, above the counts line on a terminal."""
        if self.live:
            self.stream.write("\r\033[K")
            self.stream.flush()
        log.info(text)

    def close(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()


SUMMARY_HEADER = ("#", "state", "value", "job id")


def summary_table(
    rows: Sequence[tuple[int | str, ...]], header: Sequence[str] = SUMMARY_HEADER
) -> str:
    """Rows of (job num, then a text per column of `header` after "#") as an aligned table."""
    cells = [tuple(header), *[tuple(str(cell) for cell in row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)
