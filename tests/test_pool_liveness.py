"""Pooled PostgreSQL connections are checked without a round trip (no pool_pre_ping), and a connection the server
ended (what a restart does to every backend) is replaced before a request uses it: the request still succeeds."""
from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import create_engine, event, text

from contracts_app.config import normalise_database_url
from contracts_app.pool_liveness import install_liveness_check

URL = os.environ.get("TEST_DATABASE_URL")
needs_postgres = pytest.mark.skipif(not URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")


@pytest.fixture
def engine():
    engine = create_engine(normalise_database_url(URL), pool_size=1, max_overflow=0, pool_recycle=1800)
    install_liveness_check(engine)
    yield engine
    engine.dispose()


def _statements(engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


@needs_postgres
def test_a_pooled_connection_is_reused_without_a_ping(engine):
    with engine.connect() as connection:
        first_pid = connection.scalar(text("SELECT pg_backend_pid()"))
    seen = _statements(engine)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT pg_backend_pid()")) == first_pid
    assert seen == ["SELECT pg_backend_pid()"]  # no SELECT 1 before it


@needs_postgres
def test_a_connection_the_server_ended_is_replaced_before_use(engine):
    with engine.connect() as connection:
        ended_pid = connection.scalar(text("SELECT pg_backend_pid()"))
    # What a restart (or an idle timeout) does to the pooled connection's backend: the server ends it.
    killer = create_engine(normalise_database_url(URL), poolclass=None)
    with killer.connect() as other:
        assert other.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": ended_pid}) is True
    killer.dispose()
    time.sleep(0.3)  # the server's FATAL message reaches the idle socket
    with engine.connect() as connection:  # would raise OperationalError without the check
        new_pid = connection.scalar(text("SELECT pg_backend_pid()"))
    assert new_pid != ended_pid


def test_the_app_no_longer_pings_on_every_checkout(app):
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert not options.get("pool_pre_ping") and options.get("pool_recycle")
