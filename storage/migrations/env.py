"""Alembic environment: runs against the connection or URL that storage.migrate hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from storage.database import engine_for
from storage.models import Base

config = context.config
target_metadata = Base.metadata

# APScheduler's job store manages its own table; migrations leave it alone.
IGNORED_TABLES = {"apscheduler_jobs"}


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return not (type_ == "table" and name in IGNORED_TABLES)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    with engine_for(config.get_main_option("sqlalchemy.url") or "").connect() as own:
        _run(own)
        own.commit()
