"""Background jobs through the web (issue 13): a big sheet's commit and a long recompute run as jobs.

The request that starts a job answers at once with the job's page; the worker's run is executed here
from the real queue (embedded SQLite queue and Redis), then the page shows the outcome.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts_app.jobs.leases import requeue_abandoned
from contracts_app.jobs.periodic import clean_stale_staged_files
from contracts_app.loading import load_related
from models import AuditEvent, ClauseResult, Contract, Job, JobStatus, Observation, Role, Upload, UploadStatus, db, utcnow

from .factories import TEST_PASSWORD, ContractAssignmentFactory, UserFactory
from .jobs_support import QUEUE_BACKENDS, installed_queue, redis_url
from .test_uploads import commit, contract, count, manager, sheet_rows, upload, write_xlsx  # noqa: F401

ROWS = 60


@pytest.fixture(params=QUEUE_BACKENDS)
def queue(request, app, tmp_path, monkeypatch):
    """The app's queue for this test: a fresh SQLite queue file, or Redis db 9."""
    if request.param == "redis":
        config = {"JOBS_REDIS_URL": redis_url(9)}
    else:
        config = {"JOBS_REDIS_URL": "", "JOBS_SQLITE_PATH": str(tmp_path / "queue.sqlite3")}
    monkeypatch.setitem(app.config, "JOBS_COMMIT_ROWS_THRESHOLD", 50)
    with installed_queue(app, **config) as huey:
        yield huey


def run_queued(huey) -> int:
    """What a worker does: take each queued task off the queue and execute it. Returns how many ran."""
    ran = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran


def staged_big_upload(client, contract, tmp_path) -> Upload:
    response = upload(client, contract, write_xlsx(tmp_path / "march.xlsx", sheet_rows(ROWS)))
    assert response.status_code == 302
    return db.session.scalars(select(Upload).order_by(Upload.id.desc())).first()


def test_big_commit_answers_at_once_and_the_job_commits_the_month(client, contract, manager, queue, tmp_path):
    staged = staged_big_upload(client, contract, tmp_path)
    token = client.csrf_token(f"/uploads/{staged.id}")
    response = client.post(f"/uploads/{staged.id}/commit", data={"csrf_token": token, "reason": ""})
    assert response.status_code == 302 and response.location.startswith("/jobs/")
    job = db.session.scalars(select(Job)).one()
    assert job.status == JobStatus.QUEUED and job.created_by_id == manager.id
    assert count(Observation) == 0 and db.session.get(Upload, staged.id).status == UploadStatus.STAGED
    page = client.get(response.location).get_data(as_text=True)
    assert "<progress" in page and "queued" in page and "job_progress.js" in page
    assert queue.pending_count() == 1

    # Pressing Commit again is the same job, not a second commit.
    again = client.post(f"/uploads/{staged.id}/commit", data={"csrf_token": token, "reason": ""})
    assert again.location == response.location and count(Job) == 1

    assert run_queued(queue) >= 1
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert job.attempts == 1 and job.message == f"Committed {ROWS} rows for 2026-03."
    assert count(Observation) == ROWS and count(ClauseResult, ClauseResult.period == "2026-03") == 2
    assert db.session.get(Upload, staged.id).status == UploadStatus.COMMITTED
    state = client.get(f"/jobs/{job.id}.json").get_json()
    assert state["status"] == "succeeded" and state["percent"] == 100
    assert state["result_url"] == f"/contracts/{contract.id}/scorecard"
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "See the scorecard with 2026-03" in page and "Committed 60 rows for 2026-03." in page


def test_a_second_run_of_a_committed_job_changes_nothing(app, client, contract, manager, queue, tmp_path):
    from contracts_app.jobs.runner import run_job

    staged = staged_big_upload(client, contract, tmp_path)
    token = client.csrf_token(f"/uploads/{staged.id}")
    client.post(f"/uploads/{staged.id}/commit", data={"csrf_token": token, "reason": ""})
    run_queued(queue)
    job = db.session.scalars(select(Job)).one()
    # A duplicate delivery (a retry racing a slow worker) finds the job done and does nothing.
    job.status = JobStatus.QUEUED
    db.session.commit()
    run_job(job.id)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == JobStatus.SUCCEEDED and job.message.startswith("Already committed")
    assert count(Observation) == ROWS
    assert count(AuditEvent, AuditEvent.action == "upload_committed") == 1


def test_only_the_creator_and_admins_see_a_job(app, client, contract, manager, queue, tmp_path):
    staged = staged_big_upload(client, contract, tmp_path)
    token = client.csrf_token(f"/uploads/{staged.id}")
    location = client.post(f"/uploads/{staged.id}/commit", data={"csrf_token": token, "reason": ""}).location
    other = ContractAssignmentFactory(contract=contract).user
    admin = UserFactory(role=Role.ADMIN)
    db.session.commit()
    other_client = app.test_client()
    other_client.sign_in(other.email, TEST_PASSWORD)
    assert other_client.get(location).status_code == 404
    assert other_client.get(location + ".json").status_code == 404
    admin_client = app.test_client()
    admin_client.sign_in(admin.email, TEST_PASSWORD)
    assert admin_client.get(location).status_code == 200


def test_a_refused_commit_fails_with_the_reason_and_is_not_retried(client, contract, manager, queue, tmp_path, app):
    staged = staged_big_upload(client, contract, tmp_path)
    token = client.csrf_token(f"/uploads/{staged.id}")
    client.post(f"/uploads/{staged.id}/commit", data={"csrf_token": token, "reason": ""})
    from contracts_app.uploads.flow import staged_path

    staged_path(db.session.get(Upload, staged.id)).unlink()
    run_queued(queue)
    db.session.expire_all()
    job = db.session.scalars(select(Job)).one()
    assert job.status == JobStatus.FAILED and job.attempts == 1
    assert "no longer on the server" in job.message
    assert count(Observation) == 0
    assert queue.pending_count() == 0 and queue.scheduled_count() == 0


def test_a_job_whose_worker_went_silent_is_queued_again_then_failed(app, client, contract, manager, queue,
                                                                     tmp_path, monkeypatch):
    staged = staged_big_upload(client, contract, tmp_path)
    token = client.csrf_token(f"/uploads/{staged.id}")
    client.post(f"/uploads/{staged.id}/commit", data={"csrf_token": token, "reason": ""})
    queue.flush()  # the worker that took it off the queue died: the task is gone from Huey
    job = db.session.scalars(select(Job)).one()
    silent_since = utcnow() - timedelta(seconds=app.config["JOBS_LEASE_SECONDS"] + 5)
    job.status, job.attempts, job.started_at, job.heartbeat_at = JobStatus.RUNNING, 1, silent_since, silent_since
    db.session.commit()
    assert requeue_abandoned() == [job.id]
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == JobStatus.QUEUED and "worker stopped during attempt 1" in job.message
    assert queue.pending_count() == 1
    run_queued(queue)
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == JobStatus.SUCCEEDED
    assert db.session.get(Job, job.id).attempts == 2 and count(Observation) == ROWS


def test_a_job_silent_on_its_last_attempt_fails(app, contract, queue):
    job = Job(kind="commit_upload", idempotency_key="commit-upload:999", payload={"upload_id": 999},
              status=JobStatus.RUNNING, attempts=app.config["JOBS_MAX_ATTEMPTS"],
              heartbeat_at=utcnow() - timedelta(hours=1))
    db.session.add(job)
    db.session.commit()
    assert requeue_abandoned() == []
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == JobStatus.FAILED and "no attempts are left" in job.message


def test_an_amendment_over_many_months_recomputes_as_a_job(app, client, contract, queue, monkeypatch):
    from contracts_app.contracts.editing import amend_clause
    from models import ContractStatus

    from .factories import UploadFactory

    contract.status = ContractStatus.ACTIVE
    for month in range(1, 8):
        UploadFactory(contract=contract, period=f"2026-{month:02d}", status=UploadStatus.COMMITTED)
    officer = UserFactory(role=Role.PROCUREMENT)
    db.session.flush()
    monkeypatch.setitem(app.config, "JOBS_RECOMPUTE_PERIODS_THRESHOLD", 3)
    load_related([contract], Contract.clauses)
    clause = next(c for c in contract.clauses if c.key == "pci_after")
    amended = amend_clause(contract, {**clause.plain_terms(), "target": Decimal("92")}, "2026-03",
                           "new target", officer, key_before="pci_after")
    db.session.commit()
    job = db.session.scalars(select(Job)).one()
    assert job.kind == "recompute" and job.idempotency_key == f"recompute:{contract.id}:clause-{amended.id}"
    assert job.progress_total == 5 and count(ClauseResult, ClauseResult.period >= "2026-03") == 0
    run_queued(queue)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert job.result["periods"] == ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07"]
    assert count(ClauseResult, ClauseResult.period >= "2026-03") == 10


def test_nightly_cleanup_discards_sheets_staged_too_long_ago(app, client, contract, manager, tmp_path):
    from contracts_app.uploads.flow import staged_path

    staged = staged_big_upload(client, contract, tmp_path)
    fresh = staged_big_upload(client, contract, tmp_path)
    staged.uploaded_at = utcnow() - timedelta(days=app.config["STAGED_UPLOAD_MAX_AGE_DAYS"] + 1)
    db.session.commit()
    path = staged_path(staged)
    assert path.exists()
    assert clean_stale_staged_files() == 1
    db.session.expire_all()
    assert db.session.get(Upload, staged.id).status == UploadStatus.REJECTED and not path.exists()
    assert db.session.get(Upload, fresh.id).status == UploadStatus.STAGED and staged_path(fresh).exists()
    assert count(AuditEvent, AuditEvent.action == "upload_expired") == 1


def test_the_upload_page_points_to_its_running_commit_job(client, contract, manager, queue, tmp_path):
    staged = staged_big_upload(client, contract, tmp_path)
    token = client.csrf_token(f"/uploads/{staged.id}")
    location = client.post(f"/uploads/{staged.id}/commit", data={"csrf_token": token, "reason": ""}).location
    page = client.get(f"/uploads/{staged.id}").get_data(as_text=True)
    assert "being committed in the background" in page and f'href="{location}"' in page


def test_replacing_a_month_as_a_job_needs_a_reason_first(client, contract, manager, queue, tmp_path):
    first = staged_big_upload(client, contract, tmp_path)
    token = client.csrf_token(f"/uploads/{first.id}")
    client.post(f"/uploads/{first.id}/commit", data={"csrf_token": token, "reason": ""})
    run_queued(queue)
    response = upload(client, contract, write_xlsx(tmp_path / "again.xlsx", sheet_rows(ROWS, pci=lambda i: 90)))
    second = db.session.get(Upload, int(response.location.rsplit("/", 1)[1]))
    page = commit(client, second.id).get_data(as_text=True)
    assert "already has committed data" in page and "say why it is replaced" in page
    assert count(Job) == 1
    token = client.csrf_token(f"/uploads/{second.id}")
    response = client.post(f"/uploads/{second.id}/commit", data={"csrf_token": token, "reason": "corrected PCI"})
    assert response.location.startswith("/jobs/")
    run_queued(queue)
    db.session.expire_all()
    assert db.session.get(Upload, second.id).status == UploadStatus.COMMITTED
    assert db.session.get(Upload, first.id).status == UploadStatus.SUPERSEDED
