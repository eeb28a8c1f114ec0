"""Alembic environment: migrations run on the connection the app hands over
(see :func:`gutbalance.web.db.migrate`), never from an ini file's URL."""

from __future__ import annotations

from alembic import context

from gutbalance.web.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through gutbalance.web.db.migrate(engine)")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
