"""Open the registry database (SQLite file by default, PostgreSQL for studios) at its newest schema.

The location comes from ``--db URL``, else ``TWINKIT_DB``, else ``$XDG_DATA_HOME/twinkit/registry.db``
(``~/.local/share`` when unset). A plain path is taken as a SQLite file. Opening upgrades the schema
to the newest Alembic revision, so an upgraded twinkit keeps every existing record.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from twinkit.core.errors import InputError

MIGRATIONS = Path(__file__).with_name("migrations")
ENV_VAR = "TWINKIT_DB"
_SQLITE_BUSY_MS = 60_000


def default_url() -> str:
    """The per-user SQLite registry under the XDG data folder."""
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{data / 'twinkit' / 'registry.db'}"


def resolve_url(url: str | None = None) -> URL:
    """The registry URL to use: ``url``, else ``$TWINKIT_DB``, else :func:`default_url`."""
    text = url or os.environ.get(ENV_VAR) or default_url()
    if "://" not in text:
        text = f"sqlite:///{Path(text).expanduser().absolute()}"
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise InputError(f"not a database URL: {text!r}") from None
    if parsed.drivername == "postgresql":  # psycopg 3 is the driver twinkit ships
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InputError(f"unsupported database {parsed.get_backend_name()!r} (use sqlite or postgresql)")
    return parsed


def _sqlite_engine(url: URL) -> Engine:
    """A SQLite engine whose transactions take the write lock at BEGIN (BEGIN IMMEDIATE).

    pysqlite's own transaction handling is switched off, as SQLAlchemy's documentation recommends, so
    concurrent processes queue on the lock instead of failing when a reader later tries to write.
    """
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": _SQLITE_BUSY_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def alembic_config(engine: Engine) -> Config:
    """Alembic configured with the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` (concurrent callers wait for each other; see env.py)."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


@dataclass
class Registry:
    """An open registry database. ``session()`` gives one transaction."""

    engine: Engine
    url: str  # for messages, password hidden

    @classmethod
    def open(cls, url: str | None = None, *, upgrade: bool = True) -> "Registry":
        """Connect and (unless ``upgrade`` is false) bring the schema to the newest revision."""
        parsed = resolve_url(url)
        shown = parsed.render_as_string(hide_password=True)
        engine = _sqlite_engine(parsed) if parsed.get_backend_name() == "sqlite" else create_engine(
            parsed, pool_pre_ping=True)
        try:
            heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
            if upgrade and current_revision(engine) != heads:
                migrate(engine)
        except OperationalError as exc:
            engine.dispose()
            raise InputError(f"cannot open the registry database ({exc.orig})", shown) from None
        return cls(engine, shown)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with sessionmaker(self.engine, expire_on_commit=False).begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()
