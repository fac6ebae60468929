"""`scores`, `rankings` and `set-invoice` (SPEC §6); JSON uses SPEC's field names and the one shape of
`cli_json`."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext

from scoring.periods import is_period
from scoring.rankings import DEFAULT_WINDOW_MONTHS, WINDOW_MAX, WINDOW_MIN

from ..cli_json import document
from ..formatting import ON_HOLD, coverage_note, held_money, is_incomplete, money, money_json, review_mark
from ..unit_of_work import in_transaction

if TYPE_CHECKING:
    from models import Contract

FORMATS = click.Choice(["table", "json", "csv"])


def _refuse(message: str) -> None:
    from models import db

    db.session.rollback()
    click.echo(message, err=True)
    sys.exit(1)


def _contract(number: str) -> Contract:
    from sqlalchemy import select

    from models import Contract, db

    contract = db.session.scalars(select(Contract).where(Contract.number == number)).first()
    if contract is None:
        _refuse(f"No contract numbered {number}.")
    return contract


def _period_option(period: str | None) -> None:
    if period is not None and not is_period(period):
        raise click.BadParameter(f"'{period}' is not a month; write it as YYYY-MM", param_hint="--period")


def contract_scores(contract: Contract, period: str | None) -> list[dict]:
    from sqlalchemy import select

    from models import ClauseResult, ContractPeriodScore, db

    from ..disputes.review import month_reviews, review_of

    query = select(ContractPeriodScore).where(ContractPeriodScore.contract_id == contract.id)
    if period:
        query = query.where(ContractPeriodScore.period == period)
    scores = db.session.scalars(query.order_by(ContractPeriodScore.period)).all()
    results = db.session.scalars(select(ClauseResult).where(ClauseResult.contract_id == contract.id)
                                 .order_by(ClauseResult.period, ClauseResult.clause_key)).all()
    by_period: dict[str, list[ClauseResult]] = {}
    for result in results:
        by_period.setdefault(result.period, []).append(result)
    reviews = month_reviews([contract.id])
    return [{
        "contract": contract.number, "period": s.period, "composite": s.composite, "coverage": s.coverage,
        "observations": s.observations, "invoice": money_json(s.invoice_amount), "bonus": money_json(s.bonus),
        "penalty": money_json(s.penalty), "net": money_json(s.net),
        # SPEC §8: provisional, disputed or final; a disputed month's bonus and penalty are on hold.
        "review": review_of(reviews, contract.id, s.period).state.value,
        "on_hold": review_of(reviews, contract.id, s.period).on_hold,
        "clauses": [{"key": r.clause_key, "value": r.value, "attainment": r.attainment, "status": r.status.value,
                     "observations": r.observations} for r in by_period.get(s.period, [])],
    } for s in scores]


def _fmt(value, places: int = 1) -> str:
    return "—" if value is None else f"{value:,.{places}f}"


@click.command("scores")
@click.argument("contract_number")
@click.option("--period", help="One month (YYYY-MM); default every month with data.")
@click.option("--format", "output", type=FORMATS, default="table", show_default=True)
@with_appcontext
def scores_command(contract_number: str, period: str | None, output: str) -> None:
    """Clause results and composites of a contract."""
    _period_option(period)
    rows = contract_scores(_contract(contract_number), period)
    if output == "json":
        click.echo(document("scores", {"contract": contract_number, "period": period}, rows))
    elif output == "csv":
        header = ["contract", "period", "clause", "value", "attainment", "status", "composite", "coverage",
                  "observations", "bonus", "penalty", "net", "review", "payment"]
        lines = [[r["contract"], r["period"], c["key"], c["value"], c["attainment"], c["status"], r["composite"],
                  r["coverage"], r["observations"], r["bonus"], r["penalty"], r["net"], r["review"],
                  ON_HOLD if r["on_hold"] else "payable"]
                 for r in rows for c in r["clauses"]]
        from imports.export import write_csv  # openpyxl comes with it: only for --format csv

        click.echo(write_csv(header, lines).decode("utf-8-sig"), nl=False)
    else:
        if not rows:
            click.echo(f"{contract_number}: no scored months{' in ' + period if period else ''}.")
        for r in rows:
            incomplete = f"  {coverage_note(r['coverage']).upper()}" if is_incomplete(r["coverage"]) else ""
            mark = f"  [{review_mark(r['review'])}]" if review_mark(r["review"]) else ""
            net = _fmt(float(r['net']) if r['net'] else 0, 2)
            click.echo(f"{r['period']}  composite {_fmt(r['composite'])}  observations {r['observations']}  "
                       f"net {ON_HOLD + ': ' + net if r['on_hold'] else net}{incomplete}{mark}")
            for c in r["clauses"]:
                click.echo(f"    {c['key']:<22} value {_fmt(c['value'], 2):>10}  attainment {_fmt(c['attainment']):>6}  "
                           f"{c['status']}")
        if any(r["on_hold"] for r in rows):
            payable = sum(float(r["net"] or 0) for r in rows if not r["on_hold"])
            held = sum(float(r["net"] or 0) for r in rows if r["on_hold"])
            click.echo(f"total net payable {_fmt(payable, 2)}; {ON_HOLD}, not payable: {_fmt(held, 2)}")


@click.command("rankings")
@click.argument("category_slug")
@click.option("--period", required=True, help="The month the ranking is as of (YYYY-MM).")
@click.option("--window", default=DEFAULT_WINDOW_MONTHS, show_default=True, type=click.IntRange(WINDOW_MIN, WINDOW_MAX),
              help="Months in the window.")
@click.option("--format", "output", type=FORMATS, default="table", show_default=True)
@with_appcontext
def rankings_command(category_slug: str, period: str, window: int, output: str) -> None:
    """Vendor ranking in a category."""
    from ..categories.services import category_by_slug
    from ..rankings.standings import category_ranking

    _period_option(period)
    category = category_by_slug(category_slug)
    if category is None:
        _refuse(f"No service category with slug {category_slug}.")
    ranking = category_ranking(category, period, window)
    u = ranking.uncertainty
    rows = [{"vendor": r.vendor.name, "score": r.score, "rank": r.rank, "insufficient_data": r.insufficient_data,
             "probation": r.probation, "periods": r.scored_periods, "observations": r.observations,
             "met": r.clauses.get("met", 0), "partial": r.clauses.get("partial", 0),
             "failed": r.clauses.get("failed", 0), "reasons": r.reasons, "shrunk_score": r.shrunk_score,
             "interval_low": r.interval[0] if r.interval else None,
             "interval_high": r.interval[1] if r.interval else None, "comparison": r.comparison,
             "rank_range": list(r.rank_range) if r.rank_range else None,
             # SPEC §8: "provisional" or "disputed" when months of the window are not final yet, else "final".
             "review": r.review.state.value, "months_not_final": [m.label for m in r.unsettled]}
            for r in ranking.rankings]
    figures = {"category_mean": u.category_mean, "within_variance": u.within_variance,
               "between_variance": u.between_variance, "no_intervals": u.why_none}
    if output == "json":
        click.echo(document("rankings", {"category": category_slug, "period": period, "window": window}, rows,
                            **figures))
    elif output == "csv":
        header = ["rank", "vendor", "score", "insufficient_data", "probation", "periods", "observations",
                  "shrunk_score", "interval_low", "interval_high", "comparison", "rank_best", "rank_worst",
                  "category_mean", "within_variance", "between_variance", "review"]
        lines = [[r[h] for h in header[:11]] + (r["rank_range"] or [None, None])
                 + [figures["category_mean"], figures["within_variance"], figures["between_variance"], r["review"]]
                 for r in rows]
        from imports.export import write_csv  # openpyxl comes with it: only for --format csv

        click.echo(write_csv(header, lines).decode("utf-8-sig"), nl=False)
    else:
        click.echo(f"{category.name}, {window} months to {period}")
        if u.available:
            click.echo(f"category mean {u.category_mean:.1f}; within-vendor variance {u.within_variance:.2f}; "
                       f"between-vendor variance {u.between_variance:.2f}")
        else:
            click.echo(f"no shrunk scores or intervals: {u.why_none}")
        for r in rows:
            flags = "; ".join(r["reasons"])
            sure = ""
            if r["shrunk_score"] is not None:
                span = r["rank_range"]
                sure = (f"  shrunk {r['shrunk_score']:.1f} [{r['interval_low']:.1f}, {r['interval_high']:.1f}] "
                        f"{r['comparison']}" + (f", rank {span[0]}-{span[1]}" if span else ""))
            mark = f"  [{r['review']}: {', '.join(r['months_not_final'])}]" if r["months_not_final"] else ""
            click.echo(f"{r['rank'] if r['rank'] else '—':>3}  {r['vendor']:<28} {_fmt(r['score']):>6}  "
                       f"{r['periods']} months, {r['observations']} obs{sure}  {flags}{mark}")


@click.command("set-invoice")
@click.argument("contract_number")
@click.argument("period")
@click.argument("amount")
@in_transaction
def set_invoice_command(contract_number: str, period: str, amount: str) -> None:
    """Record a period's invoice amount (dollars)."""
    from ..disputes.review import month_review
    from ..payments.invoices import InvoiceRefused, parse_amount, set_invoice

    contract = _contract(contract_number)
    try:
        score = set_invoice(contract, period, parse_amount(amount), None)
    except InvoiceRefused as exc:
        _refuse(f"Invoice not recorded: {exc}")
    held = month_review(contract.id, period).on_hold
    click.echo(f"{contract.number} {period}: invoice {money(score.invoice_amount)}; bonus {held_money(score.bonus, held)}, "
               f"penalty {held_money(score.penalty, held)}, net {held_money(score.net, held, signed=True)}."
               + (" The month is disputed: its bonus and penalty are not payable until the dispute is resolved."
                  if held else ""))


COMMANDS = (scores_command, rankings_command, set_invoice_command)
