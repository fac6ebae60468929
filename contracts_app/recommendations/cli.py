"""`recommend` (SPEC §6): the reallocation for a category's target month; JSON with SPEC's field names."""
from __future__ import annotations

import json
import sys
from decimal import Decimal, InvalidOperation

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from models import ServiceCategory, db

from .services import RecommendationInputs, RecommendationRefused, run


def _decimal(value) -> str | None:
    return None if value is None else format(value, "f")


def result_payload(result) -> dict:
    allocation, inputs = result.allocation, result.inputs
    return {
        "category": inputs.category.slug, "period": inputs.period, "scores_as_of": inputs.scores_as_of,
        "volume": _decimal(allocation.volume), "allocated": _decimal(allocation.allocated),
        "unallocated": _decimal(allocation.unallocated), "floor": inputs.floor, "gamma": inputs.gamma,
        "window": inputs.window, "floor_dropped": allocation.floor_dropped, "notes": list(allocation.notes),
        "vendors": [{
            "vendor": line.name, "score": line.score, "rank": line.rank, "insufficient_data": line.insufficient_data,
            "probation": line.probation, "eligible": line.eligible, "share": line.share,
            "volume": _decimal(line.volume), "capacity": _decimal(line.capacity),
            "change_vs_equal": _decimal(line.change_vs_equal), "change_vs_last": _decimal(line.change_vs_last),
            "reason": line.reason,
        } for line in allocation.lines],
    }


@click.command("recommend")
@click.argument("category_slug")
@click.option("--period", required=True, help="The target month the work is for (YYYY-MM).")
@click.option("--volume", required=True, help="Total volume to allocate, in the category's unit.")
@click.option("--floor", default=0.10, show_default=True, type=float, help="Floor share per vendor, a fraction.")
@click.option("--gamma", default=2.0, show_default=True, type=float, help="Exponent on the score.")
@click.option("--window", default=6, show_default=True, type=int, help="Months of scores.")
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@with_appcontext
def recommend_command(category_slug, period, volume, floor, gamma, window, output) -> None:
    """Recommend next period's work to the vendors that deliver (docs/reallocation.md)."""
    category = db.session.scalars(select(ServiceCategory).where(ServiceCategory.slug == category_slug)).first()
    if category is None:
        click.echo(f"No service category with slug {category_slug}.", err=True)
        sys.exit(1)
    try:
        amount = Decimal(volume)
    except InvalidOperation:
        raise click.BadParameter(f"'{volume}' is not a number", param_hint="--volume") from None
    try:
        result = run(RecommendationInputs(category=category, period=period, volume=amount, window=window,
                                          floor=floor, gamma=gamma))
    except RecommendationRefused as exc:
        click.echo(f"Refused: {exc}", err=True)
        sys.exit(1)
    payload = result_payload(result)
    if output == "json":
        click.echo(json.dumps(payload, indent=2))
        return
    click.echo(f"{category.name}, {period}: {payload['volume']} {category.unit} (scores to {payload['scores_as_of']}, "
               f"window {window}, floor {floor:g}, γ {gamma:g})")
    for v in payload["vendors"]:
        score = "—" if v["score"] is None else f"{v['score']:.1f}"
        click.echo(f"  {v['vendor']:<26} score {score:>5}  share {v['share'] * 100:5.1f} %  volume {v['volume']:>10}  "
                   f"{v['reason']}")
    if Decimal(payload["unallocated"]) > 0:
        click.echo(f"  Unallocated: {payload['unallocated']} {category.unit} (capacity is short).")
    for note in payload["notes"]:
        click.echo(f"  Note: {note}")
