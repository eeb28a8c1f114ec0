"""A parser that crashes or hangs its process becomes a FormatError."""

import os
import signal
import time

import pytest

from gutbalance.errors import FormatError
from gutbalance.io import isolate
from gutbalance.io.isolate import run_isolated


def _crash():
    os.kill(os.getpid(), signal.SIGSEGV)


def _hang():
    time.sleep(60)


def _fail():
    raise ValueError("bad field")


def test_result_comes_back():
    assert run_isolated(sum, [1, 2, 3]) == 6


def test_exception_comes_back():
    with pytest.raises(ValueError, match="bad field"):
        run_isolated(_fail)


def test_crash_is_a_format_error_naming_the_file(capfd):
    import faulthandler

    faulthandler.enable()  # as pytest and `python -X faulthandler` do
    with pytest.raises(FormatError, match=r"x\.biom.*crashed.*SIGSEGV"):
        run_isolated(_crash, path="x.biom", what="HDF5 file")
    # The expected crash is reported once, as the error; nothing on stderr.
    assert "Fatal Python error" not in capfd.readouterr().err


def test_hang_is_stopped(monkeypatch):
    monkeypatch.setattr(isolate, "TIMEOUT", 0.5)
    with pytest.raises(FormatError, match="longer than"):
        run_isolated(_hang, path="slow.biom")
