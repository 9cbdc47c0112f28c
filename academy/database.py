"""Engine settings that Flask-SQLAlchemy does not cover."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, scoped_session

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_write_intent: ContextVar[bool] = ContextVar("academy_write_intent", default=False)


@contextmanager
def write_intent():
    """Mark work as writing, so SQLite takes the write lock when its transaction
    begins: CLI commands, and the rare write a page view (GET) must make."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def _begins_immediately() -> bool:
    if _write_intent.get():
        return True
    return has_request_context() and request.method not in SAFE_METHODS


def configure_engine(engine: Engine) -> None:
    """SQLite: foreign keys on, WAL, a busy timeout, and write transactions that begin immediately.

    pysqlite opens transactions lazily and upgrades a read lock to a write lock
    mid-transaction, which fails at once ("database is locked") when another
    writer committed in between. Taking the write lock at BEGIN, after waiting
    up to the busy timeout, makes concurrent writers queue instead. Reads (GET
    requests) begin deferred, so they never hold the write lock; no GET route
    changes state, except inside `write_intent()` in a transaction of its own.
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


_WROTE = "academy_wrote"


@event.listens_for(Session, "after_flush")
def _flushed(session, flush_context):
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(orm_execute_state):
    if not orm_execute_state.is_select:
        orm_execute_state.session.info[_WROTE] = True


def end_read_only_transaction(sessions: scoped_session, error: BaseException | None) -> None:
    """teardown_request: end a safe request's transaction with COMMIT if it wrote nothing.

    For a transaction that wrote nothing, COMMIT and ROLLBACK are the same, but
    psycopg forgets every prepared statement on ROLLBACK, so PostgreSQL would
    plan each query of each page afresh (a third of the module page's time).
    Anything that may have written - a flush, a statement other than SELECT,
    changes still pending - is left to the usual rollback.
    """
    if error is not None or request.method not in SAFE_METHODS or not sessions.registry.has():
        return
    session = sessions()
    if (session.in_transaction()
            and not session.info.get(_WROTE) and not (session.new or session.dirty or session.deleted)):
        try:
            session.commit()
        except SQLAlchemyError:  # e.g. the database went away: the usual rollback and cleanup follow
            session.rollback()
