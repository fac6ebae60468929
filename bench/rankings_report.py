"""The rankings bench's report (bench/rankings_bench.py): the table of pages, the SQL behind them, each target
with its verdict, and the build's figures when the database was built in this run."""
from __future__ import annotations

from pathlib import Path

from .rankings_data import peak_mb
from .rankings_measure import TARGET_HEALTHZ_RATIO, TARGET_RECOMPUTE_MS, target


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
        ok = r["p95"] <= target(name)
        ratio = r["p95"] / floor
        ok_ratio = ratio <= TARGET_HEALTHZ_RATIO
        ok_all &= ok and ok_ratio
        print(f"{label + ' p95':<28} = {r['p95']:7.2f} ms  (target <= {target(name):g} ms)       {_verdict(ok)}")
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

