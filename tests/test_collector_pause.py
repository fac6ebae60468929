"""The cycle collector is paused while sheets are read, checked and stored, in as many threads as handle sheets
(gunicorn's threads, the jobs worker's): it stays off until the last sheet is done, then comes back on."""
from __future__ import annotations

import gc
import threading

import pytest

from imports.reader import collector_paused


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_the_collector_comes_back_only_when_the_last_of_two_threads_is_done(collector_on):
    """The interleaving that used to leave it off for good: A pauses, B pauses, A ends, B ends."""
    b_paused, a_done, states = threading.Event(), threading.Event(), {}

    def second_sheet():
        with collector_paused():
            b_paused.set()
            a_done.wait(5)
            states["while B still works"] = gc.isenabled()

    thread = threading.Thread(target=second_sheet)
    with collector_paused():
        thread.start()
        b_paused.wait(5)
    a_done.set()
    thread.join(5)

    assert states == {"while B still works": False}
    assert gc.isenabled()


def test_a_collector_switched_off_by_someone_else_stays_off():
    was = gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


def test_an_error_inside_still_brings_the_collector_back(collector_on):
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("a refused sheet")
    assert gc.isenabled()
