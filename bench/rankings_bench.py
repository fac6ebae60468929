"""Page speed of the rankings and scorecard pages on a large city, against /healthz (issue: rankings bench).

The database: 3 categories, 100 vendors, 200 contracts (4-6 clauses each, weights summing to 100, a fifth
of them with an amended clause), 60 months per contract (2021-11 .. 2026-10), about 83 observations per
contract-month (about 1,000,000 in all) in committed uploads, an invoice for every contract-period, and
the stored scores computed by the app's own `recompute_period` for all 12,000 contract-periods.

Building it takes about a minute on 2 cores (in a child process, so its memory is not counted against the
pages); the file (~300 MB) is cached under --cache-dir (default /tmp/contracts-rankings-bench) keyed by
BENCH_VERSION (bump it when the generated data changes), the data parameters and the migration files, and
every run works on a fresh copy of it. `--rebuild` throws the cache away and builds again.

Measured in one run, interleaved so drift in the machine hits every page alike (server time through
Flask's test client, signed in as finance, after a warm-up):
  healthz    - GET /healthz (the floor)
  rankings   - GET /rankings/?category=asphalt-resurfacing&period=2026-10&window=6 (100 vendors, with the
               §3b shrunk scores, intervals, rank ranges, interval chart and funnel plot), rendered content cached
               per data version (a counter every write transaction bumps)
  rankings_cold - the same with its cache cleared first: the page without the cache (informational)
  scorecard  - GET /contracts/<id>/scorecard, cycling through 5 contracts
  recompute  - recompute_period of one contract-period just committed through commit_rows (a fresh
               month, 2026-11, ~83 rows), in a fresh session, flush and commit included
Targets: rankings p95 <= 50 ms, scorecard p95 <= 100 ms, both <= 20 x the /healthz median; recompute <= 200 ms.
If a page is not built yet (its URL matches no route), the bench says so loudly and measures the stand-in
(the rankings service `vendor_rankings`, the contract detail page); a page that exists but answers
anything but 200 stops the bench. A missed target is profiled (cProfile and the SQL statements by time).
Also reported: CPU time per request, the full (generation-2) garbage collections that fell inside the
requests, the load average (other work on the machine inflates wall-time p95), peak memory (maxrss).
Exit status: 0 when every target is met, 1 when one is missed or a page fails.

Run: .venv/bin/python -m bench.rankings_bench [--rebuild] [--requests 50] [--profile] [--strict] [--no-settle]
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import json
import math
import os
import pstats
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

BENCH_VERSION = "rankings-bench-1"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENDORS = 100
CONTRACTS = 200
FIRST_PERIOD, MONTHS = "2021-11", 60  # .. 2026-10
LAST_PERIOD = "2026-10"
FRESH_PERIOD = "2026-11"  # committed during the run; the contracts run to 2027-06
ROWS_PER_MONTH = (70, 96)  # mean 83 -> ~996,000 observations
RANKED_CATEGORY = "asphalt-resurfacing"  # every vendor has a contract here: the largest ranking
EMAIL, PASSWORD = "reader@bench.city", "rankings-bench-passphrase-2026"  # a city reader without MFA

TARGET_P95_MS = 100.0
TARGET_P95_MS_BY_PAGE = {"rankings": 50.0}  # the rankings page with SPEC §3b, no rendering cache (issue 11)
TARGET_HEALTHZ_RATIO = 20.0
TARGET_RECOMPUTE_MS = 200.0

STREETS = ["Maple Ave", "Harbor St", "Elm St", "Lakeview Dr", "2nd Ave", "Mill Rd", "Oak St", "Cedar Ln",
           "Riverside Blvd", "Franklin St", "Union St", "Park Ave", "Bay Rd", "Summit Ave", "Grove St"]


# ---------------------------------------------------------------------------------------------- the city

def _categories() -> list[dict]:
    from contracts_app.demo.city import ASPHALT_CLAUSES, STREETLIGHT_CLAUSES

    pothole = [
        {"key": "closed_48h", "label": "Potholes filled within 48 hours of the report", "unit": "%",
         "direction": "higher", "aggregation": "percent_true", "curve": "linear", "target": 90, "minimum": 70,
         "weight": 30, "incentive": 1.0, "penalty": 2.0},
        {"key": "response_hours", "label": "Median hours from report to repair", "unit": "hours",
         "direction": "lower", "aggregation": "median", "curve": "linear", "target": 36, "minimum": 96,
         "weight": 25, "incentive": 0.5, "penalty": 1.0, "valid_min": 0, "valid_max": 2000},
        {"key": "reopened", "label": "Repairs failing again within 90 days", "unit": "%",
         "direction": "lower", "aggregation": "percent_true", "curve": "linear", "target": 5, "minimum": 15,
         "weight": 20, "incentive": 0.5, "penalty": 1.5},
        {"key": "photo_documented", "label": "Repairs with before and after photos", "unit": "%",
         "direction": "higher", "aggregation": "percent_true", "curve": "ratio", "target": 95, "cap": 1.0,
         "weight": 15, "incentive": 0, "penalty": 0},
        {"key": "patch_depth", "label": "Patch depth", "unit": "in", "direction": "higher",
         "aggregation": "mean", "curve": "linear", "target": 2.0, "minimum": 1.0, "weight": 10,
         "incentive": 0, "penalty": 0.5, "valid_min": 0, "valid_max": 12},
    ]
    return [
        {"slug": "asphalt-resurfacing", "name": "Asphalt resurfacing", "unit": "lane-mile",
         "row_key": "work_order_id", "date_column": "completed_on", "context_columns": ["street"],
         "clauses": ASPHALT_CLAUSES},
        {"slug": "street-light-repair", "name": "Street-light repair", "unit": "work order",
         "row_key": "work_order_id", "date_column": "completed_on", "context_columns": ["location"],
         "clauses": STREETLIGHT_CLAUSES},
        {"slug": "pothole-repair", "name": "Pothole repair", "unit": "work order",
         "row_key": "work_order_id", "date_column": "completed_on", "context_columns": ["street"],
         "clauses": pothole},
    ]


def _contract_plan() -> list[dict]:
    """Contract j belongs to vendor j % 100; the first 100 are asphalt, the rest street lights or potholes."""
    rng = random.Random(11)
    plan = []
    for j in range(CONTRACTS):
        category = 0 if j < VENDORS else 1 + j % 2
        plan.append({"number": f"BX-{j:04d}", "vendor": f"Bench Vendor {j % VENDORS:03d}", "category": category,
                     "quality": rng.uniform(0.15, 0.98), "drift": rng.uniform(-0.25, 0.25),
                     "amended": j % 5 == 0})
    return plan


def contracts_file() -> dict:
    categories = _categories()
    contracts = []
    for item in _contract_plan():
        category = categories[item["category"]]
        clauses = [dict(c, effective_from=FIRST_PERIOD) for c in category["clauses"]]
        if item["amended"]:  # one clause amended mid-way: scorecards show two versions
            first = dict(clauses[0], effective_from="2024-07", target=clauses[0]["target"])
            if first.get("minimum") is not None:
                first["minimum"] = first["minimum"] + (1 if first["direction"] == "lower" else -1)
            clauses.append(first)
        contracts.append({
            "number": item["number"], "title": f"{category['name']}, zone {item['number'][-3:]}",
            "vendor": item["vendor"], "category": category["slug"], "start": "2021-11-01", "end": "2027-06-30",
            "value": 1_500_000, "status": "active", "capacity": 40, "incentive_cap": 5, "penalty_cap": 10,
            "clauses": clauses,
        })
    return {"categories": [{k: v for k, v in c.items() if k != "clauses"} for c in categories],
            "vendors": [{"name": name} for name in sorted({c["vendor"] for c in contracts})],
            "contracts": contracts}


def _asphalt(r, q):
    lane = round(0.4 + 1.8 * r(), 2)
    return {"iri": round(140 - 70 * q + (r() + r() + r() - 1.5) * 25, 1),
            "pci_after": round(72 + 20 * q + (r() - 0.5) * 8, 1), "on_time": r() < 0.55 + 0.45 * q,
            "defects": int(r() * 2 * lane * (3.0 - 2.8 * q)), "lane_miles": lane,
            "resident_notice": r() < 0.8 + 0.2 * q, "complaints": int(r() * 2 * (1.2 - 1.1 * q))}


def _streetlight(r, q):
    hours = round(10 + r() * 2 * (130 - 90 * q), 1)
    return {"repaired_72h": hours <= 72, "repair_hours": hours, "repeat_failure": r() < max(0.22 - 0.2 * q, 0),
            "reporter_updated": r() < 0.4 + 0.55 * q}


def _pothole(r, q):
    hours = round(4 + r() * 2 * (110 - 80 * q), 1)
    return {"closed_48h": hours <= 48, "response_hours": hours, "reopened": r() < max(0.25 - 0.22 * q, 0),
            "photo_documented": r() < 0.7 + 0.3 * q, "patch_depth": round(0.8 + r() * 2.4 * q + r() * 0.4, 1)}


ROW_MAKERS = [(_asphalt, "street"), (_streetlight, "location"), (_pothole, "street")]


def month_rows(item: dict, period: str, month_index: int) -> list[tuple]:
    """(row_number, row_key, work_date, values, context) of one contract-month; ~1% of the first cells empty."""
    rng = random.Random(f"{item['number']}:{period}")
    r = rng.random
    q = min(max(item["quality"] + item["drift"] * month_index / MONTHS + (r() - 0.5) * 0.1, 0.0), 1.0)
    make, context_name = ROW_MAKERS[item["category"]]
    year, month = map(int, period.split("-"))
    days = 28
    rows = []
    for i in range(rng.randint(*ROWS_PER_MONTH)):
        values = make(r, q)
        if r() < 0.01:
            values[next(iter(values))] = None
        rows.append((i + 2, f"{item['number']}-{period}-{i:03d}", date(year, month, 1 + i % days), values,
                     {context_name: STREETS[i % len(STREETS)]}))
    return rows


# ---------------------------------------------------------------------------------------------- helpers

def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _app(database: Path, workdir: Path):
    from contracts_app import create_app

    return create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                       "UPLOAD_FOLDER": str(workdir / "uploads"), "SESSION_COOKIE_SECURE": False})


def cache_key() -> str:
    digest = hashlib.sha256(f"{BENCH_VERSION}:{VENDORS}:{CONTRACTS}:{FIRST_PERIOD}:{MONTHS}:{ROWS_PER_MONTH}".encode())
    for path in sorted((PROJECT_ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def percentile(values: list[float], pct: float) -> float:
    """Nearest rank: the smallest value with at least pct % of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


# ---------------------------------------------------------------------------------------------- build

def stage_build(database: Path, workdir: Path) -> dict:
    """Schema by migrations, contracts through the contracts-file loader, data by bulk inserts, scores by
    the app's recompute_period for every contract-period."""
    import orjson
    from flask_migrate import upgrade
    from sqlalchemy import func, insert, select, text

    from contracts_app.admin.services import create_user
    from contracts_app.contracts.importer import load_contracts, parse_contracts_file
    from contracts_app.stored_scores.recompute import recompute_period
    from models import Contract, ContractPeriodScore, Upload, UploadStatus, db, utcnow
    from scoring.periods import period_range

    timings: dict[str, float] = {}
    periods = period_range(FIRST_PERIOD, LAST_PERIOD)
    assert len(periods) == MONTHS, periods
    app = _app(database, workdir)
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        load_contracts(parse_contracts_file(json.dumps(contracts_file())))
        create_user(EMAIL, "procurement", PASSWORD, name="Bench Reader")
        db.session.commit()
        timings["schema+contracts"] = time.perf_counter() - started

        started = time.perf_counter()
        ids = dict(db.session.execute(select(Contract.number, Contract.id)).all())
        plan = _contract_plan()
        now = utcnow()
        counts = [(item["number"], p) for item in plan for p in periods]
        money = random.Random(5)
        db.session.execute(insert(Upload.__table__), [
            {"contract_id": ids[number], "period": p, "filename": f"{number}-{p}.xlsx",
             "sha256": hashlib.sha256(f"{number}:{p}".encode()).hexdigest(), "status": UploadStatus.COMMITTED,
             "row_count": 0, "report": {}, "uploaded_at": now, "committed_at": now}
            for (number, p) in counts])
        upload_ids = {(c, p): i for i, c, p in db.session.execute(
            select(Upload.id, Upload.contract_id, Upload.period)).all()}
        connection = db.session.connection()
        sql = ('INSERT INTO observations (upload_id, contract_id, period, row_number, row_key, work_date, "values", '
               "context) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        total = 0
        row_counts = []
        for n, item in enumerate(plan):
            contract_id = ids[item["number"]]
            parameters = []
            for index, p in enumerate(periods):
                rows = month_rows(item, p, index)
                upload_id = upload_ids[(contract_id, p)]
                row_counts.append({"b_id": upload_id, "b_count": len(rows)})
                parameters.extend((upload_id, contract_id, p, number, key, day.isoformat(),
                                   orjson.dumps(values).decode(), orjson.dumps(context).decode())
                                  for number, key, day, values, context in rows)
            connection.exec_driver_sql(sql, parameters)
            total += len(parameters)
            if n % 20 == 19:
                db.session.commit()
                connection = db.session.connection()
        db.session.execute(text("UPDATE uploads SET row_count = :b_count WHERE id = :b_id"), row_counts)
        db.session.commit()
        timings["uploads+observations"] = time.perf_counter() - started

        started = time.perf_counter()  # an invoice for every period, so scorecards show money too
        db.session.execute(insert(ContractPeriodScore.__table__), [
            {"contract_id": ids[number], "period": p, "composite": None, "coverage": 0.0, "observations": 0,
             "invoice_amount": Decimal(money.randrange(2_000_000, 7_000_000)) / 100,
             "bonus": Decimal(0), "penalty": Decimal(0), "net": Decimal(0), "computed_at": now}
            for (number, p) in counts])
        db.session.commit()
        contracts = db.session.scalars(select(Contract).order_by(Contract.id)).all()
        for contract in contracts:
            for p in periods:
                recompute_period(contract, p)
            db.session.commit()
        timings["recompute 12,000 periods"] = time.perf_counter() - started
        scored = db.session.scalar(select(func.count()).select_from(ContractPeriodScore)
                                   .where(ContractPeriodScore.composite.is_not(None), ContractPeriodScore.observations > 0))
        assert scored == len(counts), f"{scored} of {len(counts)} contract-periods scored"
        db.session.commit()
        db.session.remove()
        raw = db.engine.raw_connection()  # outside any transaction: the cache is one self-contained file
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        db.engine.dispose()
    return {"timings": timings, "observations": total, "peak_mb": peak_mb(),
            "size_mb": database.stat().st_size / 1e6}


def ensure_database(cache_dir: Path, rebuild: bool) -> tuple[Path, dict | None]:
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = cache_dir / f"{cache_key()}.sqlite3"
    if rebuild and cached.exists():
        cached.unlink()
    if cached.exists():
        return cached, None
    building = cached.with_suffix(".building")
    for leftover in cache_dir.glob(building.name + "*"):
        leftover.unlink()
    print(f"building the bench database (cached as {cached}; a few minutes) ...", flush=True)
    started = time.perf_counter()
    output = subprocess.run([sys.executable, "-m", "bench.rankings_bench", "--stage", "build", str(building),
                             str(cache_dir)], check=True, stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT).stdout
    built = json.loads(output.strip().splitlines()[-1])
    for leftover in cache_dir.glob(building.name + "-*"):  # -wal/-shm, empty after the checkpoint
        leftover.unlink()
    building.rename(cached)
    built["seconds"] = time.perf_counter() - started
    return cached, built


# ---------------------------------------------------------------------------------------------- measure

class SqlTimer:
    """The SQL statements a piece of work runs, each replayed alone with its fetch timed (SQLite does most
    of a SELECT's work while rows are fetched, which the cursor events do not see)."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.engine, self.active, self.statements = engine, False, []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if self.active:
            self.statements.append((statement, parameters, executemany))

    @contextmanager
    def collecting(self):
        self.statements = []
        self.active = True
        try:
            yield self
        finally:
            self.active = False

    def replay(self, top: int = 3) -> tuple[int, float, list[tuple[float, int, str]]]:
        """(statements, total ms, the slowest [(ms, times run, SQL)]) over the SELECTs, replayed 5 times each."""
        totals: dict[str, list] = defaultdict(lambda: [0, 0.0])
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters, executemany in self.statements:
                entry = totals[" ".join(statement.split())]
                entry[0] += 1
                if executemany or not statement.lstrip().upper().startswith("SELECT"):
                    continue
                best = math.inf
                for _ in range(5):
                    started = time.perf_counter()
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
                    best = min(best, time.perf_counter() - started)
                entry[1] += best * 1000
            cursor.close()
        finally:
            raw.close()
        ranked = sorted(((ms, n, sql) for sql, (n, ms) in totals.items()), reverse=True)
        return len(self.statements), sum(ms for ms, _, _ in ranked), ranked[:top]


def _route_exists(app, path: str) -> bool:
    from werkzeug.exceptions import MethodNotAllowed, NotFound
    from werkzeug.routing import RequestRedirect

    try:
        app.url_map.bind("localhost").match(path, method="GET")
    except NotFound:
        return False
    except (RequestRedirect, MethodNotAllowed):
        return True
    return True


class GcPauses:
    """Time spent in full (generation 2) garbage collections while a request ran."""

    def __init__(self):
        self.started, self.ms = 0.0, 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase, info):
        if info["generation"] != 2:
            return
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.ms += (time.perf_counter() - self.started) * 1000

    def take(self) -> float:
        ms, self.ms = self.ms, 0.0
        return ms


class PageFailed(RuntimeError):
    pass


def _get(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        location = response.headers.get("Location", "")
        raise PageFailed(f"GET {url} answered {response.status_code} {location} (expected 200):\n"
                         f"{response.get_data(as_text=True)[:600]}")
    return response


def sign_in(client) -> None:
    page = client.get("/auth/sign-in")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    if token is None:
        raise PageFailed("no csrf_token on the sign-in form")
    response = client.post("/auth/sign-in", data={"email": EMAIL, "password": PASSWORD,
                                                  "csrf_token": token.group(1)})
    if response.status_code != 302:
        raise PageFailed(f"sign-in answered {response.status_code}, not a redirect")


def measure(database: Path, workdir: Path, requests: int, warmup: int, profile: bool, strict: bool,
            no_settle: bool = False) -> dict:
    from sqlalchemy import select

    from models import Contract, ServiceCategory, db

    app = _app(database, workdir)
    client = app.test_client()
    notes: list[str] = []
    with app.app_context():
        timer = SqlTimer(db.engine)
        contracts = db.session.scalars(select(Contract).order_by(Contract.id)).all()
        scorecard_ids = [contracts[i].id for i in (0, 41, 99, 137, 180)]  # 0 and 180: amended clauses
        category_id = db.session.scalar(select(ServiceCategory.id).where(ServiceCategory.slug == RANKED_CATEGORY))
    sign_in(client)

    rankings_url = f"/rankings/?category={RANKED_CATEGORY}&period={LAST_PERIOD}&window=6"
    scorecard_urls = [f"/contracts/{i}/scorecard" for i in scorecard_ids]
    pages: dict[str, dict] = {"healthz": {"call": lambda i: _get(client, "/healthz"), "what": "GET /healthz"}}

    if _route_exists(app, "/rankings/"):
        pages["rankings"] = {"call": lambda i: _get(client, rankings_url), "what": f"GET {rankings_url}"}

        first = _get(client, rankings_url).get_data(as_text=True)
        if 'data-testid="interval-chart"' not in first or 'data-testid="funnel-chart"' not in first:
            raise PageFailed("the rankings page shows no §3b intervals or funnel plot for the bench category")

        def rankings_cold(i):  # the first view after a write: nothing rendered for this data version yet
            from contracts_app.rankings.cache import rendered_rankings

            rendered_rankings.clear()
            _get(client, rankings_url)

        pages["rankings_cold"] = {"call": rankings_cold, "what": "the same, its rendering cache cleared first "
                                                             "(the page without the cache)", "informational": True}
    else:
        from contracts_app.rankings.standings import vendor_rankings

        def rankings_service(i):
            with app.test_request_context():
                category = db.session.get(ServiceCategory, category_id)
                result = vendor_rankings(category, LAST_PERIOD, 6)
                assert len(result) == VENDORS, len(result)
                db.session.remove()

        notes.append("RANKINGS PAGE NOT BUILT YET (/rankings/ matches no route): measured the service "
                     "contracts_app.rankings.standings.vendor_rankings(asphalt-resurfacing, 2026-10, 6) instead, "
                     "in a request context, without the template")
        pages["rankings"] = {"call": rankings_service, "what": "vendor_rankings() [stand-in]", "stand_in": True}

    if _route_exists(app, scorecard_urls[0]):
        pages["scorecard"] = {"call": lambda i: _get(client, scorecard_urls[i % len(scorecard_urls)]),
                              "what": f"GET /contracts/<id>/scorecard x {len(scorecard_urls)} contracts"}
    else:
        detail_urls = [f"/contracts/{i}" for i in scorecard_ids]
        notes.append("SCORECARD PAGE NOT BUILT YET (/contracts/<id>/scorecard matches no route): measured the "
                     "contract detail page /contracts/<id> instead")
        pages["scorecard"] = {"call": lambda i: _get(client, detail_urls[i % len(detail_urls)]),
                              "what": f"GET /contracts/<id> x {len(detail_urls)} contracts [stand-in]",
                              "stand_in": True}
    if strict and any(p.get("stand_in") for p in pages.values()):
        raise PageFailed("--strict: " + "; ".join(notes))

    for i in range(warmup):
        for page in pages.values():
            page["call"](i)
    if not no_settle:  # what wsgi.py does once the app is loaded (contracts_app.server_heap.settle_heap)
        from contracts_app.server_heap import settle_heap

        settle_heap()
    else:
        notes.append("--no-settle: measured without settle_heap(), unlike the server (diagnostic)")
    times: dict[str, list[float]] = {name: [] for name in pages}
    cpu: dict[str, list[float]] = {name: [] for name in pages}
    full_gc: dict[str, list[float]] = {name: [] for name in pages}
    pauses = GcPauses()
    load_before = os.getloadavg()[0]
    for i in range(requests):  # interleaved
        for name, page in pages.items():
            pauses.take()
            started, started_cpu = time.perf_counter(), time.process_time()
            page["call"](i)
            times[name].append((time.perf_counter() - started) * 1000)
            cpu[name].append((time.process_time() - started_cpu) * 1000)
            full_gc[name].append(pauses.take())

    results = {name: {"what": pages[name]["what"], "median": statistics.median(t), "p95": percentile(t, 95),
                      "max": max(t), "cpu_median": statistics.median(cpu[name]), "cpu_p95": percentile(cpu[name], 95),
                      "gc_requests": sum(1 for ms in full_gc[name] if ms), "gc_ms": sum(full_gc[name]),
                      "p95_minus_gc": percentile([t - g for t, g in zip(times[name], full_gc[name], strict=False)], 95),
                      "stand_in": pages[name].get("stand_in", False)} for name, t in times.items()}
    floor = results["healthz"]["median"]
    missed = [name for name in ("rankings", "scorecard")
              if results[name]["p95"] > _target(name) or results[name]["p95"] > TARGET_HEALTHZ_RATIO * floor]
    for name in ("rankings", "scorecard"):
        with timer.collecting():
            pages[name]["call"](0)
        with app.app_context():
            results[name]["queries"], results[name]["sql_ms"], results[name]["top_sql"] = timer.replay()
        if profile or name in missed:
            call = pages[name]["call"]
            results[name]["profile"] = _profile(lambda call=call: [call(i) for i in range(10)])

    results["recompute"] = measure_recompute(app, contracts_count=5, repeats=3, timer=timer,
                                             profile=profile)
    results["notes"] = notes
    results["load"] = (load_before, os.getloadavg()[0])
    return results


def _target(name: str) -> float:
    return TARGET_P95_MS_BY_PAGE.get(name, TARGET_P95_MS)


def _profile(run) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    return out.getvalue()


def _checked_rows(item: dict, period: str):
    from imports.check import CheckedRows

    rows = month_rows(item, period, MONTHS)
    names = list(rows[0][3])
    context_names = list(rows[0][4])
    return CheckedRows(row_numbers=[r[0] for r in rows], row_keys=[r[1] for r in rows],
                       work_dates=[r[2] for r in rows], values={k: [r[3][k] for r in rows] for k in names},
                       context={k: [r[4][k] for r in rows] for k in context_names})


def measure_recompute(app, contracts_count: int, repeats: int, timer: SqlTimer, profile: bool) -> dict:
    """Commit a fresh month through commit_rows, then time recompute_period of that contract-period alone."""
    from sqlalchemy import select

    from contracts_app.stored_scores.recompute import recompute_period
    from contracts_app.uploads.storing import commit_rows
    from models import Contract, ContractPeriodScore, db

    plan = {item["number"]: item for item in _contract_plan()}
    commit_ms, recompute_ms = [], []
    with app.app_context():
        numbers = [f"BX-{j:04d}" for j in (3, 57, 104, 151, 198)][:contracts_count]
        for number in numbers:
            contract = db.session.scalars(select(Contract).where(Contract.number == number)).one()
            rows = _checked_rows(plan[number], FRESH_PERIOD)
            sha = hashlib.sha256(f"fresh:{number}:{FRESH_PERIOD}:{time.time_ns()}".encode()).hexdigest()
            started = time.perf_counter()
            outcome = commit_rows(contract, FRESH_PERIOD, rows, filename=f"{number}-{FRESH_PERIOD}.xlsx", sha256=sha)
            db.session.commit()
            commit_ms.append((time.perf_counter() - started) * 1000)
            assert not outcome.already_imported
            contract_id = contract.id
            for _ in range(repeats):
                db.session.remove()  # a fresh session, as a new request or command has
                contract = db.session.get(Contract, contract_id)
                with timer.collecting():
                    started = time.perf_counter()
                    recompute_period(contract, FRESH_PERIOD)
                    db.session.commit()
                    recompute_ms.append((time.perf_counter() - started) * 1000)
            stored = db.session.scalars(select(ContractPeriodScore).where(
                ContractPeriodScore.contract_id == contract_id, ContractPeriodScore.period == FRESH_PERIOD)).one()
            assert stored.observations == len(rows) and stored.composite is not None, (stored.observations, len(rows))
        queries, _, top_sql = timer.replay()  # the last run's statements
        result = {"commit_median": statistics.median(commit_ms), "median": statistics.median(recompute_ms),
                  "max": max(recompute_ms), "runs": len(recompute_ms), "rows": len(rows), "top_sql": top_sql,
                  "queries": queries}
        if profile or result["median"] > TARGET_RECOMPUTE_MS:
            contract = db.session.get(Contract, contract_id)
            result["profile"] = _profile(lambda: (recompute_period(contract, FRESH_PERIOD), db.session.commit()))
        db.session.remove()
    return result


# ---------------------------------------------------------------------------------------------- report

def _verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def report(results: dict, built: dict | None, cached: Path, measured_seconds: float) -> bool:
    floor = results["healthz"]["median"]
    print()
    for note in results["notes"]:
        print(f"NOTE: {note}")
    print(f"{'wall ms':<10} {'median':>7} {'p95':>7} {'max':>7} {'p95/healthz':>12} | {'cpu ms':>6} {'median':>7} "
          f"{'p95':>7}   what")
    for name in ("healthz", "rankings", "rankings_cold", "scorecard"):
        if name not in results:
            continue
        r = results[name]
        ratio = r["p95"] / floor
        print(f"{name:<10} {r['median']:7.2f} {r['p95']:7.2f} {r['max']:7.2f} {ratio:11.1f}x | {'':>6} "
              f"{r['cpu_median']:7.2f} {r['cpu_p95']:7.2f}   {r['what']}")
    load = results["load"]
    busy = load[0] > 1.0 or load[1] > 1.0
    print(f"load average {load[0]:.2f} before, {load[1]:.2f} after"
          f"{' -- the machine is busy with other work: wall-time p95 is inflated, see the cpu columns' if busy else ''}")
    for name in ("healthz", "rankings", "scorecard"):
        r = results[name]
        if r["gc_requests"]:
            print(f"  {name}: full garbage collections (generation 2) ran in {r['gc_requests']} of the requests, "
                  f"{r['gc_ms'] / r['gc_requests']:.1f} ms each on average; p95 without their pauses "
                  f"{r['p95_minus_gc']:.2f} ms")
    for name in ("rankings", "scorecard"):
        r = results[name]
        print(f"  {name}: {r['queries']} SQL statements for one request; the SELECTs replayed alone with their "
              f"fetch take {r['sql_ms']:.1f} ms; slowest:")
        for ms, n, q in r["top_sql"]:
            print(f"    {ms:7.2f} ms x{n:<3} {q[:220]}")
    rc = results["recompute"]
    print(f"recompute  {rc['median']:7.2f}ms median, max {rc['max']:.2f} ms over {rc['runs']} runs "
          f"({rc['rows']} rows, {rc['queries']} SQL statements); commit_rows incl. recompute "
          f"{rc['commit_median']:.2f} ms median")
    for ms, n, q in rc["top_sql"]:
        print(f"    {ms:7.2f} ms x{n:<3} {q[:220]}")
    print()
    ok_all = True
    for name in ("rankings", "scorecard"):
        r = results[name]
        label = f"{name}{' (stand-in)' if r['stand_in'] else ''}"
        ok = r["p95"] <= _target(name)
        ratio = r["p95"] / floor
        ok_ratio = ratio <= TARGET_HEALTHZ_RATIO
        ok_all &= ok and ok_ratio
        print(f"{label + ' p95':<28} = {r['p95']:7.2f} ms  (target <= {_target(name):g} ms)       {_verdict(ok)}")
        print(f"{label + ' p95 / healthz':<28} = {ratio:7.1f} x   (target <= {TARGET_HEALTHZ_RATIO:g} x healthz "
              f"median {floor:.2f} ms)  {_verdict(ok_ratio)}")
    ok = rc["median"] <= TARGET_RECOMPUTE_MS
    ok_all &= ok
    print(f"{'recompute one period':<28} = {rc['median']:7.2f} ms  (target <= {TARGET_RECOMPUTE_MS:g} ms)       "
          f"{_verdict(ok)}")
    print(f"peak memory (measuring)      = {peak_mb():7.0f} MB")
    if built:
        steps = ", ".join(f"{k} {v:.0f} s" for k, v in built["timings"].items())
        print(f"database built in {built['seconds']:.0f} s ({steps}); {built['observations']:,} observations, "
              f"{built['size_mb']:.0f} MB, build peak {built['peak_mb']:.0f} MB")
    print(f"database: {cached} (copy per run; --rebuild to rebuild); measured in {measured_seconds:.0f} s")
    if any(r.get("stand_in") for k, r in results.items() if isinstance(r, dict)):
        print("NOT FINAL: a page was not built yet; the figures above are for its stand-in")
    for name in ("rankings", "scorecard", "recompute"):
        if results[name].get("profile"):
            print(f"\n--- cProfile, {name} (cumulative) ---\n{results[name]['profile']}")
    return ok_all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached database")
    parser.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir()) / "contracts-rankings-bench"))
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile every page, not only a missed one")
    parser.add_argument("--strict", action="store_true", help="fail if a page is not built yet")
    parser.add_argument("--no-settle", action="store_true",
                        help="diagnostic: skip settle_heap() (gc.freeze after start-up) that wsgi.py does")
    parser.add_argument("--stage", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        kind, *paths = args.stage
        assert kind == "build"
        print(json.dumps(stage_build(Path(paths[0]), Path(paths[1]))))
        return
    cached, built = ensure_database(Path(args.cache_dir), args.rebuild)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        database = workdir / "bench.sqlite3"
        shutil.copyfile(cached, database)
        started = time.perf_counter()
        try:
            results = measure(database, workdir, args.requests, args.warmup, args.profile, args.strict,
                              args.no_settle)
        except PageFailed as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            sys.exit(1)
        ok = report(results, built, cached, time.perf_counter() - started)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    os.chdir(PROJECT_ROOT)
    main()
