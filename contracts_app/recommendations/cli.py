"""`recommend` (SPEC §6): the reallocation for a category's target month; JSON with SPEC's field names in the
one shape of `cli_json`."""
from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation

import click
from flask.cli import with_appcontext

from scoring.rankings import DEFAULT_WINDOW_MONTHS, WINDOW_MAX, WINDOW_MIN

from ..cli_json import document, money
from .bases import BASES


def result_inputs(result) -> dict:
    inputs = result.inputs
    return {"category": inputs.category.slug, "period": inputs.period, "volume": money(inputs.volume),
            "floor": inputs.floor, "gamma": inputs.gamma, "window": inputs.window, "basis": inputs.basis}


def result_figures(result) -> dict:
    allocation = result.allocation
    return {"scores_as_of": result.inputs.scores_as_of, "allocated": money(allocation.allocated),
            "unallocated": money(allocation.unallocated), "floor_dropped": allocation.floor_dropped,
            "notes": list(allocation.notes), "basis_fallback": result.fallback}


def result_records(result) -> list[dict]:
    return [{
        "vendor": line.name, "score": result.raw_scores.get(line.name), "shrunk_score": result.shrunk_scores.get(line.name),
        "score_used": line.score, "score_basis": result.score_basis.get(line.name), "rank": line.rank,
        "insufficient_data": line.insufficient_data, "probation": line.probation, "eligible": line.eligible,
        "share": line.share, "volume": money(line.volume), "capacity": money(line.capacity),
        "change_vs_equal": money(line.change_vs_equal), "change_vs_last": money(line.change_vs_last),
        "reason": line.reason,
    } for line in result.allocation.lines]


@click.command("recommend")
@click.argument("category_slug")
@click.option("--period", required=True, help="The target month the work is for (YYYY-MM).")
@click.option("--volume", required=True, help="Total volume to allocate, in the category's unit.")
@click.option("--floor", default=0.10, show_default=True, type=float, help="Floor share per vendor, a fraction.")
@click.option("--gamma", default=2.0, show_default=True, type=float, help="Exponent on the score.")
@click.option("--window", default=DEFAULT_WINDOW_MONTHS, show_default=True, type=click.IntRange(WINDOW_MIN, WINDOW_MAX),
              help="Months of scores.")
@click.option("--basis", default="score", show_default=True, type=click.Choice(BASES),
              help="score: the vendor score S; shrunk: the shrunk score θ of SPEC §3b (falling back to S).")
@click.option("--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True)
@with_appcontext
def recommend_command(category_slug, period, volume, floor, gamma, window, basis, output) -> None:
    """Recommend next period's work to the vendors that deliver (docs/reallocation.md)."""
    from ..categories.services import category_by_slug
    from .services import RecommendationInputs, RecommendationRefused, run

    category = category_by_slug(category_slug)
    if category is None:
        click.echo(f"No service category with slug {category_slug}.", err=True)
        sys.exit(1)
    try:
        amount = Decimal(volume)
    except InvalidOperation:
        raise click.BadParameter(f"'{volume}' is not a number", param_hint="--volume") from None
    try:
        result = run(RecommendationInputs(category=category, period=period, volume=amount, window=window,
                                          floor=floor, gamma=gamma, basis=basis))
    except RecommendationRefused as exc:
        click.echo(f"Refused: {exc}", err=True)
        sys.exit(1)
    figures, records = result_figures(result), result_records(result)
    if output == "json":
        click.echo(document("recommend", result_inputs(result), records, **figures))
        return
    click.echo(f"{category.name}, {period}: {money(amount)} {category.unit} (scores to {figures['scores_as_of']}, "
               f"window {window}, floor {floor:g}, γ {gamma:g}, basis {basis})")
    for v in records:
        score = "—" if v["score_used"] is None else f"{v['score_used']:.1f}"
        click.echo(f"  {v['vendor']:<26} score {score:>5}  share {v['share'] * 100:5.1f} %  volume {v['volume']:>10}  "
                   f"{v['reason']}")
    if Decimal(figures["unallocated"]) > 0:
        click.echo(f"  Unallocated: {figures['unallocated']} {category.unit} (capacity is short).")
    for note in figures["notes"]:
        click.echo(f"  Note: {note}")
