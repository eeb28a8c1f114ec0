"""Writing result tables atomically: a run that is interrupted never leaves
a half-written file behind (write to a temporary file, then rename)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def publish(tmp: str | Path, path: Path) -> None:
    """Give a finished temporary file the permissions of a normal new file
    (mkstemp makes it private) and move it into place atomically."""
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)


def write_text_atomic(text: str, path: Path) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically; return ``path``.

    The text goes to a temporary file in the same folder, synced, then moved
    into place, so a reader never sees half a file and a crash leaves the old
    file whole.  Missing parent folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        publish(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def format_table(table: pd.DataFrame, *, index: bool = True) -> str:
    """TSV with full float precision (repr), so values read back exactly;
    a missing value is ``NA`` (what R, pandas and the web app read as missing)."""
    return table.to_csv(sep="\t", index=index, float_format=None, lineterminator="\n", na_rep="NA")


def write_table_atomic(table: pd.DataFrame, path: Path, *, index: bool = True) -> Path:
    """Write ``table`` as TSV (:func:`format_table`) to ``path`` atomically; return ``path``."""
    return write_text_atomic(format_table(table, index=index), path)
