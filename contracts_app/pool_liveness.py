"""A pooled PostgreSQL connection is checked before use without a round trip, instead of pool_pre_ping's
`SELECT 1` on every checkout (about 2 ms a request on the shared box).

A server that restarts, or ends a backend (pg_terminate_backend, idle_session_timeout), sends its FATAL message
and closes the socket, so the idle connection's socket turns readable. At checkout the socket is polled (zero
timeout, no network): readable, closed or broken means dead, and raising DisconnectionError makes SQLAlchemy's
pool throw the connection away and check out a fresh one, the pessimistic approach without its cost. What a
poll cannot see (a peer gone silently: a firewall dropping idle connections, a crashed host) is covered by a real
ping only for a connection idle longer than IDLE_PING_SECONDS, and by pool_recycle replacing every connection
after RECYCLE_SECONDS; a disconnect met mid-request still invalidates the whole pool (SQLAlchemy's optimistic
handling), so at most that one request fails.
"""
from __future__ import annotations

import select
import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

RECYCLE_SECONDS = 1800
IDLE_PING_SECONDS = 30.0
_CHECKED_IN_AT = "checked_in_at"


def server_hung_up(dbapi_connection) -> bool:
    """True when the psycopg connection is closed, broken, or the server has written to its idle socket (the
    FATAL message before a restart closes it): no round trip."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return True
    try:
        poller = select.poll()  # poll, not select: no limit on the descriptor's number
        poller.register(dbapi_connection.pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(0))
    except Exception:  # psycopg raises OperationalError for a connection without a socket: unusable too
        return True


def install_liveness_check(engine: Engine) -> None:
    """On a PostgreSQL engine: the socket poll on every checkout, a ping only after a long idle spell."""
    if engine.dialect.name != "postgresql":
        return  # SQLite has no server to lose
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def note_checkin(dbapi_connection, connection_record):
        connection_record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def check_alive(dbapi_connection, connection_record, connection_proxy):
        if server_hung_up(dbapi_connection):
            raise exc.DisconnectionError("the server closed this pooled connection")
        checked_in_at = connection_record.info.get(_CHECKED_IN_AT)
        if checked_in_at is not None and time.monotonic() - checked_in_at > IDLE_PING_SECONDS:
            try:
                alive = dialect.do_ping(dbapi_connection)
            except dialect.loaded_dbapi.Error as error:
                raise exc.DisconnectionError("a pooled connection idle for long did not answer") from error
            if not alive:
                raise exc.DisconnectionError("a pooled connection idle for long did not answer")
