"""Imported once by the fork server of the scoring workers
(:class:`gutbalance.web.jobs.WorkerPool` names it in
``set_forkserver_preload``), before it forks any worker: it warms what
scoring and rendering load on first use (the format registry, the healthy
reference, the knowledge base's tables, the report's templates) with
:func:`gutbalance.web.reporting.warm_up`.  Every worker forked from it
starts with them loaded, so neither the first upload after the server
starts nor the first after a worker is replaced waits for them (about 3 s
of CPU per worker, once per fork server instead)."""

from __future__ import annotations

import logging

from .reporting import warm_up

try:
    warm_up()
except Exception:  # the fork server must start all the same: each worker then warms up on its own
    logging.getLogger("gutbalance.web.jobs").exception("the scoring workers' fork server could not warm up")
