"""Rankings and scorecard on PostgreSQL at 1,000,000 observations, alone and under load (issue 13).

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test_NAME \\
        .venv/bin/python -m bench.load_bench [--months 60] [--single 40] [--readers 16] [--requests 30]

1. Builds the city of bench/rankings_data.py at full size (its contracts file and row maker, imported) in the
   PostgreSQL database given (its public schema is dropped and made again): schema by migrations, contracts
   by the contracts-file loader, observations by COPY, stored scores by the app's own recompute_period.
   --months keeps only the last N of the 60 months (N/60 of the 10^6 rows), for a smaller run.
2. Starts gunicorn with deploy/gunicorn.conf.py (4 workers, loopback, a free port), signs readers in.
3. Single user: one reader, --single rounds of rankings, scorecard (5 contracts in turn) and /healthz;
   reports p50/p95 of each (target: rankings and scorecard p95 <= 50 ms).
4. Load: --readers concurrent signed-in readers, each --requests requests cycling rankings, scorecard and
   /healthz; reports throughput and p50/p95 of each page next to /healthz under the same load, so what the
   box adds is told from what the app costs. Bounded: a fixed count of requests, a deadline, then it stops;
   the server is always stopped. Loopback only. Prints the load average before and after: the machine is shared.
"""
from __future__ import annotations

import argparse
import calendar
import http.client
import io
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

from bench import rankings_data as city
from bench.rankings_measure import percentile

FULL = city.SIZES["full"]  # the city of the rankings bench at its full size

PROJECT = Path(__file__).resolve().parent.parent
RANKINGS = f"/rankings/?category={city.RANKED_CATEGORY}&period={city.LAST_PERIOD}&window=6"
TARGET_P95_MS = 50.0
DEADLINE_SECONDS = 600
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _copy_text(value) -> str:
    """One field of COPY's text format."""
    if value is None:
        return "\\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def build(database_url: str, months: int, score_all: bool) -> dict:
    """The bench city in PostgreSQL; returns what was built and how long each stage took.

    Stored scores: by default only where the measured pages read them (the last 6 months of every contract,
    and every month of the 5 measured scorecards); the other contract-periods keep their invoice row only.
    Recomputing all 12,000 takes 10 to 25 minutes on a loaded 2-core machine; --score-all does it."""
    import orjson
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, insert, select, text

    from contracts_app import create_app
    from contracts_app.admin.services import create_user
    from contracts_app.config import normalise_database_url
    from contracts_app.contracts.importer import load_contracts, parse_contracts_file
    from contracts_app.stored_scores.recompute import recompute_period
    from models import Contract, ContractPeriodScore, Upload, UploadStatus, db, utcnow
    from scoring.periods import period_range

    url = normalise_database_url(database_url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    all_periods = period_range(FULL.first_period, city.LAST_PERIOD)
    periods = all_periods[-months:]
    timings: dict[str, float] = {}
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "LOG_REQUESTS": False})
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        load_contracts(parse_contracts_file(json.dumps(city.contracts_file(FULL))))
        create_user(city.EMAIL, "procurement", city.PASSWORD, name="Bench Reader")
        db.session.commit()
        timings["schema + contracts"] = time.perf_counter() - started

        started = time.perf_counter()
        ids = dict(db.session.execute(select(Contract.number, Contract.id)).all())
        plan = city.contract_plan(FULL)
        now = utcnow()
        db.session.execute(insert(Upload.__table__), [
            {"contract_id": ids[item["number"]], "period": p, "filename": f"{item['number']}-{p}.xlsx",
             "sha256": f"{item['number']}:{p}".encode().hex()[:64].ljust(64, "0"), "status": UploadStatus.COMMITTED,
             "row_count": 0, "report": {}, "uploaded_at": now, "committed_at": now}
            for item in plan for p in periods])
        upload_ids = {(c, p): i for i, c, p in db.session.execute(select(Upload.id, Upload.contract_id, Upload.period))}
        db.session.commit()
        raw = db.engine.raw_connection()
        total, row_counts = 0, []
        try:
            cursor = raw.cursor()
            with cursor.copy('COPY observations (upload_id, contract_id, period, row_number, row_key, work_date, '
                             '"values", context) FROM STDIN') as copy:
                for item in plan:
                    contract_id = ids[item["number"]]
                    for p in periods:
                        rows = city.month_rows(item, p, all_periods.index(p), FULL)
                        upload_id = upload_ids[(contract_id, p)]
                        row_counts.append({"b_id": upload_id, "b_count": len(rows)})
                        buffer = io.StringIO()
                        for number, key, day, values, context in rows:
                            buffer.write("\t".join(_copy_text(v) for v in (
                                upload_id, contract_id, p, number, key, day.isoformat(),
                                orjson.dumps(values).decode(), orjson.dumps(context).decode())) + "\n")
                        copy.write(buffer.getvalue())
                        total += len(rows)
            raw.commit()
        finally:
            raw.close()
        db.session.execute(text("UPDATE uploads SET row_count = :b_count WHERE id = :b_id"), row_counts)
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        timings["uploads + observations (COPY)"] = time.perf_counter() - started

        started = time.perf_counter()
        money = __import__("random").Random(5)
        db.session.execute(insert(ContractPeriodScore.__table__), [
            {"contract_id": ids[item["number"]], "period": p, "composite": None, "coverage": 0.0, "observations": 0,
             "invoice_amount": Decimal(money.randrange(2_000_000, 7_000_000)) / 100,
             "bonus": Decimal(0), "penalty": Decimal(0), "net": Decimal(0), "computed_at": now}
            for item in plan for p in periods])
        db.session.commit()
        measured = {ids[item["number"]] for item in plan[:5]}  # the scorecards measured: every month scored
        recent = periods[-6:]  # the rankings window read by the page: every contract scored
        scored = 0
        for contract in db.session.scalars(select(Contract).order_by(Contract.id)).all():
            for p in periods if score_all or contract.id in measured else recent:
                recompute_period(contract, p)
                scored += 1
            db.session.commit()
        timings[f"recompute {scored:,} of {len(plan) * len(periods):,} contract-periods"] = time.perf_counter() - started
        scorecards = [f"/contracts/{ids[item['number']]}/scorecard" for item in plan[:5]]
        db.session.remove()
        db.engine.dispose()
    return {"observations": total, "months": len(periods), "timings": timings, "scorecards": scorecards}


def existing(database_url: str) -> dict:
    """What a previous run built, read back, to measure again without building."""
    from sqlalchemy import create_engine, text

    from contracts_app.config import normalise_database_url

    engine = create_engine(normalise_database_url(database_url))
    with engine.connect() as connection:
        observations = connection.scalar(text("SELECT count(*) FROM observations"))
        numbers = [f"BX-{j:04d}" for j in range(5)]
        ids = connection.execute(text("SELECT id FROM contracts WHERE number = ANY(:n) ORDER BY number"),
                                 {"n": numbers}).scalars().all()
    engine.dispose()
    if not observations or len(ids) != 5:
        raise SystemExit("no bench database to reuse: run without --reuse first")
    return {"observations": observations, "scorecards": [f"/contracts/{i}/scorecard" for i in ids]}


class Reader:
    """A signed-in reader over one keep-alive connection; times each request."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, float]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # gunicorn closes a keep-alive connection idle for 5 s; a browser opens a new one and asks again
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        elapsed = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text, elapsed

    def sign_in(self) -> None:
        _status, page, _ = self.request("GET", "/auth/sign-in")
        token = TOKEN_RE.search(page)
        assert token, "no CSRF token on the sign-in page"
        status, _, _ = self.request("POST", "/auth/sign-in", {"email": city.EMAIL, "password": city.PASSWORD,
                                                              "csrf_token": token.group(1)})
        assert status == 302, f"sign-in answered {status}"

    def timed(self, path: str) -> float:
        status, _text, elapsed = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        return elapsed * 1000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cycle(scorecards: list[str], n: int) -> list[tuple[str, str]]:
    return [("rankings", RANKINGS), ("scorecard", scorecards[n % len(scorecards)]), ("healthz", "/healthz")]


def single_user(port: int, scorecards: list[str], rounds: int) -> dict[str, list[float]]:
    reader = Reader(port)
    reader.sign_in()
    for n in range(3):  # warm-up: every worker's caches, the connection
        for _name, path in _cycle(scorecards, n):
            reader.timed(path)
    times: dict[str, list[float]] = {"rankings": [], "scorecard": [], "healthz": []}
    for n in range(rounds):
        for name, path in _cycle(scorecards, n):
            times[name].append(reader.timed(path))
    return times


def under_load(port: int, scorecards: list[str], readers: int, requests: int) -> tuple[dict, float, list[str]]:
    signed_in = [Reader(port) for _ in range(readers)]
    for reader in signed_in:
        reader.sign_in()
    times: dict[str, list[float]] = {"rankings": [], "scorecard": [], "healthz": []}
    problems: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + DEADLINE_SECONDS
    start = threading.Barrier(readers + 1)

    def run(index: int, reader: Reader) -> None:
        start.wait()
        for n in range(requests):
            if time.monotonic() > deadline:
                problems.append(f"reader {index}: deadline reached after {n} requests")
                return
            name, path = _cycle(scorecards, index + n)[(index + n) % 3]
            try:
                elapsed = reader.timed(path)
            except Exception as exc:  # counted, not fatal: the report says how many failed
                with lock:
                    problems.append(f"reader {index}: {exc}")
                reader.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            with lock:
                times[name].append(elapsed)

    threads = [threading.Thread(target=run, args=(i, r), daemon=True) for i, r in enumerate(signed_in)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=DEADLINE_SECONDS + 60)
    return times, time.perf_counter() - began, problems


def server_times(log_path: Path, since: float) -> dict[str, list[float]]:
    """duration_ms of each request as the app logged it (JSON request lines): the server's own share."""
    times: dict[str, list[float]] = {"rankings": [], "scorecard": [], "healthz": []}
    for line in log_path.read_text().splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if entry.get("logger") != "contracts_app.requests" or entry.get("status") != 200:
            continue
        stamp = calendar.timegm(time.strptime(entry["time"][:19], "%Y-%m-%dT%H:%M:%S"))
        if stamp + 1 < since:
            continue
        path = entry["path"]
        name = "rankings" if path.startswith("/rankings") else "scorecard" if path.endswith("/scorecard") else \
            "healthz" if path == "/healthz" else None
        if name:
            times[name].append(entry["duration_ms"])
    return times


def _row(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name:<10} no requests"
    return (f"  {name:<10} n={len(values):<5} p50 {statistics.median(values):7.1f} ms   "
            f"p95 {percentile(values, 95):7.1f} ms   max {max(values):7.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"),
                        help="PostgreSQL database to build in (its public schema is replaced); default TEST_DATABASE_URL")
    parser.add_argument("--months", type=int, default=FULL.months, help="keep the last N of 60 months (default all)")
    parser.add_argument("--score-all", action="store_true", help="recompute every contract-period (slow)")
    parser.add_argument("--reuse", action="store_true", help="measure the database a previous run built")
    parser.add_argument("--single", type=int, default=40, help="single-user rounds (default 40)")
    parser.add_argument("--readers", type=int, default=16, help="concurrent readers (default 16)")
    parser.add_argument("--requests", type=int, default=30, help="requests per reader (default 30)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith(("postgres://", "postgresql")):
        parser.error("needs a PostgreSQL --database-url (or TEST_DATABASE_URL)")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores",
          flush=True)
    if args.reuse:
        built = existing(args.database_url)
        print(f"reusing the database built before: {built['observations']:,} observations", flush=True)
    else:
        built = build(args.database_url, max(1, min(args.months, FULL.months)), args.score_all)
        print(f"built {built['observations']:,} observations ({built['months']} months x {FULL.contracts} "
              "contracts):", ", ".join(f"{k} {v:.0f} s" for k, v in built["timings"].items()), flush=True)

    port = _free_port()
    env = {**os.environ, "DATABASE_URL": args.database_url, "SECRET_KEY": "load-bench-secret",
           "SESSION_COOKIE_SECURE": "0", "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(args.workers),
           "JOBS_REDIS_URL": "", "REDIS_URL": "", "OIDC_ISSUER": "",
           "SIGN_IN_ADDRESS_LOCK_AFTER": "100000"}
    with tempfile.TemporaryDirectory(prefix="load-bench-") as scratch:
        env["JOBS_SQLITE_PATH"] = str(Path(scratch) / "queue.sqlite3")
        env["UPLOAD_FOLDER"] = str(Path(scratch) / "uploads")
        log_path = Path(scratch) / "gunicorn.log"
        with open(log_path, "w") as log:
            server = subprocess.Popen([str(PROJECT / ".venv" / "bin" / "gunicorn"), "-c", "deploy/gunicorn.conf.py",
                                       "wsgi:app"], cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    probe.request("GET", "/readyz")
                    if probe.getresponse().status == 200:
                        break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not become ready:\n" + log_path.read_text()[-3000:])
                time.sleep(0.5)
            single = single_user(port, built["scorecards"], args.single)
            print(f"\nsingle user, {args.single} rounds through gunicorn ({args.workers} workers), PostgreSQL, "
                  f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}:")
            for name in ("rankings", "scorecard", "healthz"):
                verdict = ""
                if name != "healthz":
                    ok = percentile(single[name], 95) <= TARGET_P95_MS
                    verdict = f"   {'meets' if ok else 'MISSES'} p95 <= {TARGET_P95_MS:.0f} ms"
                print(_row(name, single[name]) + verdict)
            load_started = time.time()  # wall clock, to match the log lines' UTC times
            loaded, seconds, problems = under_load(port, built["scorecards"], args.readers, args.requests)
            done = sum(len(v) for v in loaded.values())
            print(f"\n{args.readers} concurrent readers x {args.requests} requests: {done} answered in {seconds:.1f} s "
                  f"= {done / seconds:.1f} requests/s, {len(problems)} failed; load average "
                  f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}:")
            for name in ("rankings", "scorecard", "healthz"):
                print(_row(name, loaded[name]))
            for problem in problems[:10]:
                print("  problem:", problem)
            time.sleep(1)
            inside = server_times(log_path, load_started)
            print("  the same requests as the app timed them (duration_ms in its log; the rest is waiting for a "
                  "worker or a core):")
            for name in ("rankings", "scorecard", "healthz"):
                print("  " + _row(name, inside[name]))
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
