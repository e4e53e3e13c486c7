"""Alembic environment: migrates the connection :func:`classroom.console.migrate.upgrade` gives."""

from __future__ import annotations

from alembic import context

from classroom.console.db import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds tables instead
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
