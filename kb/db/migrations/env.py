"""Alembic environment: kb.db.migrate() hands over an open connection in a write transaction.

Run by hand (`alembic -c <ini> upgrade head`) it opens the database the KB_* settings name.
"""

from __future__ import annotations

from alembic import context

from kb.db.schema import metadata

connection = context.config.attributes.get("connection")


def run(conn) -> None:
    context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    from kb.config import get_settings
    from kb.db import create_engine_for

    engine = create_engine_for(get_settings())
    with engine.begin() as conn:
        run(conn)
    engine.dispose()
