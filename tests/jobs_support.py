"""The two job queues the tests run on: the embedded SQLite queue, and real Redis (db 8 / 9 here).

Redis tests are skipped only when Redis is unreachable and CI is not set; in CI a missing Redis fails.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
QUEUE_BACKENDS = ["sqlite", "redis"]


def redis_url(db_number: int) -> str:
    """A clean Redis database of ours, or a skip (outside CI) when Redis is not running."""
    import redis

    url = f"{REDIS_BASE.rstrip('/')}/{db_number}"
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"CI needs Redis for the job-queue tests, and {url} is unreachable: {exc}")
        pytest.skip(f"Redis not reachable at {url}")
    client.flushdb()
    client.close()
    return url


@contextmanager
def installed_queue(app, **config) -> Iterator:
    """A fresh queue for one test, made from the app's config with `config` over it; the app's own (or none) is put
    back after. The test does a worker's part with `run_queued`."""
    from contracts_app.jobs.queue import install_queue, make_huey

    saved = {key: app.extensions.pop(key, None) for key in ("huey", "jobs_task")}  # the app makes its own on first use
    huey = make_huey({**app.config, **config})
    install_queue(app, huey)
    try:
        yield huey
    finally:
        huey.flush()
        for key, value in saved.items():
            if value is None:
                app.extensions.pop(key, None)
            else:
                app.extensions[key] = value
