"""Speed of the public scorecard page (issue 16) on the demo city, against /healthz, over real HTTP on loopback.

The demo city (seeded on a fresh SQLite file) with its asphalt category published is served by werkzeug's
threaded server on 127.0.0.1 (a free port) in this process; requests go only there, one at a time, interleaved
so drift in the machine hits every URL alike, after a warm-up:
  healthz        - GET /healthz (the floor)
  category       - GET /public/asphalt-resurfacing/ as a visitor gets it (rendered once per data version)
  category_304   - the same with If-None-Match of its ETag: what a returning visitor's browser or a proxy gets
  category_cold  - the same with the rendered cache cleared first: the page built from the database each time
  results_csv    - GET /public/asphalt-resurfacing/results.csv (the monthly results download; built afresh
                   each round too, since category_cold clears the whole rendered cache)
Bounded: --requests per URL (default 200, at most 1000) and --seconds overall (default 120): it stops at
whichever comes first. Targets: category p95 <= 50 ms and <= 20 x the /healthz median; category_cold
p95 <= 400 ms. Exit status 0 when met, 1 when missed (or a page answers anything unexpected).

Run: .venv/bin/python -m bench.public_bench [--requests 200] [--seconds 120]
"""
from __future__ import annotations

import argparse
import http.client
import logging
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HOST = "127.0.0.1"  # loopback only
SLUG = "asphalt-resurfacing"
MAX_REQUESTS = 1000
TARGETS = {"category": 50.0, "category_cold": 400.0}


def serve_demo_city(data_dir: Path):
    from flask_migrate import upgrade
    from werkzeug.serving import WSGIRequestHandler, make_server

    from contracts_app import create_app
    from contracts_app.demo.seed import seed_demo
    from models import ServiceCategory, db, utcnow

    class Quiet(WSGIRequestHandler):
        def log_request(self, code="-", size="-") -> None:
            pass

    app = create_app({"SECRET_KEY": "public-bench-not-for-production",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data_dir / 'bench.sqlite3'}",
                      "UPLOAD_FOLDER": str(data_dir / "uploads"), "JOBS_REDIS_URL": "",
                      "JOBS_SQLITE_PATH": str(data_dir / "queue.sqlite3"), "SESSION_COOKIE_SECURE": False})
    logging.disable(logging.INFO)  # a log line per request would be most of the output
    with app.app_context():
        upgrade()
        seed_demo()
        category = db.session.query(ServiceCategory).filter_by(slug=SLUG).one()
        category.published_at = utcnow()
        db.session.commit()
        db.session.remove()
    server = make_server(HOST, 0, app, threaded=True, request_handler=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def get(port: int, path: str, headers: dict | None = None) -> tuple[float, int, dict]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    started = time.perf_counter()
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    connection.close()
    return elapsed, response.status, dict(response.getheaders())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    requests = max(1, min(args.requests, MAX_REQUESTS))

    from contracts_app.rankings.cache import rendered_rankings

    with tempfile.TemporaryDirectory(prefix="public-bench-") as folder:
        print("seeding the demo city ...", flush=True)
        server = serve_demo_city(Path(folder))
        port = server.server_port
        try:
            page = f"/public/{SLUG}/"
            _, status, headers = get(port, page)
            if status != 200:
                sys.exit(f"{page} answered {status}")
            etag = headers["ETag"]

            def cold():
                rendered_rankings.clear()
                return get(port, page)

            urls = {
                "healthz": lambda: get(port, "/healthz"),
                "category": lambda: get(port, page),
                "category_304": lambda: get(port, page, {"If-None-Match": etag}),
                "category_cold": cold,
                "results_csv": lambda: get(port, f"/public/{SLUG}/results.csv"),
            }
            expected = {"category_304": 304}
            for _ in range(args.warmup):
                for fetch in urls.values():
                    fetch()
            times: dict[str, list[float]] = {name: [] for name in urls}
            deadline = time.monotonic() + args.seconds
            for _ in range(requests):
                if time.monotonic() > deadline:
                    print(f"stopped at the {args.seconds:g} s limit", flush=True)
                    break
                for name, fetch in urls.items():
                    elapsed, status, _ = fetch()
                    if status != expected.get(name, 200):
                        sys.exit(f"{name} answered {status}")
                    times[name].append(elapsed)
        finally:
            server.shutdown()
            server.server_close()

    floor = statistics.median(times["healthz"])
    print(f"{'url':<15}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p95 / healthz p50':>20}")
    missed = []
    for name, values in times.items():
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        print(f"{name:<15}{len(values):>6}{p50:>10.1f}{p95:>10.1f}{p95 / floor:>20.1f}")
        if name in TARGETS and p95 > TARGETS[name]:
            missed.append(f"{name} p95 {p95:.1f} ms > {TARGETS[name]:g} ms")
    if percentile(times["category"], 0.95) > 20 * floor:
        missed.append("category p95 > 20 x the /healthz median")
    print("targets met" if not missed else "MISSED: " + "; ".join(missed))
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
