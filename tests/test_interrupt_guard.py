"""The interrupt guard: SIGINT, SIGTERM and SIGHUP raise one Interrupted while it is entered,
later ones are reported and ignored, and the previous handlers come back after it."""

import os
import signal

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
        assert guard.stop.is_set() and guard.signal_name == sig.name
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
