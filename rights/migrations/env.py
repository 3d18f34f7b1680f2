"""Alembic environment: run the registry migrations on the engine that ``twinkit.rights.db`` passes in."""

from alembic import context

from twinkit.rights.models import Base

_MIGRATION_LOCK = 0x7477696E  # PostgreSQL advisory lock id: concurrent first opens wait, then see head

engine = context.config.attributes["engine"]
with engine.begin() as connection:  # SQLite: BEGIN IMMEDIATE already serialises concurrent upgrades
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
