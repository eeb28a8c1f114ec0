"""The fork server the scoring workers come from (:class:`gutbalance.web.jobs.WorkerPool`).

Light on purpose (the standard library only): ``gutbalance serve`` starts
the fork server with :func:`start` before it imports the app, so that the
fork server imports and warms up (:mod:`gutbalance.web.forkserver_preload`,
seconds of CPU) on the other core while the server imports, and the first
workers forked from it are ready about when the server answers.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import forkserver
from typing import Any

#: Imported once by the fork server before it forks any worker; it warms up on import.
PRELOAD = ["gutbalance.web.forkserver_preload"]


def context() -> Any:
    """The ``forkserver`` context of the workers, with :data:`PRELOAD` set."""
    found = multiprocessing.get_context("forkserver")
    found.set_forkserver_preload(PRELOAD)
    return found


def start() -> None:
    """Start the fork server now (it warms up in the background); the first
    worker started later connects to it instead of starting one."""
    context()
    forkserver.ensure_running()
