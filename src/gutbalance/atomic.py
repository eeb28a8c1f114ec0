"""Writing files atomically: an interrupted run never leaves a half-written file.

Every file gutbalance writes (scores tables, reports, converted profiles,
saved models) goes through this module: the content is written to a
temporary file beside the target, flushed to disk, and renamed over the
target, so a reader sees the previous file or the new one, never a part.

The temporary file is created with mode ``0o666`` and the kernel applies the
user's umask, exactly as for a file opened with ``open(path, "w")``: every
output gets the same permissions (``tempfile.mkstemp`` would make them
private, 0600). Reading the umask (``os.umask``) would briefly change it for
every thread of the process; creating the file with the umask applied needs
no such read.

This is a leaf module (standard library only) below ``io``: the format
writers in ``io/formats`` use it as well as the result writers above.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

__all__ = ["PendingFile", "write_atomic", "write_bytes_atomic", "write_text_atomic"]

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


class PendingFile:
    """A temporary file beside ``path`` that replaces ``path`` on :meth:`commit`.

    Use as a context manager: leaving the block without committing (an
    error, an interruption) deletes the temporary file and leaves ``path``
    as it was. ``suffix`` ends the temporary name, for writers that choose a
    format by the file name. The parent folder is created if needed.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with PendingFile(folder / "out.txt") as pending:
    ...     _ = pending.tmp.write_text("done")
    ...     _ = pending.commit()
    >>> (folder / "out.txt").read_text()
    'done'
    """

    def __init__(self, path: str | os.PathLike[str], *, suffix: str = "") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            tmp = self.path.parent / f".{self.path.name}.{secrets.token_hex(6)}{suffix}"
            try:
                fd = os.open(tmp, _FLAGS, 0o666)
            except FileExistsError:  # pragma: no cover - 48 random bits
                continue
            break
        os.close(fd)
        #: The temporary file to write to (exists, empty).
        self.tmp = tmp
        self.committed = False

    def commit(self) -> Path:
        """Flush the temporary file to disk and move it over :attr:`path`."""
        fd = os.open(self.tmp, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(self.tmp, self.path)
        self.committed = True
        return self.path

    def discard(self) -> None:
        """Delete the temporary file (nothing happens to :attr:`path`)."""
        if not self.committed:
            self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> PendingFile:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.discard()


def write_atomic(path: str | os.PathLike[str], write: Callable[[Path], object], *, suffix: str = "") -> Path:
    """Call ``write(tmp)`` to fill a temporary file, then move it to ``path``.

    For writers that take a file name (``DataFrame.to_parquet``,
    ``AnnData.write_h5ad``, ``Figure.savefig``); ``suffix`` ends the
    temporary name for those that look at it. Returns ``path``.
    """
    with PendingFile(path, suffix=suffix) as pending:
        write(pending.tmp)
        return pending.commit()


def write_bytes_atomic(data: bytes, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``."""
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))


def write_text_atomic(text: str, path: str | os.PathLike[str]) -> Path:
    """Write ``text`` to ``path`` as UTF-8 atomically, line ends as given; returns ``path``."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline=""))
