"""Where the scripts find the shared public data (``../shared/data``).

Every script that reads the shared data asks here, so that a git worktree (one
folder deeper than the checkout the data sits beside) or another lab with its
own copy points them all at it the same way::

    GUTBALANCE_SHARED_DATA=/path/to/shared/data python scripts/SCRIPT.py ...

(the tests read the same variable).  A script that takes ``--shared PATH``
uses that folder instead.  Where the folder is absent, the script stops with a
message naming the variable and the folder it looked for, not a
``FileNotFoundError`` from deep inside.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

#: The environment variable naming the shared data folder.
ENV = "GUTBALANCE_SHARED_DATA"
#: The project's root (this file is in ``scripts/``).
ROOT = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    """The shared data folder: ``$GUTBALANCE_SHARED_DATA``, else ``../shared/data``
    beside the project's root.  Not checked: see :func:`require_shared`."""
    value = os.environ.get(ENV)
    return Path(value) if value else ROOT.parent / "shared" / "data"


def missing_message(given: Path | None = None) -> str | None:
    """Why the shared data cannot be read from ``given`` (``--shared``; else
    :func:`shared_data`), naming how to point at it; ``None`` when it is a folder."""
    if given is not None:
        if Path(given).is_dir():
            return None
        return f"--shared {given}: no such folder (the shared data: labelled/, profiles/, gmhi/, ...)"
    folder = shared_data()
    if folder.is_dir():
        return None
    how = f"{ENV}={os.environ[ENV]} is not a folder" if os.environ.get(ENV) else f"{ENV} is not set"
    return (f"the shared data is not at {folder} ({how}): set {ENV} to the folder that holds "
            "labelled/, profiles/, gmhi/, ...")


def require_shared(given: Path | None = None) -> Path:
    """The shared data folder (``given``, from ``--shared``, else :func:`shared_data`);
    ``SystemExit`` with :func:`missing_message` where it is not a folder."""
    message = missing_message(given)
    if message:
        raise SystemExit(message)
    return Path(given) if given is not None else shared_data()


def add_shared_argument(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """``--shared PATH``, default :func:`shared_data`; with ``required``, a usage
    error (exit 2) naming ``GUTBALANCE_SHARED_DATA`` where the folder is absent."""

    def folder(text: str) -> Path:
        given = Path(text) if text else None
        message = missing_message(given) if required else None
        if message:
            raise argparse.ArgumentTypeError(message)
        return given if given is not None else shared_data()

    # a string default goes through ``type`` too, so the default is checked like a given folder
    parser.add_argument("--shared", type=folder, default="",
                        help=f"the shared data folder (default ${ENV}, else ../shared/data beside the project)")
