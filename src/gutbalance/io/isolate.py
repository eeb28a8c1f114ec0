"""Running a parser that may crash the process in a child process.

libhdf5 can crash (segmentation fault) on a corrupt file instead of raising
an error, and h5py cannot catch that.  Bad input is normal input here, so
HDF5 content from users is parsed in a forked child: a crash, a hang or an
exception there becomes a :class:`~gutbalance.errors.FormatError` naming the
file, and the calling process (a batch run, the web app) carries on.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import Any

from ..errors import FormatError

#: Seconds a child may take before it is stopped (a corrupt file can also hang).
TIMEOUT = 120.0


def run_isolated(
    fn: Callable[..., Any], *args: Any, path: str | os.PathLike[str] | None = None, what: str = "file"
) -> Any:
    """``fn(*args)`` in a forked child; its return value or exception comes
    back through a pipe.  Exceptions are re-raised here; a child that dies or
    hangs raises FormatError."""
    if not hasattr(os, "fork"):  # pragma: no cover - Windows: no isolation available
        return fn(*args)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        # A crash here is expected and reported by the parent; the fault
        # handler inherited from the parent (pytest, python -X faulthandler)
        # would also print "Fatal Python error" and a traceback to stderr.
        faulthandler.disable()
        try:
            try:
                payload = pickle.dumps(("ok", fn(*args)))
            except BaseException as exc:  # report every failure to the parent
                try:
                    payload = pickle.dumps(("error", exc))
                except Exception:
                    payload = pickle.dumps(("error", FormatError(f"{type(exc).__name__}: {exc}")))
            with os.fdopen(write_fd, "wb") as out:
                out.write(payload)
        finally:
            os._exit(0)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + TIMEOUT
    with os.fdopen(read_fd, "rb") as pipe:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise FormatError(f"reading the {what} took longer than {TIMEOUT:.0f} s; it looks corrupt", path=path)
            ready, _, _ = select.select([pipe], [], [], remaining)
            if not ready:
                continue
            chunk = pipe.read1(1 << 20) if hasattr(pipe, "read1") else pipe.read(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        if os.WIFSIGNALED(status):
            name = signal.Signals(os.WTERMSIG(status)).name
            raise FormatError(f"the {what} is corrupt: its library crashed reading it ({name})", path=path)
        raise FormatError(f"the {what} could not be read", path=path)
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "error":
        raise value
    return value
