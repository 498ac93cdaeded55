"""The interrupt guard: SIGINT, SIGTERM and SIGHUP raise one Interrupted while it is entered,
later ones are reported and ignored, and the previous handlers come back after it."""

import contextlib
import os
import signal
import subprocess
import sys
import threading

import pytest

from hydra_vertex_pipelines.interrupts import Interrupted, InterruptGuard, SweepInterrupted


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name
)
def test_the_first_signal_interrupts_the_next_ones_do_not(
    sig: signal.Signals, capfd: pytest.CaptureFixture[str]
) -> None:
    before = signal.getsignal(sig)
    with InterruptGuard() as guard:
        with pytest.raises(Interrupted):
            os.kill(os.getpid(), sig)
        assert guard.stop.wait(30) and guard.signal_name == sig.name  # set by the guard's thread
        os.kill(os.getpid(), sig)  # during the clean-up: reported, nothing raised
        exit_ = guard.exit()
    assert f"{sig.name} again: still stopping the sweep" in capfd.readouterr().err
    assert isinstance(exit_, SweepInterrupted) and exit_.code == 128 + sig
    assert signal.getsignal(sig) is before


def test_an_ignored_signal_stays_ignored() -> None:
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with InterruptGuard():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGHUP)  # as under nohup: nothing happens
    finally:
        signal.signal(signal.SIGHUP, previous)


# the main thread holds the lock of `stop`, as it does for a few instructions on each entry into
# `stop.wait()` (the Vertex wait and the retries' backoff wait on it): a handler that took that
# lock to set `stop` would wait for itself
WHILE_STOP_IS_LOCKED = """
import signal
from hydra_vertex_pipelines.interrupts import Interrupted, InterruptGuard

with InterruptGuard() as guard:
    try:
        with guard.stop._cond:
            signal.raise_signal(signal.SIGINT)
    except Interrupted:
        print("interrupted", flush=True)
    print("stop set" if guard.stop.wait(30) else "stop never set", flush=True)
"""


def test_a_signal_while_the_main_thread_holds_the_stop_events_lock_interrupts_at_once() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", WHILE_STOP_IS_LOCKED], capture_output=True, text=True, timeout=60
    )
    assert proc.stdout.splitlines() == ["interrupted", "stop set"], proc.stderr


def test_an_interrupt_whose_exception_is_lost_still_sets_stop_and_acts() -> None:
    """As where the exception is raised inside a finalizer, or a callback that swallows it."""
    acted = threading.Event()
    with InterruptGuard() as guard:
        guard.on_interrupt(acted.set)
        with contextlib.suppress(KeyboardInterrupt):  # the exception is lost
            signal.raise_signal(signal.SIGINT)
        assert acted.wait(30)
        assert guard.stop.is_set()
