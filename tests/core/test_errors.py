"""The error hierarchy's helpers."""

from __future__ import annotations

from mvd_sim.core.errors import raised_by_interrupt


def _raised(make):
    try:
        make()
    except BaseException as err:  # noqa: BLE001 - the test looks at what was raised
        return err
    raise AssertionError("nothing raised")


def test_an_interrupt_and_what_it_caused_count_as_interrupts():
    def wrapped():
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as cause:
            raise SystemError("in a compiled kernel") from cause

    def during():
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ValueError("while handling it")

    assert raised_by_interrupt(KeyboardInterrupt())
    assert raised_by_interrupt(_raised(wrapped))
    assert raised_by_interrupt(_raised(during))


def test_other_errors_do_not():
    def chained():
        try:
            raise OSError("disk")
        except OSError as cause:
            raise SystemError("wrapped") from cause

    assert not raised_by_interrupt(ValueError("x"))
    assert not raised_by_interrupt(_raised(chained))
