"""A 199,990-row sheet through the web with the commit as a background job (issue 13).

Measures, on one SQLite database file, with the queue on Redis (db 8) when it answers, else the
SQLite queue file:
  stage   - the upload's check (the request that stages the sheet)
  answer  - the Commit request: it queues the job and answers
  job     - a real `flask jobs-worker` process: from the job's claim to its outcome
Target: the Commit request answers in well under a second; the job stores every row.
Run: .venv/bin/python -m bench.jobs_bench [--rows N]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.import_bench import CONTRACT, PERIOD, write_sheet

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def queue_url() -> str:
    try:
        import redis

        client = redis.Redis.from_url("redis://127.0.0.1:6379/8", socket_connect_timeout=1)
        client.ping()
        client.flushdb()
        return "redis://127.0.0.1:6379/8"
    except Exception:
        return ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=199_990)
    rows = parser.parse_args().rows
    workdir = Path(tempfile.mkdtemp(prefix="jobs-bench-"))
    env = {"DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}", "SECRET_KEY": "bench",
           "UPLOAD_FOLDER": str(workdir / "uploads"), "JOBS_REDIS_URL": queue_url(),
           "JOBS_SQLITE_PATH": str(workdir / "queue.sqlite3"), "JOBS_QUEUE_NAME": "jobs-bench",
           "SESSION_COOKIE_SECURE": "0", "JOBS_WORKERS": "1"}
    os.environ.update(env)
    from bench.import_bench import stage_setup

    stage_setup(workdir, workdir / "bench.sqlite3")
    sheet = workdir / f"{CONTRACT}_{PERIOD}.xlsx"
    write_sheet(sheet, rows)

    from sqlalchemy import func, select

    from contracts_app import create_app
    from contracts_app.admin.services import create_user
    from models import Contract, ContractAssignment, Job, Observation, Role, Upload, db
    from tests.conftest import FreshContextClient

    app = create_app({"WTF_CSRF_ENABLED": False})
    app.test_client_class = FreshContextClient
    with app.app_context():
        contract = db.session.scalars(select(Contract).where(Contract.number == CONTRACT)).one()
        user = create_user("bench@city.example", Role.CONTRACT_MANAGER, "bench-password-123")
        db.session.add(ContractAssignment(user=user, contract=contract))
        db.session.commit()
        contract_id = contract.id
    client = app.test_client()
    client.post("/auth/sign-in", data={"email": "bench@city.example", "password": "bench-password-123"})

    start = time.perf_counter()
    with open(sheet, "rb") as handle:
        response = client.post(f"/contracts/{contract_id}/sheets", data={"period": PERIOD, "sheet": (handle, sheet.name)},
                               content_type="multipart/form-data")
    stage_s = time.perf_counter() - start
    assert response.status_code == 302 and "/uploads/" in response.location, response.get_data(as_text=True)[:500]
    upload_id = int(response.location.rsplit("/", 1)[1])

    start = time.perf_counter()
    response = client.post(f"/uploads/{upload_id}/commit", data={"reason": ""})
    answer_s = time.perf_counter() - start
    assert response.status_code == 302 and "/jobs/" in response.location, response.location
    job_id = int(response.location.rsplit("/", 1)[1])

    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs-worker"], cwd=PROJECT_ROOT,
                              env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with app.app_context():
            while True:
                db.session.rollback()
                job = db.session.get(Job, job_id)
                if job.finished:
                    break
                time.sleep(0.25)
            job_s = (job.finished_at - job.started_at).total_seconds()
            stored = db.session.scalar(select(func.count()).select_from(Observation)
                                       .where(Observation.upload_id == upload_id))
            status, message = job.status.value, job.message
            assert db.session.get(Upload, upload_id).status.value == "committed"
    finally:
        worker.send_signal(2)
        worker.wait(timeout=60)
    print(json.dumps({"rows": rows, "queue": "redis" if env["JOBS_REDIS_URL"] else "sqlite",
                      "stage_seconds": round(stage_s, 2), "commit_request_ms": round(answer_s * 1000, 1),
                      "job_seconds": round(job_s, 2), "job_status": status, "job_message": message,
                      "observations": stored}))


if __name__ == "__main__":
    main()
