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

The work is in three modules: bench/rankings_data.py (the city, from the demo city's row generator, and its
cached database), bench/rankings_measure.py (the pages and recompute, timed) and bench/rankings_report.py.
`--size small` (10 vendors, 20 contracts, 12 months, 20-30 rows a month) checks quickly that the bench runs;
its figures are not what the targets are about (those are for the full size).

Run: .venv/bin/python -m bench.rankings_bench [--rebuild] [--requests 50] [--profile] [--strict] [--no-settle]
     [--size full|small]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .rankings_data import PROJECT_ROOT, SIZES, ensure_database, stage_build
from .rankings_measure import PageFailed, measure
from .rankings_report import report


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
    parser.add_argument("--size", choices=sorted(SIZES), default="full",
                        help="the city's size: full (what the targets are about) or small (a quick check)")
    parser.add_argument("--stage", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        kind, *paths = args.stage
        assert kind == "build"
        size = SIZES[paths[2]] if len(paths) > 2 else SIZES["full"]
        print(json.dumps(stage_build(Path(paths[0]), Path(paths[1]), size)))
        return
    size = SIZES[args.size]
    cached, built = ensure_database(Path(args.cache_dir), args.rebuild, size)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        database = workdir / "bench.sqlite3"
        shutil.copyfile(cached, database)
        started = time.perf_counter()
        try:
            results = measure(database, workdir, size, args.requests, args.warmup, args.profile, args.strict,
                              args.no_settle)
        except PageFailed as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            sys.exit(1)
        ok = report(results, built, cached, time.perf_counter() - started)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    os.chdir(PROJECT_ROOT)
    main()
