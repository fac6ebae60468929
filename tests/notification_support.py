"""Fixtures shared by the notification and action-plan tests: a real SMTP server wired into the app's
settings, and a job queue of the test's own whose tasks the test runs as a worker would."""
from __future__ import annotations

import pytest

from .jobs_support import installed_queue
from .smtp_server import SmtpServer


@pytest.fixture
def smtp(app, monkeypatch):
    with SmtpServer() as server:
        for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port, "SMTP_STARTTLS": False,
                           "SMTP_USERNAME": "", "MAIL_FROM": "tracker@city.test",
                           "PUBLIC_BASE_URL": "https://outcomes.city.test"}.items():
            monkeypatch.setitem(app.config, key, value)
        yield server


@pytest.fixture
def job_queue(app, tmp_path):
    """A fresh SQLite queue for this test; run_queued(job_queue) does a worker's part."""
    with installed_queue(app, JOBS_REDIS_URL="", JOBS_SQLITE_PATH=str(tmp_path / "queue.sqlite3")) as huey:
        yield huey


def run_queued(huey) -> int:
    ran = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran
