"""The rankings bench's city (bench/rankings_bench.py): its contracts file, its rows and the cached database.

The rows come from the demo city's generator (contracts_app.demo.rows.work_order_rows), one per vendor
quality, here at the bench's size: about 83 rows a month for every contract-month, stored by bulk inserts and
scored by the app's own recompute_period.
"""
from __future__ import annotations

import hashlib
import json
import random
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

BENCH_VERSION = "rankings-bench-2"  # bump when the generated data changes (2: the demo city's row generator)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
LAST_PERIOD = "2026-10"
FRESH_PERIOD = "2026-11"  # committed during the run; the contracts run to 2027-06
RANKED_CATEGORY = "asphalt-resurfacing"  # every vendor has a contract here: the largest ranking
EMAIL, PASSWORD = "reader@bench.city", "rankings-bench-passphrase-2026"  # a city reader without MFA
CATEGORY_SLUGS = ("asphalt-resurfacing", "street-light-repair", "pothole-repair")
MISSING_CELLS = 0.01  # rows whose first value is left empty


@dataclass(frozen=True)
class Size:
    """How big the city is: the full size is what the targets are about; small checks that the bench runs."""

    name: str
    vendors: int
    contracts: int
    first_period: str
    months: int  # up to LAST_PERIOD
    rows_a_month: tuple[int, int]


SIZES = {
    "full": Size("full", vendors=100, contracts=200, first_period="2021-11", months=60, rows_a_month=(70, 96)),
    "small": Size("small", vendors=10, contracts=20, first_period="2025-11", months=12, rows_a_month=(20, 30)),
}


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



def contract_plan(size: Size) -> list[dict]:
    """Contract j belongs to vendor j % vendors; the first `vendors` are asphalt, the rest street lights or
    potholes. Each has a quality (0..1) and a drift over the months."""
    rng = random.Random(11)
    plan = []
    for j in range(size.contracts):
        category = 0 if j < size.vendors else 1 + j % 2
        plan.append({"number": f"BX-{j:04d}", "vendor": f"Bench Vendor {j % size.vendors:03d}", "category": category,
                     "quality": rng.uniform(0.15, 0.98), "drift": rng.uniform(-0.25, 0.25),
                     "amended": j % 5 == 0})
    return plan


def spread_numbers(size: Size, count: int) -> list[str]:
    """`count` contract numbers spread over the plan (the first is amended, so its scorecard has two versions)."""
    step = max(size.contracts // count, 1)
    return [f"BX-{j:04d}" for j in range(0, size.contracts, step)][:count]


def contracts_file(size: Size) -> dict:
    from scoring.periods import period_range

    categories = _categories()
    amended_from = period_range(size.first_period, LAST_PERIOD)[size.months * 8 // 15]  # full size: 2024-07
    contracts = []
    for item in contract_plan(size):
        category = categories[item["category"]]
        clauses = [dict(c, effective_from=size.first_period) for c in category["clauses"]]
        if item["amended"]:  # one clause amended mid-way: scorecards show two versions
            first = dict(clauses[0], effective_from=amended_from, target=clauses[0]["target"])
            if first.get("minimum") is not None:
                first["minimum"] = first["minimum"] + (1 if first["direction"] == "lower" else -1)
            clauses.append(first)
        contracts.append({
            "number": item["number"], "title": f"{category['name']}, zone {item['number'][-3:]}",
            "vendor": item["vendor"], "category": category["slug"], "start": f"{size.first_period}-01",
            "end": "2027-06-30",
            "value": 1_500_000, "status": "active", "capacity": 40, "incentive_cap": 5, "penalty_cap": 10,
            "clauses": clauses,
        })
    return {"categories": [{k: v for k, v in c.items() if k != "clauses"} for c in categories],
            "vendors": [{"name": name} for name in sorted({c["vendor"] for c in contracts})],
            "contracts": contracts}


def month_rows(item: dict, period: str, month_index: int, size: Size) -> list[tuple]:
    """(row_number, row_key, work_date, values, context) of one contract-month, from the demo city's generator
    at the contract's quality that month."""
    from contracts_app.demo.rows import work_order_rows

    jitter = random.Random(f"{item['number']}:{period}:q").random()
    q = min(max(item["quality"] + item["drift"] * month_index / size.months + (jitter - 0.5) * 0.1, 0.0), 1.0)
    rows = work_order_rows(f"{item['number']}:{period}", CATEGORY_SLUGS[item["category"]], q, period,
                           key_prefix=f"{item['number']}-{period}", rows_a_month=size.rows_a_month,
                           missing=MISSING_CELLS)
    return [(number, *row) for number, row in enumerate(rows, start=2)]


def checked_rows(item: dict, period: str, size: Size):
    """One contract-month's rows as the sheet check hands them to commit_rows."""
    from imports.check import CheckedRows

    rows = month_rows(item, period, size.months, size)
    names = list(rows[0][3])
    context_names = list(rows[0][4])
    return CheckedRows(row_numbers=[r[0] for r in rows], row_keys=[r[1] for r in rows],
                       work_dates=[r[2] for r in rows], values={k: [r[3][k] for r in rows] for k in names},
                       context={k: [r[4][k] for r in rows] for k in context_names})


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_app(database: Path, workdir: Path):
    from contracts_app import create_app

    return create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                       "UPLOAD_FOLDER": str(workdir / "uploads"), "SESSION_COOKIE_SECURE": False})


def cache_key(size: Size) -> str:
    digest = hashlib.sha256(f"{BENCH_VERSION}:{size}".encode())
    for path in sorted((PROJECT_ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    digest.update((PROJECT_ROOT / "contracts_app" / "demo" / "rows.py").read_bytes())  # the generator
    return digest.hexdigest()[:12]


def stage_build(database: Path, workdir: Path, size: Size) -> dict:
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
    periods = period_range(size.first_period, LAST_PERIOD)
    assert len(periods) == size.months, periods
    app = bench_app(database, workdir)
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        load_contracts(parse_contracts_file(json.dumps(contracts_file(size))))
        create_user(EMAIL, "procurement", PASSWORD, name="Bench Reader")
        db.session.commit()
        timings["schema+contracts"] = time.perf_counter() - started

        started = time.perf_counter()
        ids = dict(db.session.execute(select(Contract.number, Contract.id)).all())
        plan = contract_plan(size)
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
                rows = month_rows(item, p, index, size)
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
        timings[f"recompute {len(counts):,} periods"] = time.perf_counter() - started
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

def ensure_database(cache_dir: Path, rebuild: bool, size: Size) -> tuple[Path, dict | None]:
    """The cached database of this size (built in a child process, so its memory is not the pages')."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = cache_dir / f"{size.name}-{cache_key(size)}.sqlite3"
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
                             str(cache_dir), size.name], check=True, stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT).stdout
    built = json.loads(output.strip().splitlines()[-1])
    for leftover in cache_dir.glob(building.name + "-*"):  # -wal/-shm, empty after the checkpoint
        leftover.unlink()
    building.rename(cached)
    built["seconds"] = time.perf_counter() - started
    return cached, built


