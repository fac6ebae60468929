"""Stored scores follow the data: recomputed on commit, supersede, amendment and invoice, and only there."""
from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts_app.contracts.editing import amend_clause
from contracts_app.loading import load_related
from contracts_app.payments.invoices import set_invoice
from contracts_app.uploads.storing import commit_rows
from imports.check import CheckedRows
from models import ClauseResult, Contract, ContractPeriodScore, Role, db

from .factories import CategoryFactory, ContractFactory, OutcomeClauseFactory, UserFactory


def rows_for(period: str, pci: list[float | None], on_time: list[bool | None], prefix: str = "") -> CheckedRows:
    year, month = map(int, period.split("-"))
    n = len(pci)
    return CheckedRows(row_numbers=list(range(2, n + 2)), row_keys=[f"{prefix}{period}-{i}" for i in range(n)],
                       work_dates=[date(year, month, 1 + i % 28) for i in range(n)],
                       values={"pci_after": pci, "on_time": on_time}, context={})


def commit(contract, period, rows, reason=None):
    sha = hashlib.sha256(json.dumps([rows.row_keys, rows.values], sort_keys=True).encode()).hexdigest()
    return commit_rows(contract, period, rows, filename=f"{period}.xlsx", sha256=sha, supersede_reason=reason)


@pytest.fixture
def contract(app):
    contract = ContractFactory(category=CategoryFactory(), start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
                               incentive_cap=Decimal("5"), penalty_cap=Decimal("10"))
    OutcomeClauseFactory(contract=contract, key="pci_after", weight=Decimal("60"), target=Decimal("90"),
                         minimum=Decimal("80"), incentive_pct=Decimal("2"), penalty_pct=Decimal("3"),
                         effective_from="2026-01")
    OutcomeClauseFactory(contract=contract, key="on_time", weight=Decimal("40"), aggregation="percent_true",
                         target=Decimal("95"), minimum=Decimal("80"), incentive_pct=Decimal("1"),
                         penalty_pct=Decimal("2"), valid_min=None, valid_max=None, effective_from="2026-01")
    return contract


def stored(contract) -> dict[str, tuple]:
    """period -> (composite, when its results were computed): a new time means the period was recomputed."""
    db.session.expire_all()
    scores = db.session.scalars(select(ContractPeriodScore).where(ContractPeriodScore.contract_id == contract.id))
    results = db.session.scalars(select(ClauseResult).where(ClauseResult.contract_id == contract.id)).all()
    return {s.period: (s.composite, [s.computed_at] + sorted(r.computed_at for r in results if r.period == s.period))
            for s in scores}


def test_commit_stores_the_method_s_numbers(contract):
    commit(contract, "2026-01", rows_for("2026-01", [85, 95, None, 90], [True, True, False, None]))
    [score] = db.session.scalars(select(ContractPeriodScore)).all()
    results = {r.clause_key: r for r in db.session.scalars(select(ClauseResult))}
    # pci: mean(85, 95, 90) = 90 (the empty cell is missing, not zero) -> met, attainment 100.
    assert results["pci_after"].value == pytest.approx(90.0)
    assert (results["pci_after"].attainment, results["pci_after"].status.value) == (100.0, "met")
    assert results["pci_after"].observations == 3
    # on_time: 2 yes of 3 answered = 66.67 % < minimum 80 -> failed, attainment 0.
    assert results["on_time"].value == pytest.approx(200 / 3)
    assert results["on_time"].status.value == "failed"
    # composite = (60 * 100 + 40 * 0) / 100 = 60; coverage 1; 4 rows.
    assert (score.composite, score.coverage, score.observations) == (pytest.approx(60.0), 1.0, 4)


def test_a_clause_without_values_leaves_the_period_incomplete(contract):
    commit(contract, "2026-02", rows_for("2026-02", [92, 94], [None, None]))
    score = db.session.scalars(select(ContractPeriodScore)).one()
    # only pci has a value: composite = 100, coverage = 60 / 100.
    assert score.composite == pytest.approx(100.0) and score.coverage == pytest.approx(0.6)


def test_amendment_recomputes_only_the_periods_it_covers(contract):
    for period in ("2026-01", "2026-02", "2026-03", "2026-04"):
        commit(contract, period, rows_for(period, [86, 88], [True, True]))
    before = stored(contract)
    officer = UserFactory(role=Role.PROCUREMENT)
    load_related([contract], Contract.clauses)
    terms = next(c for c in contract.clauses if c.key == "pci_after").plain_terms()
    amend_clause(contract, {**terms, "target": Decimal("87"), "minimum": Decimal("80")}, "2026-03",
                 "Target lowered after the pilot", officer, key_before="pci_after")
    after = stored(contract)
    assert after["2026-01"] == before["2026-01"] and after["2026-02"] == before["2026-02"]
    for period in ("2026-03", "2026-04"):
        assert set(after[period][1]).isdisjoint(before[period][1])  # recomputed: every time is new
        # pci 87 now meets the new target 87: composite 100 instead of (60*70 + 40*100)/100 = 82.
        assert before[period][0] == pytest.approx(82.0) and after[period][0] == pytest.approx(100.0)


def test_supersede_recomputes_only_its_period(contract):
    for period in ("2026-01", "2026-02"):
        commit(contract, period, rows_for(period, [86, 88], [True, True]))
    before = stored(contract)
    commit(contract, "2026-02", rows_for("2026-02", [95, 97], [True, True], prefix="v2-"), reason="corrected")
    after = stored(contract)
    assert after["2026-01"] == before["2026-01"]
    assert set(after["2026-02"][1]).isdisjoint(before["2026-02"][1])
    assert after["2026-02"][0] == pytest.approx(100.0)


def test_invoice_change_recomputes_that_period_s_payment_only(contract):
    for period in ("2026-01", "2026-02"):
        commit(contract, period, rows_for(period, [95, 96], [True, False]))
    before = stored(contract)
    score = set_invoice(contract, "2026-02", Decimal("100000.00"), None)
    # pci met (+2 %), on_time 50 % failed (-2 %): bonus 2,000.00, penalty 2,000.00, net 0.
    assert (score.bonus, score.penalty, score.net) == (Decimal("2000"), Decimal("2000"), Decimal("0"))
    assert stored(contract)["2026-01"] == before["2026-01"]


def test_scores_and_rankings_commands_speak_spec_json(cli, contract):
    commit(contract, "2026-01", rows_for("2026-01", [85, 95, None, 90], [True, True, False, None]))
    db.session.commit()
    result = cli.invoke(args=["scores", contract.number, "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["command"] == "scores" and payload["inputs"] == {"contract": contract.number, "period": None}
    [period] = payload["records"]
    assert set(period) >= {"composite", "coverage", "observations", "bonus", "penalty", "net"}
    assert {c["key"]: c["status"] for c in period["clauses"]} == {"pci_after": "met", "on_time": "failed"}
    load_related([contract], Contract.category, Contract.vendor)
    ranking = cli.invoke(args=["rankings", contract.category.slug, "--period", "2026-01", "--format", "json"])
    [vendor] = json.loads(ranking.output)["records"]
    assert vendor["vendor"] == contract.vendor.name
    assert vendor["insufficient_data"] is True and vendor["rank"] is None
    assert vendor["score"] == pytest.approx(60.0)
    assert cli.invoke(args=["rankings", "nope", "--period", "2026-01"]).exit_code == 1
    assert cli.invoke(args=["rankings", contract.category.slug, "--period", "Jan"]).exit_code == 2
    assert cli.invoke(args=["scores", "NOPE"]).exit_code == 1


def test_set_invoice_command(cli, contract):
    commit(contract, "2026-01", rows_for("2026-01", [95, 96], [True, True]))
    db.session.commit()
    result = cli.invoke(args=["set-invoice", contract.number, "2026-01", "182500"])
    assert result.exit_code == 0, result.stderr
    # both clauses met: incentives 2 + 1 = 3 % (cap 5) of 182,500.00 = 5,475.00.
    assert "bonus $5,475.00" in result.output
    assert cli.invoke(args=["set-invoice", contract.number, "2026-01", "--", "-5"]).exit_code == 1
    assert cli.invoke(args=["set-invoice", contract.number, "2026-01", "12.345"]).exit_code == 1
    assert cli.invoke(args=["set-invoice", contract.number, "2026-01"]).exit_code == 2
