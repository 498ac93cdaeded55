"""Interrupts while a sweep is launched: Ctrl-C (SIGINT), SIGTERM (`timeout`, CI cancellation,
`docker stop`, Kubernetes) and SIGHUP (a closed terminal or SSH session) are handled alike.

The first one raises `Interrupted` (a KeyboardInterrupt) in the main thread, as Ctrl-C does, and
sets `stop`, which threads working for the sweep watch (no further create, no further retry), as
does the wait for a sweep's jobs on Vertex AI (it ends at its next poll should the exception be
lost on its way, e.g. raised inside a finalizer).
Later ones are reported and ignored, so that the clean-up they would cut short (cancelling what
was submitted, stopping local processes) finishes. The handlers are installed only while the
guard is entered, and the previous ones restored; a signal that was ignored (`nohup`) stays
ignored. The executor then ends the process with `SweepInterrupted`: exit status 128 + the
signal's number, as a shell reports a process killed by it, and no traceback.
"""

import os
import signal
import threading
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

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum or signal.SIGINT).name

    def exit(self) -> SweepInterrupted:
        """The exception that ends the launcher once the interrupt is handled."""
        return SweepInterrupted(128 + (self.signum or signal.SIGINT))

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None:
            # a handler's output goes straight to the file descriptor: the logging stream may
            # be in the middle of a write that this signal interrupted
            name = signal.Signals(signum).name
            os.write(2, f"\n{name} again: still stopping the sweep, please wait\n".encode())
            return
        self.signum = signum
        self.stop.set()
        raise Interrupted(signum)

    def __enter__(self) -> "InterruptGuard":
        if threading.current_thread() is threading.main_thread():
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
