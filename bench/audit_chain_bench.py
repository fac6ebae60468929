"""What the audit trail's hash chain costs: appending events, and checking the whole chain (issue 12).

On a fresh database (SQLite in a temp folder, or --database-url postgresql://... whose public schema is
DROPPED and recreated), measured in one run, interleaved in rounds so machine drift hits both alike:
  floor    - record_event + commit, one event per transaction, with the chaining hook switched off
  chained  - the same with the hook on (chain lock, read of the head, SHA-256 of the canonical JSON)
then `verify_chain` over every event stored (events per second, peak memory).
Target: chained append median <= 2 x the floor; verify >= 5,000 events/s.
Exit status: 0 when both are met, 1 otherwise.

Run: .venv/bin/python -m bench.audit_chain_bench [--events 2000] [--verify-events 50000] [--database-url URL]
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session


def _fresh_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000, help="appends measured per variant")
    parser.add_argument("--verify-events", type=int, default=50_000, help="events in the chain to verify")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from contracts_app import create_app
    from contracts_app.audit import record_event, verify_chain
    from contracts_app.config import normalise_database_url
    from models import AuditEvent, db
    from models import audit as audit_model

    folder = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    url = normalise_database_url(args.database_url) if args.database_url else f"sqlite:///{folder / 'bench.sqlite3'}"
    if url.startswith("postgresql"):
        _fresh_postgres(url)
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(folder)})
    timings: dict[str, list[float]] = {"floor": [], "chained": []}
    with app.app_context():
        upgrade()

        def append(variant: str, count: int) -> None:
            chained = variant == "chained"
            if not chained:
                event.remove(Session, "before_flush", audit_model._chain_new_events)
            try:
                for n in range(count):
                    started = time.perf_counter()
                    item = record_event("bench_event", summary=f"{variant} {n}", after={"n": n, "amount": "12.50"})
                    if not chained:
                        item.hash = "0" * 64  # the column is NOT NULL; the floor skips the chain's work
                    db.session.commit()
                    timings[variant].append(time.perf_counter() - started)
            finally:
                if not chained:
                    event.listen(Session, "before_flush", audit_model._chain_new_events)

        append("chained", 50)  # warm-up
        timings["chained"].clear()
        rounds = 10
        for _ in range(rounds):
            append("floor", args.events // rounds)
            append("chained", args.events // rounds)
        # The floor's rows break the chain on purpose, so verify runs on a chain of its own below.
        print(f"database: {db.engine.dialect.name}")
        for variant, values in timings.items():
            ordered = sorted(values)
            print(f"  {variant:8} append median {statistics.median(values) * 1000:.2f} ms, "
                  f"p95 {ordered[int(len(ordered) * 0.95)] * 1000:.2f} ms ({len(values)} events)")
        ratio = statistics.median(timings["chained"]) / statistics.median(timings["floor"])
        print(f"  chained / floor: {ratio:.2f}x (target <= 2x)")

    verify_url = f"sqlite:///{folder / 'verify.sqlite3'}" if url.startswith("sqlite") else url
    if url.startswith("postgresql"):
        _fresh_postgres(url)
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": verify_url, "UPLOAD_FOLDER": str(folder)})
    with app.app_context():
        upgrade()
        batch = []
        for n in range(args.verify_events):
            batch.append(AuditEvent(actor="bench", action="bench_event", summary=f"event {n}",
                                    after={"n": n, "amount": "12.50", "note": "x" * 40}))
            if len(batch) == 1000:
                db.session.add_all(batch)
                db.session.commit()
                batch = []
        db.session.add_all(batch)
        db.session.commit()
        db.session.remove()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        report = verify_chain()
        elapsed = time.perf_counter() - started
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rate = report.events_checked / elapsed
        print(f"  verify: {report.events_checked} events in {elapsed:.2f} s = {rate:,.0f} events/s "
              f"(target >= 5,000), intact={report.intact}, peak RSS grew {max(0, rss_after - rss_before) / 1024:.1f} MB")
    ok = ratio <= 2 and rate >= 5000 and report.intact
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
