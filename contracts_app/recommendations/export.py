"""The award-memo workbook of a recommendation: inputs, the table, and the method in plain words."""
from __future__ import annotations

from decimal import Decimal

from imports.export import add_sheet, new_workbook, workbook_bytes
from models import Recommendation

from ..formatting import review_mark
from ..unit_names import plural_unit
from .unsettled import unsettled_by_vendor

METHOD = [
    "How the work was allocated (the method the contracts promise: docs/reallocation.md, section \"The steps\"):",
    "1. Eligible vendors hold an active contract in the category covering the target month and are not on "
    "probation. A vendor on probation (composite below the threshold in its two most recent scored months) gets no work.",
    "2. Each eligible vendor with a score (enough data in the window) gets the weight (score/100)^γ. Vendors without "
    "enough data are trial vendors.",
    "3. Trial vendors get the floor share each; the weighted vendors share the rest in proportion to their weights, and "
    "none of them gets less than the floor. When the floor times the number of eligible vendors is more than 1, the "
    "floor is dropped: trial vendors get 1/n each and the weighted vendors share the rest.",
    "4. No vendor gets more than its contracts' monthly capacity; the excess goes to the others in proportion to their "
    "shares. If total capacity is below the volume, the remainder is reported as unallocated.",
    "5. Volumes are rounded to 2 decimals so that they sum exactly to the allocated total (largest remainder).",
    "Scores are taken as of the month before the target month; the same inputs always give the same result.",
    "On the shrunk basis the shrunk score θ (each vendor score pulled toward the category mean by how little data "
    "backs it, SPEC §3b) takes the place of the score in step 2; where there is no shrunk score the vendor score is "
    "used, and the notes say so.",
]


def recommendation_workbook(recommendation: Recommendation) -> bytes:
    category = recommendation.category
    details = recommendation.inputs.get("lines", {})
    workbook = new_workbook()
    add_sheet(workbook, "Inputs", ["Input", "Value"], [
        ["Service category", category.name],
        ["Target month", recommendation.target_period],
        ["Scores as of", recommendation.inputs.get("scores_as_of", "")],
        [f"Total volume ({plural_unit(category.unit)})", recommendation.volume],
        ["Allocated", Decimal(recommendation.inputs.get("allocated", "0"))],
        ["Unallocated", recommendation.unallocated],
        ["Score window (months)", recommendation.window_months],
        ["Floor share", recommendation.floor_share],
        ["Floor dropped", "yes" if recommendation.floor_dropped else "no"],
        ["γ (gamma)", recommendation.gamma],
        ["Score basis", "shrunk score θ (SPEC §3b)" if recommendation.basis == "shrunk" else "vendor score S"],
        ["Probation threshold", recommendation.probation_threshold],
        ["Status", recommendation.status.value],
        ["Approved by", recommendation.approved_by.email if recommendation.approved_by else ""],
        ["Approved at (UTC)", recommendation.approved_at.strftime("%Y-%m-%d %H:%M") if recommendation.approved_at else ""],
    ])
    header = ["Vendor", "Score", "Rank", "Insufficient data", "Probation", "Share", f"Volume ({plural_unit(category.unit)})",
              "Capacity", "Equal split", "Change vs equal split", "Last approved", "Change vs last approved", "Reason",
              "Score used", "Vendor score S", "Shrunk score θ", "Months not final (SPEC §8)"]
    unsettled = unsettled_by_vendor(recommendation)
    rows = []
    for line in recommendation.lines:
        detail = details.get(str(line.vendor_id), {})
        months = unsettled.get(line.vendor_id, [])
        rows.append([
            line.vendor.name, line.score, line.rank, "yes" if line.insufficient_data else "no",
            "yes" if line.probation else "no", line.share, line.volume, line.capacity,
            _number(detail.get("equal_split_volume")), _number(detail.get("change_vs_equal")),
            _number(detail.get("last_volume")), _number(detail.get("change_vs_last")), line.reason,
            detail.get("score_basis") or "", detail.get("raw_score"), detail.get("shrunk_score"),
            "; ".join(f"{m.label} {review_mark(m.review)}" for m in months),
        ])
    add_sheet(workbook, "Allocation", header, rows, number_formats={1: "0.0", 5: "0.0%", 6: "#,##0.00"})
    notes = [[n] for n in recommendation.inputs.get("notes", [])]
    add_sheet(workbook, "Method", ["Method"], [[line] for line in METHOD] + notes)
    return workbook_bytes(workbook)


def _number(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))
