"""Engine settings that Flask-SQLAlchemy does not cover."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_write_intent: ContextVar[bool] = ContextVar("academy_write_intent", default=False)


@contextmanager
def write_intent():
    """Mark work outside a request (CLI commands) as writing, so SQLite takes
    the write lock when its transaction begins."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def _begins_immediately() -> bool:
    if has_request_context():
        return request.method not in SAFE_METHODS
    return _write_intent.get()


def configure_engine(engine: Engine) -> None:
    """SQLite: foreign keys on, WAL, a busy timeout, and write transactions that begin immediately.

    pysqlite opens transactions lazily and upgrades a read lock to a write lock
    mid-transaction, which fails at once ("database is locked") when another
    writer committed in between. Taking the write lock at BEGIN, after waiting
    up to the busy timeout, makes concurrent writers queue instead. Reads (GET
    requests) begin deferred, so they never hold the write lock; no GET route
    changes state.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _begins_immediately() else "BEGIN")
