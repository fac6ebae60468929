"""A worker killed in the middle of a big commit (SIGKILL, no clean-up) leaves nothing half-written, and
the next worker runs the job again, exactly once (issue 13).

Real processes: `flask jobs-worker` on a SQLite database file, with the queue on the embedded SQLite
queue and on Redis. The first worker holds after inserting the rows, inside its still-open
transaction (JOBS_TEST_HOLD_AFTER_STORING_SECONDS), and is killed there.
"""
from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from contracts_app import create_app
from models import AuditEvent, Job, JobStatus, Observation, Upload, UploadStatus, db

from .factories import CategoryFactory, ContractAssignmentFactory, ContractFactory, OutcomeClauseFactory
from .jobs_support import QUEUE_BACKENDS, redis_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ROWS = 25_000  # above the default JOBS_COMMIT_ROWS_THRESHOLD: a job through the web too
PERIOD = "2026-03"


def write_sheet(path: Path) -> Path:
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["work_order_id", "completed_on", "street", "pci_after", "on_time"])
        for i in range(ROWS):
            out.writerow([f"WO-{i:06d}", date(2026, 3, 1 + i % 28).isoformat(), "Maple Ave", 80 + i % 20,
                          "yes" if i % 7 else "no"])
    return path


@pytest.fixture(params=QUEUE_BACKENDS)
def worker_env(request, tmp_path, monkeypatch) -> dict:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
        "SECRET_KEY": "kill-test-secret",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "JOBS_QUEUE_NAME": f"kill-test-{os.getpid()}",
        "JOBS_SQLITE_PATH": str(tmp_path / "queue.sqlite3"),
        "JOBS_REDIS_URL": redis_url(8) if request.param == "redis" else "",
        "JOBS_LEASE_SECONDS": "3",
        "JOBS_PULSE_SECONDS": "0.5",
        "JOBS_WORKERS": "1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("JOBS_TEST_HOLD_AFTER_STORING_SECONDS", raising=False)
    return env


def start_worker(env: dict, tmp_path: Path, name: str, **extra) -> subprocess.Popen:
    log = open(tmp_path / f"{name}.log", "wb")
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs-worker"], cwd=PROJECT_ROOT,
                            env={**os.environ, **env, **extra}, stdout=log, stderr=subprocess.STDOUT)


def wait_for(check, timeout: float, what: str, worker_log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot each look
        value = check()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{worker_log.read_text()[-3000:]}")


def finished_job(job_id: int) -> Job | None:
    job = db.session.get(Job, job_id)
    return job if job.finished else None


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_killed_worker_leaves_nothing_and_the_retry_commits_once(worker_env, tmp_path):
    from contracts_app.jobs.queue import read_pulse
    from contracts_app.jobs.starters import start_commit_job
    from contracts_app.uploads.flow import limits_from_config, stage_upload

    app = create_app({"TESTING": True})
    with app.app_context():
        upgrade()
        category = CategoryFactory(slug="asphalt", row_key="work_order_id", date_column="completed_on",
                                   context_columns=["street"])
        contract = ContractFactory(category=category, number="PW-2026-900")
        OutcomeClauseFactory(contract=contract, key="pci_after", weight=Decimal("60"))
        OutcomeClauseFactory(contract=contract, key="on_time", label="Completed on time", weight=Decimal("40"),
                             aggregation="percent_true", unit="%", target=Decimal("95"), minimum=Decimal("80"),
                             valid_min=None, valid_max=None)
        manager = ContractAssignmentFactory(contract=contract).user
        sheet = write_sheet(tmp_path / "march.csv")
        with open(sheet, "rb") as stream:
            staged = stage_upload(contract, PERIOD, sheet.name, stream, manager, limits_from_config()).upload
        assert staged.report["error_count"] == 0, staged.report["errors"][:3]
        job = start_commit_job(staged, manager, None)
        db.session.commit()  # queued now, with no worker running yet
        job_id, upload_id = job.id, staged.id

        first = start_worker(worker_env, tmp_path, "first", JOBS_TEST_HOLD_AFTER_STORING_SECONDS="120")
        try:
            # The rows are inserted, in the first worker's open transaction: it is holding there.
            wait_for(lambda: (read_pulse(job_id) or {}).get("done") == 2, 120, "the rows to be stored",
                     tmp_path / "first.log")
            assert db.session.get(Job, job_id).status == JobStatus.RUNNING
            assert count(Observation) == 0  # not committed, so not visible
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)

        db.session.rollback()
        assert count(Observation) == 0
        assert db.session.get(Upload, upload_id).status == UploadStatus.STAGED
        assert count(Upload, Upload.status == UploadStatus.COMMITTED) == 0
        assert db.session.get(Job, job_id).status == JobStatus.RUNNING  # nobody has noticed yet

        second = start_worker(worker_env, tmp_path, "second")
        try:
            job = wait_for(lambda: finished_job(job_id), 120, "the retried job to finish", tmp_path / "second.log")
        finally:
            second.send_signal(signal.SIGINT)
            second.wait(timeout=30)
        assert job.status == JobStatus.SUCCEEDED, job.message
        assert job.attempts == 2 and job.message == f"Committed {ROWS:,} rows for {PERIOD}."
        assert count(Observation) == ROWS
        assert count(Upload, Upload.status == UploadStatus.COMMITTED) == 1
        assert db.session.get(Upload, upload_id).status == UploadStatus.COMMITTED
        assert count(AuditEvent, AuditEvent.action == "upload_committed") == 1
        assert "worker stopped during attempt 1" in (tmp_path / "second.log").read_text()
        db.session.remove()
        db.engine.dispose()
