"""Import speed and memory against the floor (issue: monthly sheets).

Builds a 100,000-row sheet for a six-clause contract, then measures in one run, each stage in a fresh
process so its peak memory is its own:
  floor  - python-calamine reading the file into Python rows + sqlite3 executemany into a plain table
           (with --database postgresql://...: + psycopg COPY into a plain table)
  check  - the app's check alone (type and limit checks, reading, every cell checked, preview scores)
  import - the full import: check, commit, observations stored
Targets (issue 13, on SQLite and PostgreSQL alike): import <= 1.5 x floor, check <= 1.2 x floor, peak <= 400 MB.
Run: .venv/bin/python -m bench.import_bench [--rows N] [--repeat K] [--database postgresql://user@host/db]
     [--no-sqlite]
SQLite always runs (unless --no-sqlite); with --database, PostgreSQL too, on the same sheet, and one table
sums up both. The PostgreSQL database's public schema is dropped and recreated: give it a scratch database.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

PERIOD = "2026-03"
CONTRACT = "PW-BENCH-001"


def write_sheet(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    rng = random.Random(7)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    sheet.append(["work_order_id", "completed_on", "street", "iri", "pci_after", "on_time", "defects",
                  "lane_miles", "resident_notice", "complaints"])
    for i in range(rows):
        sheet.append([f"WO-{i:07d}", date(2026, 3, 1 + i % 31), "Maple Ave", round(rng.uniform(40, 140), 1),
                      round(rng.uniform(70, 100), 1), "yes" if rng.random() < 0.9 else "no", rng.randint(0, 3),
                      round(rng.uniform(0.2, 2.5), 2), "yes" if rng.random() < 0.95 else "no", rng.randint(0, 2)])
    workbook.save(path)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage_floor(sheet: Path, workdir: Path, database_url: str = "") -> dict:
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    rows = CalamineWorkbook.from_path(str(sheet)).get_sheet_by_index(0).to_python()
    width = len(rows[0])
    if database_url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(database_url.replace("+psycopg", "")) as connection:
            connection.execute(f"CREATE TEMP TABLE floor_rows ({', '.join(f'c{i} text' for i in range(width))})")
            with connection.cursor() as cursor, cursor.copy("COPY floor_rows FROM STDIN") as copy:
                for row in rows[1:]:
                    copy.write_row(row)
    else:
        connection = sqlite3.connect(workdir / f"floor-{time.time_ns()}.sqlite3")
        connection.execute(f"CREATE TABLE rows ({', '.join(f'c{i}' for i in range(width))})")
        connection.executemany(f"INSERT INTO rows VALUES ({', '.join('?' * width)})",
                               [[v.isoformat() if hasattr(v, "isoformat") else v for v in row] for row in rows[1:]])
        connection.commit()
        connection.close()
    return {"seconds": time.perf_counter() - start, "peak_mb": peak_mb()}


def _app(workdir: Path, database: Path | str):
    from contracts_app import create_app
    from contracts_app.config import normalise_database_url

    url = normalise_database_url(str(database)) if str(database).startswith("postgres") else f"sqlite:///{database}"
    return create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                       "UPLOAD_FOLDER": str(workdir / "uploads")})


def stage_setup(workdir: Path, database: Path | str) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    if str(database).startswith("postgres"):
        from contracts_app.config import normalise_database_url

        engine = create_engine(normalise_database_url(str(database)), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()

    from contracts_app.contracts.importer import load_contracts, parse_contracts_file
    from contracts_app.demo.city import demo_contracts_file
    from models import db

    app = _app(workdir, database)
    with app.app_context():
        upgrade()
        document = demo_contracts_file()
        contract = dict(document["contracts"][0], number=CONTRACT, start="2026-01-01", end="2026-12-31",
                        clauses=[dict(c, effective_from="2026-01") for c in document["contracts"][0]["clauses"]])
        load_contracts(parse_contracts_file(json.dumps({**document, "contracts": [contract]})))
        db.session.commit()
    return {}


def stage_app(kind: str, sheet: Path, workdir: Path, database: Path | str) -> dict:
    from sqlalchemy import func, select

    from contracts_app.uploads.flow import check_file, clause_preview, import_path, limits_from_config
    from imports.limits import inspect_upload
    from models import Contract, Observation, db

    app = _app(workdir, database)
    with app.app_context():
        contract = db.session.scalars(select(Contract).where(Contract.number == CONTRACT)).one()
        limits = limits_from_config()
        start = time.perf_counter()
        if kind == "check":
            file_kind = inspect_upload(sheet, sheet.name, limits)
            report = check_file(contract, PERIOD, sheet, file_kind, limits)
            clause_preview(contract, PERIOD, report.rows)
            assert report.ok, report.errors[:3]
            stored = len(report.rows)
        else:
            result = import_path(contract, PERIOD, sheet, None, commit=True)
            db.session.commit()
            assert result.committed is not None, (result.report or {}).get("errors", [])[:3]
            stored = db.session.scalar(select(func.count()).select_from(Observation)
                                       .where(Observation.upload_id == result.committed.id))
        elapsed = time.perf_counter() - start
        if kind == "import":  # leave the next repetition an empty period
            db.session.execute(Observation.__table__.delete())
            from models import Upload
            db.session.execute(Upload.__table__.delete())
            db.session.commit()
    return {"seconds": elapsed, "peak_mb": peak_mb(), "rows": stored}


def run_stage(*args: str) -> dict:
    output = subprocess.run([sys.executable, "-m", "bench.import_bench", "--stage", *args],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


TARGETS = {"check": 1.2, "import": 1.5}
PEAK_TARGET_MB = 400


def measure(sheet: Path, workdir: Path, database_url: str, repeat: int) -> dict:
    """Median seconds and peak memory of floor, check and import on one database (SQLite when url is empty)."""
    database = database_url or str(workdir / "app.sqlite3")
    run_stage("setup", str(workdir), str(database))
    results: dict[str, list[dict]] = {"floor": [], "check": [], "import": []}
    for _ in range(repeat):  # interleaved, so drift in the machine hits every stage alike
        results["floor"].append(run_stage("floor", str(sheet), str(workdir), database_url))
        results["check"].append(run_stage("check", str(sheet), str(workdir), str(database)))
        results["import"].append(run_stage("import", str(sheet), str(workdir), str(database)))
    name = "PostgreSQL" if database_url else "SQLite"
    print(f"\n{name}")
    for kind, runs in results.items():
        times = ", ".join(f"{r['seconds']:.2f}" for r in runs)
        print(f"  {kind:<7} median {statistics.median(r['seconds'] for r in runs):6.2f} s  (runs: {times})  "
              f"peak {max(r['peak_mb'] for r in runs):6.0f} MB")
    return {kind: {"seconds": statistics.median(r["seconds"] for r in runs), "peak_mb": max(r["peak_mb"] for r in runs)}
            for kind, runs in results.items()}


def summary(name: str, measured: dict) -> tuple[str, bool]:
    """One line of the table and whether every target is met."""
    floor = measured["floor"]["seconds"]
    ratios = {kind: measured[kind]["seconds"] / floor for kind in TARGETS}
    peak = max(measured["check"]["peak_mb"], measured["import"]["peak_mb"])
    met = all(ratios[kind] <= TARGETS[kind] for kind in TARGETS) and peak <= PEAK_TARGET_MB
    marks = {kind: "ok" if ratios[kind] <= TARGETS[kind] else "MISSED" for kind in TARGETS}
    line = (f"{name:<10} {floor:7.2f} {measured['check']['seconds']:7.2f} {measured['import']['seconds']:8.2f} "
            f"{ratios['check']:6.2f} {marks['check']:<6} {ratios['import']:6.2f} {marks['import']:<6} {peak:6.0f} "
            f"{'ok' if peak <= PEAK_TARGET_MB else 'MISSED'}")
    return line, met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stage", nargs="+")
    parser.add_argument("--database", default="", help="a scratch PostgreSQL database URL: measured after SQLite")
    parser.add_argument("--no-sqlite", action="store_true", help="with --database, measure PostgreSQL only")
    args = parser.parse_args()
    if args.stage:
        kind, *paths = args.stage
        paths = [p if p.startswith("postgres") or not p else Path(p) for p in paths]
        result = {"floor": lambda: stage_floor(*paths), "setup": lambda: stage_setup(*paths)}.get(
            kind, lambda: stage_app(kind, *paths))()
        print(json.dumps(result))
        return
    databases = [("SQLite", "")] * (not (args.no_sqlite and args.database))
    databases += [("PostgreSQL", args.database)] * bool(args.database)
    measured = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        sheet = workdir / "bench.xlsx"
        started = time.perf_counter()
        write_sheet(sheet, args.rows)
        print(f"sheet: {args.rows:,} rows, {sheet.stat().st_size / 1e6:.1f} MB, written in "
              f"{time.perf_counter() - started:.1f} s; medians of {args.repeat}")
        for name, url in databases:
            measured[name] = measure(sheet, workdir, url, args.repeat)
    print(f"\n{'database':<10} {'floor s':>7} {'check s':>7} {'import s':>8} {'check/floor':<13} "
          f"{'import/floor':<13} {'peak MB':<9}")
    every_target = True
    for name, result in measured.items():
        line, met = summary(name, result)
        every_target &= met
        print(line)
    print(f"targets (check <= {TARGETS['check']} x floor, import <= {TARGETS['import']} x floor, peak <= "
          f"{PEAK_TARGET_MB} MB): {'met' if every_target else 'MISSED'} on {', '.join(measured)}")


if __name__ == "__main__":
    main()
