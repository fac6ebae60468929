"""Generated monthly work-order rows per vendor quality: same seed, same rows, every time.

The one generator of performance rows: the demo city loads them as sheets, and bench/rankings_data.py stores
them straight in the database at a larger size (more contracts, months and rows a month)."""
from __future__ import annotations

import math
import random
from datetime import date

from scoring.periods import period_bounds

STREETS = ["Maple Ave", "Harbor St", "Elm St", "Lakeview Dr", "2nd Ave", "Mill Rd", "Oak St", "Cedar Ln",
           "Riverside Blvd", "Franklin St", "Union St", "Park Ave", "Bay Rd", "Summit Ave", "Grove St"]


def quality(profile: str, month_index: int, months: int) -> float:
    """How well a vendor performs in a month, from 0 (badly) to 1 (every target met)."""
    if profile == "excellent":
        return 0.96
    if profile == "improving":
        return 0.35 + 0.6 * month_index / max(months - 1, 1)
    if profile == "poor":
        return 0.28
    return 0.72  # steady


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _work_date(rng: random.Random, period: str) -> date:
    first, last = period_bounds(period)
    return date.fromordinal(rng.randint(first.toordinal(), last.toordinal()))


def _yes(rng: random.Random, probability: float) -> bool:
    return rng.random() < probability


def asphalt_row(rng: random.Random, q: float, period: str) -> tuple[date, dict, dict]:
    lane_miles = round(rng.uniform(0.4, 2.2), 2)
    values = {
        "iri": round(min(max(rng.gauss(140 - 70 * q, 12), 25), 380), 1),
        "pci_after": round(min(max(rng.gauss(72 + 20 * q, 3), 0), 100), 1),
        "on_time": _yes(rng, 0.55 + 0.45 * q),
        "defects": _poisson(rng, lane_miles * (3.0 - 2.8 * q)),
        "lane_miles": lane_miles,
        "resident_notice": _yes(rng, 0.8 + 0.2 * q),
        "complaints": _poisson(rng, 1.2 - 1.1 * q),
    }
    return _work_date(rng, period), values, {"street": rng.choice(STREETS)}


def streetlight_row(rng: random.Random, q: float, period: str) -> tuple[date, dict, dict]:
    hours = round(max(rng.lognormvariate(math.log(130 - 90 * q), 0.35), 1.0), 1)
    values = {
        "repaired_72h": hours <= 72 if rng.random() < 0.9 else _yes(rng, 0.45 + 0.5 * q),
        "repair_hours": hours,
        "repeat_failure": _yes(rng, max(0.22 - 0.2 * q, 0.0)),
        "reporter_updated": _yes(rng, 0.4 + 0.55 * q),
    }
    pole = rng.randint(1000, 99999)
    return _work_date(rng, period), values, {"location": f"Pole {pole:05d}, {rng.choice(STREETS)}"}


def pothole_row(rng: random.Random, q: float, period: str) -> tuple[date, dict, dict]:
    hours = round(max(rng.lognormvariate(math.log(110 - 80 * q), 0.4), 1.0), 1)
    values = {
        "closed_48h": hours <= 48,
        "response_hours": hours,
        "reopened": _yes(rng, max(0.25 - 0.22 * q, 0.0)),
        "photo_documented": _yes(rng, 0.7 + 0.3 * q),
        "patch_depth": round(min(max(rng.gauss(1.0 + 1.2 * q, 0.3), 0.2), 12), 1),
    }
    return _work_date(rng, period), values, {"street": rng.choice(STREETS)}


# per category: the row maker and the demo's rows a month (low, high)
ROW_MAKERS = {"asphalt-resurfacing": (asphalt_row, (24, 34)), "street-light-repair": (streetlight_row, (40, 60)),
              "pothole-repair": (pothole_row, (30, 45))}


def work_order_rows(seed: str, category: str, q: float, period: str, key_prefix: str,
                    rows_a_month: tuple[int, int] | None = None, missing: float = 0.0) -> list[tuple]:
    """(row_key, work_date, values, context) of one contract's month at quality q (0..1), by work date; a share
    `missing` of the rows has its first value empty (a cell left blank). `rows_a_month` defaults to the demo's."""
    rng = random.Random(seed)
    make_row, demo_range = ROW_MAKERS[category]
    low, high = rows_a_month or demo_range
    out = []
    for index in range(rng.randint(low, high)):
        work_date, values, context = make_row(rng, q, period)
        if missing and rng.random() < missing:
            values[next(iter(values))] = None
        out.append((f"{key_prefix}-{index + 1:03d}", work_date, values, context))
    return sorted(out, key=lambda row: (row[1], row[0]))


def demo_rows(contract_number: str, category: str, profile: str, period: str, month_index: int, months: int):
    """(row_key, work_date, values, context) for one demo contract's month."""
    code = contract_number.replace("-", "")[-5:]
    return work_order_rows(f"{contract_number}:{period}", category, quality(profile, month_index, months), period,
                           key_prefix=f"{code}-{period.replace('-', '')}")
