"""A component's output streams, copied to its log file as they come (and echoed with a prefix) in
bounded memory whatever the output looks like: a progress bar that redraws one line with `\\r` for
hours is passed on update by update, a line of many megabytes in pieces; the end of stderr is kept,
capped in lines and characters, for the error message of a failed task."""

import codecs
import contextlib
import os
import re
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

# bytes read at a time
READ_SIZE = 64 * 1024
# a line longer than this many characters is passed on in pieces of this size
SEGMENT_LIMIT = 64 * 1024
# what an error message quotes of stderr: its last lines, at most this many characters
TAIL_LINES = 20
TAIL_CHARS = 4000
# one lock for every echo, so that lines of parallel components do not interleave
_ECHO_LOCK = threading.Lock()
_LINE_END = re.compile(r"\r\n|\r|\n")
_TERMINATORS = ("\n", "\r")


class LineSplitter:
    """Text fed in chunks -> segments that end with `\\n`, `\\r` or `\\r\\n` (kept), or that
    reached SEGMENT_LIMIT characters; what is left waits for the next chunk."""

    def __init__(self, limit: int = SEGMENT_LIMIT) -> None:
        self.limit = limit
        self._pending = ""

    def feed(self, text: str) -> list[str]:
        text = self._pending + text
        segments = []
        start = 0
        for match in _LINE_END.finditer(text):
            if match.group() == "\r" and match.end() == len(text):
                break  # maybe the first half of a \r\n
            segments.append(text[start : match.end()])
            start = match.end()
        rest = text[start:]
        while len(rest) > self.limit:
            segments.append(rest[: self.limit])
            rest = rest[self.limit :]
        self._pending = rest
        return segments

    def close(self) -> list[str]:
        """What is left, as a last segment (without a line end)."""
        rest, self._pending = self._pending, ""
        return [rest] if rest else []


class Tail:
    """The last lines of a stream (`\\r` ends a line too: a progress bar's updates are lines),
    at most TAIL_LINES lines and about TAIL_CHARS characters: earlier lines are dropped, and a
    longer line is cut at its start (marked `[...]`)."""

    def __init__(self) -> None:
        self._lines: deque[str] = deque(maxlen=TAIL_LINES)
        self._current = ""
        self._cut = False

    def add(self, segment: str) -> None:
        current = self._current + segment
        if len(current) > TAIL_CHARS:
            current, self._cut = current[-TAIL_CHARS:], True
        if not current.endswith(_TERMINATORS):
            self._current = current
            return
        line = current.rstrip("\r\n")
        if line.strip():
            self._lines.append(f"[...]{line}" if self._cut else line)
        self._current, self._cut = "", False

    def text(self) -> str:
        lines = list(self._lines)
        if self._current.strip():
            lines.append(f"[...]{self._current}" if self._cut else self._current)
        while len(lines) > 1 and sum(len(line) + 1 for line in lines) > TAIL_CHARS:
            lines.pop(0)
        return "\n".join(lines)


@contextlib.contextmanager
def open_log(path: Path) -> Iterator[TextIO]:
    """The log file, appended to; closed where no pump writes meanwhile."""
    with open(path, "a", encoding="utf-8") as log_file:
        try:
            yield log_file
        finally:
            with _ECHO_LOCK:
                log_file.close()


def pump(
    fd: int,
    log_file: TextIO,
    echo_to: TextIO | None,
    prefix: str,
    tail: Tail | None,
) -> None:
    """Copy the stream (a pipe's read end) to the log file and the echo until its end; each
    segment is echoed with `prefix`, a last segment without a line end gets one. Stops when the
    log file is closed (the supervisor gave up on the stream)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    splitter = LineSplitter()
    while True:
        chunk = os.read(fd, READ_SIZE)
        segments = splitter.feed(decoder.decode(chunk, final=not chunk))
        if not chunk:
            segments += [s if s.endswith(_TERMINATORS) else s + "\n" for s in splitter.close()]
        _write(segments, log_file, echo_to, prefix, tail)
        if not chunk or log_file.closed:
            return


def _write(
    segments: list[str], log_file: TextIO, echo_to: TextIO | None, prefix: str, tail: Tail | None
) -> None:
    if not segments:
        return
    with _ECHO_LOCK:
        if log_file.closed:
            return
        log_file.write("".join(segments))
        log_file.flush()
        if echo_to is not None:
            echo_to.write("".join(prefix + s for s in segments))
            echo_to.flush()
    if tail is not None:
        for segment in segments:
            tail.add(segment)
