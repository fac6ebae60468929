"""The real deployment, end to end (issue 13): gunicorn started with deploy/gunicorn.conf.py and a
`flask jobs-worker`, as the Procfile and the systemd units run them. A contract manager signs in, uploads a
sheet above JOBS_COMMIT_ROWS_THRESHOLD, commits it; the worker commits the month as a job. Also /readyz
through gunicorn, and the JSON log lines carrying the request id from the web request to the job.

On SQLite always; on PostgreSQL too when TEST_DATABASE_URL is set (in a database of its own, named after
it with `_deploy`, as the other tests roll back and this one commits). Loopback only; every wait is bounded;
the processes are always stopped.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from contracts_app import create_app
from contracts_app.config import normalise_database_url
from models import db

from .factories import TEST_PASSWORD, CategoryFactory, ContractAssignmentFactory, ContractFactory, OutcomeClauseFactory
from .test_uploads import sheet_rows, write_xlsx

PROJECT = Path(__file__).resolve().parent.parent
BIN = PROJECT / ".venv" / "bin"
ROWS = 2_500
THRESHOLD = 2_000
PERIOD = "2026-03"  # inside the contract's 2026 term, and in the past whatever clock the suite runs with
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])

pytestmark = pytest.mark.skipif(not (BIN / "gunicorn").exists(), reason="gunicorn is not installed in .venv")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'outcomes.sqlite3'}"
    base = make_url(normalise_database_url(os.environ["TEST_DATABASE_URL"]))
    name = f"{base.database}_deploy"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}) is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def _seed(database_url: str) -> dict:
    """The schema (as `flask init-db` makes it) and one contract with its manager."""
    seeding = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "seeding"})
    with seeding.app_context():
        upgrade()
        category = CategoryFactory(slug="asphalt", row_key="work_order_id", date_column="completed_on",
                                   context_columns=["street"])
        contract = ContractFactory(category=category, number="PW-2026-900")
        OutcomeClauseFactory(contract=contract, key="pci_after", weight=Decimal("60"), aliases=["PCI"])
        OutcomeClauseFactory(contract=contract, key="on_time", label="Completed on time", weight=Decimal("40"),
                             aggregation="percent_true", unit="%", target=Decimal("95"), minimum=Decimal("80"),
                             valid_min=None, valid_max=None)
        manager = ContractAssignmentFactory(contract=contract).user
        seeded = {"contract_id": contract.id, "email": manager.email}
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return seeded


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_ready(base: str, processes: list[subprocess.Popen], logs: list[Path], seconds: float = 90) -> dict:
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        for process, log in zip(processes, logs, strict=True):
            assert process.poll() is None, f"{process.args[0]} exited:\n" + log.read_text()[-3000:]
        try:
            response = requests.get(f"{base}/readyz", timeout=5)
            last = response.json()
            if response.status_code == 200:
                return last
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"not ready within {seconds} s: {last}")


def _token(session: requests.Session, url: str) -> str:
    match = TOKEN_RE.search(session.get(url, timeout=30).text)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def _json_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


@pytest.fixture(params=BACKENDS)
def deployment(request, tmp_path):
    """gunicorn (deploy/gunicorn.conf.py, 2 workers) and one jobs worker on a fresh database; always stopped."""
    database_url = _database(request.param, tmp_path)
    seeded = _seed(database_url)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "deployment-test-secret",
           "SESSION_COOKIE_SECURE": "0", "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2",
           "UPLOAD_FOLDER": str(tmp_path / "uploads"), "JOBS_REDIS_URL": "", "REDIS_URL": "",
           "JOBS_SQLITE_PATH": str(tmp_path / "queue.sqlite3"), "JOBS_COMMIT_ROWS_THRESHOLD": str(THRESHOLD),
           "JOBS_PULSE_SECONDS": "0.5", "OIDC_ISSUER": ""}
    env.pop("LOG_FORMAT", None)  # gunicorn.conf.py makes it json; the worker is told so, as in outcomes.env
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    processes: list[subprocess.Popen] = []
    try:
        with open(web_log, "w") as web_out, open(worker_log, "w") as worker_out:
            processes.append(subprocess.Popen([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
                                              cwd=PROJECT, env=env, stdout=web_out, stderr=subprocess.STDOUT))
            processes.append(subprocess.Popen(
                [str(BIN / "flask"), "--app", "wsgi", "jobs-worker", "--workers", "1", "--no-periodic"],
                cwd=PROJECT, env={**env, "LOG_FORMAT": "json"}, stdout=worker_out, stderr=subprocess.STDOUT))
        base = f"http://127.0.0.1:{port}"
        ready = _wait_ready(base, processes, [web_log, worker_log])
        yield {**seeded, "base": base, "ready": ready, "web_log": web_log, "worker_log": worker_log,
               "database_url": database_url}
    finally:
        for process in reversed(processes):
            _stop(process, signal.SIGINT if process is not processes[0] else signal.SIGTERM)


def test_a_big_sheet_is_committed_by_the_worker_behind_gunicorn(deployment, tmp_path):
    base = deployment["base"]
    assert deployment["ready"] == {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "queue": "ok"}}
    assert requests.get(f"{base}/healthz", timeout=10).json() == {"status": "ok"}

    browser = requests.Session()
    signed_in = browser.post(f"{base}/auth/sign-in", timeout=30, allow_redirects=False, data={
        "email": deployment["email"], "password": TEST_PASSWORD, "csrf_token": _token(browser, f"{base}/auth/sign-in")})
    assert signed_in.status_code == 302, signed_in.text[:500]

    sheets = f"{base}/contracts/{deployment['contract_id']}/sheets"
    path = write_xlsx(tmp_path / "march.xlsx", sheet_rows(ROWS, PERIOD))
    with open(path, "rb") as handle:
        staged = browser.post(sheets, timeout=120, allow_redirects=False,
                              data={"period": PERIOD, "csrf_token": _token(browser, sheets)},
                              files={"sheet": (path.name, handle, "application/octet-stream")})
    assert staged.status_code == 302 and re.fullmatch(r"/uploads/\d+", staged.headers["Location"]), staged.text[:500]
    upload_url = base + staged.headers["Location"]

    committed = browser.post(f"{upload_url}/commit", timeout=60, allow_redirects=False,
                             data={"csrf_token": _token(browser, upload_url), "reason": ""},
                             headers={"X-Request-ID": "deploy-commit-1"})
    assert committed.status_code == 302 and committed.headers["Location"].startswith("/jobs/"), \
        "a sheet above the threshold is committed as a job"
    assert committed.headers["X-Request-ID"] == "deploy-commit-1"
    job_url = base + committed.headers["Location"]

    deadline, state = time.monotonic() + 180, {}
    while time.monotonic() < deadline:
        state = browser.get(f"{job_url}.json", timeout=30).json()
        if state["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.5)
    assert state.get("status") == "succeeded", f"job not done within 180 s: {state}"
    assert state["percent"] == 100 and state["result_url"] == f"/contracts/{deployment['contract_id']}/scorecard"

    engine = create_engine(deployment["database_url"])
    with engine.connect() as connection:
        status = connection.scalar(text("SELECT status FROM uploads WHERE period = :p"), {"p": PERIOD})
        rows = connection.scalar(text("SELECT count(*) FROM observations"))
        scored = connection.scalar(text("SELECT count(*) FROM clause_results WHERE period = :p"), {"p": PERIOD})
    engine.dispose()
    assert str(status).lower().endswith("committed") and rows == ROWS and scored == 2

    scorecard = browser.get(base + state["result_url"], timeout=30)
    assert scorecard.status_code == 200 and PERIOD in scorecard.text

    # One JSON line per request, with the request id; the worker's line about the job carries the same id.
    web_lines = _json_lines(deployment["web_log"])
    [commit_line] = [line for line in web_lines if line.get("request_id") == "deploy-commit-1"]
    assert commit_line["status"] == 302 and commit_line["method"] == "POST" and commit_line["user_id"] is not None
    job_lines = [line for line in _json_lines(deployment["worker_log"]) if "succeeded" in line.get("message", "")]
    assert [line["request_id"] for line in job_lines] == ["deploy-commit-1"]
