"""Online backup and restore of the SQLite database with SQLite's own backup API.

The backup API copies a consistent snapshot page by page while the app keeps
serving (writers are not blocked for the whole copy). PostgreSQL deployments
use pg_dump and pg_restore instead (docs/operations.md).
"""
from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

REQUIRED_TABLES = {"alembic_version", "users", "courses", "certificates"}


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why."""


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError("flask academy backup/restore work on SQLite files; for PostgreSQL use pg_dump and "
                          "pg_restore (see docs/operations.md).")
    return Path(url.database)


def backup(database_url: str, target: Path) -> int:
    """Copy the live database to `target` (written beside it first, then moved into place); returns its size."""
    source = sqlite_path(database_url)
    if not source.exists():
        raise BackupError(f"There is no database at {source}.")
    partial = target.with_name(target.name + ".partial")
    with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(partial)) as copy:
        live.backup(copy)
        # A self-contained file: no write-ahead log beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
    os.replace(partial, target)
    return target.stat().st_size


def restore(backup_file: Path, database_url: str) -> None:
    """Replace the database's contents with a backup, after checking it is an Academy backup."""
    if not backup_file.is_file():
        raise BackupError(f"There is no backup at {backup_file}.")
    try:
        with closing(sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)) as probe:
            tables = {name for (name,) in probe.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            problem = probe.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{backup_file} is not a SQLite database: {exc}") from None
    if not REQUIRED_TABLES <= tables:
        raise BackupError(f"{backup_file} is not an Academy backup (missing tables: "
                          f"{', '.join(sorted(REQUIRED_TABLES - tables))}).")
    if problem != "ok":
        raise BackupError(f"{backup_file} is damaged: {problem}")
    target = sqlite_path(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(backup_file)) as source, closing(sqlite3.connect(target)) as live:
        source.backup(live)
