"""Engine set-up for SQLite (default) and PostgreSQL.

SQLite: WAL, and every write transaction starts with ``BEGIN IMMEDIATE``. A deferred
transaction that reads and then writes gets "database is locked" under WAL whatever the
busy timeout, so Python's implicit transactions are switched off (``isolation_level=None``)
and SQLAlchemy's ``begin`` event issues the BEGIN itself. Read-only work asks for
``execution_options(readonly=True)`` and gets a plain deferred BEGIN.

``synchronous=NORMAL`` under WAL keeps every committed transaction across a process crash
(kill -9); only a power cut can lose the last few. Halls on flaky power set
``HALL_SQLITE_SYNCHRONOUS=FULL``.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError


def database_url(url: str | None = None) -> str:
    """An explicit URL, else HALL_DATABASE_URL, else instance/hall.db (HALL_INSTANCE)."""
    if url or os.environ.get("HALL_DATABASE_URL"):
        return url or os.environ["HALL_DATABASE_URL"]
    instance = Path(os.environ.get("HALL_INSTANCE", "instance")).resolve()
    return f"sqlite:///{instance / 'hall.db'}"


def make_engine(url: str | None = None, **kwargs) -> Engine:
    url = database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed, **kwargs)
    kwargs.pop("autocheckpoint", None)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg")
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_engine(url: str, parsed, autocheckpoint: bool = True, **kwargs) -> Engine:
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", 10)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    synchronous = os.environ.get("HALL_SQLITE_SYNCHRONOUS", "NORMAL").upper()
    if synchronous not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise ValueError(f"HALL_SQLITE_SYNCHRONOUS={synchronous!r}: use NORMAL or FULL")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        # when the WAL rewinds, cut the file back to 64 MB rather than keep its peak size
        cur.execute("PRAGMA journal_size_limit=67108864")
        if not autocheckpoint:  # the server checkpoints from a thread (store/checkpoint.py)
            cur.execute("PRAGMA wal_autocheckpoint=0")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        readonly = conn.get_execution_options().get("readonly", False)
        sql = "BEGIN" if readonly else "BEGIN IMMEDIATE"
        # on the driver's connection: SQLAlchemy's statement path cost more than the BEGIN
        # (2 % of a ticket, bench/README.md); a refusal is raised as SQLAlchemy would raise
        # it, so "database is locked" is still retried (services/context.py)
        try:
            conn.connection.dbapi_connection.execute(sql)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, (), exc, sqlite3.Error,
                                      dialect=conn.dialect) from exc

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
