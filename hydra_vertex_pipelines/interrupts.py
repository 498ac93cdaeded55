"""Interrupts while a sweep is launched: Ctrl-C (SIGINT), SIGTERM (`timeout`, CI cancellation,
`docker stop`, Kubernetes) and SIGHUP (a closed terminal or SSH session) are handled alike.

The first one raises `Interrupted` (a KeyboardInterrupt) in the main thread, as Ctrl-C does. A
thread of the guard then sets `stop`, which threads working for the sweep watch (no further
create, no further retry), as does the wait for a sweep's jobs on Vertex AI, and runs what was
registered with `on_interrupt`: both happen even where the exception is lost on its way (raised
inside a finalizer, or a callback that swallows it). The handler itself takes no lock: it runs
in the main thread between two of its instructions, maybe while that thread holds the very lock
(`stop.wait()` holds the one of `stop` for a moment), so it only wakes the guard's thread through
a pipe.
Later ones are reported and ignored, so that the clean-up they would cut short (cancelling what
was submitted, stopping local processes) finishes. The handlers are installed only while the
guard is entered, and the previous ones restored; a signal that was ignored (`nohup`) stays
ignored. The executor then ends the process with `SweepInterrupted`: exit status 128 + the
signal's number, as a shell reports a process killed by it, and no traceback.
"""

import os
import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class SweepInterrupted(SystemExit):
    """Ends the launcher after a handled interrupt (Hydra does not catch SystemExit, so nothing
    is printed after the launcher's own messages)."""


class InterruptGuard:
    def __init__(self, stop: threading.Event | None = None) -> None:
        self.stop = stop or threading.Event()
        self.signum: int | None = None
        self._previous: dict[int, object] = {}
        self._actions: list[Callable[[], None]] = []
        self._acted = False
        self._lock = threading.Lock()
        # the handler writes one byte when the first signal comes, __exit__ one if none came
        self._wake: tuple[int, int] | None = None
        self._watcher: threading.Thread | None = None

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum or signal.SIGINT).name

    def exit(self) -> SweepInterrupted:
        """The exception that ends the launcher once the interrupt is handled."""
        return SweepInterrupted(128 + (self.signum or signal.SIGINT))

    def on_interrupt(self, action: Callable[[], None]) -> None:
        """Run `action` in the guard's thread once an interrupt has come (at once, in this
        thread, if one has come already)."""
        with self._lock:
            if not self._acted:
                self._actions.append(action)
                return
        action()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None:
            # a handler's output goes straight to the file descriptor: the logging stream may
            # be in the middle of a write that this signal interrupted
            name = signal.Signals(signum).name
            os.write(2, f"\n{name} again: still stopping the sweep, please wait\n".encode())
            return
        self.signum = signum
        assert self._wake is not None  # handlers are installed with the pipe
        os.write(self._wake[1], b"!")
        raise Interrupted(signum)

    def _watch(self, read_fd: int) -> None:
        os.read(read_fd, 1)
        if self.signum is None:
            return  # the guard was left without an interrupt
        self.stop.set()
        with self._lock:
            self._acted = True
            actions, self._actions = self._actions, []
        for action in actions:
            action()

    def __enter__(self) -> "InterruptGuard":
        if threading.current_thread() is threading.main_thread():
            self._wake = os.pipe()
            self._watcher = threading.Thread(
                target=self._watch, args=(self._wake[0],), name="interrupt-guard", daemon=True
            )
            self._watcher.start()
            for sig in HANDLED:
                previous = signal.getsignal(sig)
                if previous is not signal.SIG_IGN:
                    self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)  # type: ignore[arg-type]
        self._previous.clear()
        if self._wake is not None and self._watcher is not None:
            if self.signum is None:
                os.write(self._wake[1], b"-")
            self._watcher.join()  # what an interrupt set in motion has run
            for fd in self._wake:
                os.close(fd)
            self._wake = self._watcher = None
