"""Connection settings the embedded SQLite default needs to behave under concurrent use.

pysqlite's own transaction handling breaks SAVEPOINTs, so (as SQLAlchemy's docs advise) the driver
is put in autocommit mode and SQLAlchemy emits BEGIN itself: BEGIN IMMEDIATE for a transaction that
may write (see transactions.py), so it waits for the write lock up to the busy timeout.
"""
from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Page cache per connection, in KiB (negative: KiB, not pages). The 2 MB default spills a 100,000-row sheet's
# index pages to the WAL mid-insert (the store took twice as long); pages are only taken as a transaction needs them.
SQLITE_CACHE_KIB = 64 * 1024


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        from .transactions import begins_with_write_lock

        connection.exec_driver_sql("BEGIN IMMEDIATE" if begins_with_write_lock() else "BEGIN")
