"""Sign-in timing and throttling figures (issue 12): does an unknown email answer as fast as a known one
(it must not: that enumerates accounts), and what happens to 30 wrong passwords then the right one.

On a fresh SQLite file, through Flask's test client, with one finance user (TOTP enrolled):
  known    - POST /auth/sign-in, the user's email, a wrong password (throttling off for the measurement)
  unknown  - POST /auth/sign-in, an email with no account, a wrong password
  burst    - 30 wrong passwords as fast as the app answers, then the right one: its status
Reported: median and p95 per kind, the unknown/known ratio (target 0.8 .. 1.25), the audit rows written
by the burst. Exit status 0 when the ratio is within target and the right password after the burst is refused.

Run: .venv/bin/python -m bench.sign_in_bench [--requests 20]
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, select

from contracts_app import create_app
from models import AuditEvent, Role, User, db

PASSWORD = "bench-sign-in-password-42"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _post(client, email: str, password: str):
    token = CSRF.search(client.get("/auth/sign-in").get_data(as_text=True)).group(1)
    return client.post("/auth/sign-in", data={"email": email, "password": password, "csrf_token": token})


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sign-in-bench-"))
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
                      "SESSION_COOKIE_SECURE": False, "SIGN_IN_ACCOUNT_LOCK_AFTER": 10_000,
                      "SIGN_IN_ADDRESS_LOCK_AFTER": 10_000, "UPLOAD_FOLDER": str(folder / "uploads")})
    with app.app_context():
        upgrade()
        user = User(email="fran@bench.city", role=Role.FINANCE, name="Fran", totp_secret="JBSWY3DPEHPK3PXP")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()

    client = app.test_client()
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    for n in range(args.requests):
        for kind, email in (("known", "fran@bench.city"), ("unknown", f"nobody{n}@bench.city")):
            with app.app_context():  # the waits would throttle the measurement: clear them between tries
                db.session.execute(db.text("DELETE FROM sign_in_throttles"))
                db.session.commit()
            start = time.perf_counter()
            _post(client, email, "wrong-password-here")
            times[kind].append(time.perf_counter() - start)
    for kind, values in times.items():
        values.sort()
        p95 = values[int(len(values) * 0.95) - 1]
        print(f"{kind:8} median {statistics.median(values) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms")
    ratio = statistics.median(times["unknown"]) / statistics.median(times["known"])
    print(f"unknown/known median ratio {ratio:.2f} (target 0.8 .. 1.25)")

    app.config["SIGN_IN_ACCOUNT_LOCK_AFTER"] = 10
    app.config["SIGN_IN_ADDRESS_LOCK_AFTER"] = 50
    with app.app_context():
        audit_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    burst = app.test_client()
    start = time.perf_counter()
    statuses = [_post(burst, "fran@bench.city", "wrong-password-here").status_code for _ in range(30)]
    right = _post(burst, "fran@bench.city", PASSWORD)
    elapsed = time.perf_counter() - start
    with app.app_context():
        audit_rows = db.session.scalar(select(func.count()).select_from(AuditEvent)) - audit_before
    print(f"burst: 30 wrong passwords in {elapsed:.1f} s ({statuses.count(401)} checked, {statuses.count(429)} refused "
          f"unchecked), then the right one: {right.status_code}; audit rows written: {audit_rows}")
    ok = 0.8 <= ratio <= 1.25 and right.status_code == 429
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
