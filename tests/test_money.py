"""Money is what is paid: bonus and penalty rounded to the cent (half up), stored exactly on every database (SPEC §3)."""
from __future__ import annotations

from decimal import Decimal as D

from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from contracts_app.payments.invoices import set_invoice
from models import ContractPeriodScore, Recommendation, RecommendationLine, db
from scoring.payments import PaymentAdjustment, payment_adjustment

from .factories import CategoryFactory, ContractFactory, VendorFactory
from .test_payments import clause, commit, rows


def test_bonus_and_penalty_are_rounded_to_the_cent_half_up():
    # 182,500.00 * 0.9958 / 100 = 1,817.335 -> 1,817.34 (a payable amount, not 1,817.335)
    result = payment_adjustment(D("182500.00"), [("met", D("0.9958"), D("0"))], incentive_cap=D("5"),
                                penalty_cap=D("10"))
    assert result == PaymentAdjustment(D("1817.34"), D("0.00"), D("1817.34"))
    # 10.10 * 5 / 100 = 0.505: half up gives 0.51 (half even would pay 0.50); net = 0.51 - 0.51 = 0.00
    result = payment_adjustment(D("10.10"), [("met", D("5"), D("0")), ("failed", D("0"), D("5"))],
                                incentive_cap=D("5"), penalty_cap=D("10"))
    assert result == (D("0.51"), D("0.51"), D("0.00"))
    assert all(amount.as_tuple().exponent == -2 for amount in result)
    # 1,234.57 * 0.333333 / 100 = 4.1152292181 -> 4.12 bonus; 1,234.57 * 0.7 / 100 = 8.64199 -> 8.64 penalty
    result = payment_adjustment(D("1234.57"), [("met", D("0.333333"), D("0")), ("failed", D("0"), D("0.7"))],
                                incentive_cap=D("5"), penalty_cap=D("10"))
    assert result == (D("4.12"), D("8.64"), D("-4.52"))


def _reread(model, ident, *options):
    db.session.expire_all()
    return db.session.scalars(select(model).where(model.id == ident).options(*options)).one()


def test_money_and_volumes_round_trip_exactly_and_are_stored_in_cents(session):
    contract = ContractFactory(value=D("43749999999.99"), capacity=D("1234567890.01"))
    score = ContractPeriodScore(contract_id=contract.id, period="2026-03", coverage=0.0, observations=0,
                                invoice_amount=D("0.01"), bonus=D("43749999999.99"), penalty=D("0.01"),
                                net=D("43749999999.98"))
    recommendation = Recommendation(category_id=contract.category_id, target_period="2026-04",
                                    volume=D("99999999999.99"), unallocated=D("0.01"), inputs={})
    recommendation.lines.append(RecommendationLine(vendor_id=contract.vendor_id, share=0.5,
                                                   volume=D("49999999999.99"), capacity=D("0.03")))
    session.add_all([score, recommendation])
    session.flush()

    contract = _reread(type(contract), contract.id)
    assert (contract.value, contract.capacity) == (D("43749999999.99"), D("1234567890.01"))
    score = _reread(ContractPeriodScore, score.id)
    assert (score.invoice_amount, score.bonus, score.penalty, score.net) == (
        D("0.01"), D("43749999999.99"), D("0.01"), D("43749999999.98"))
    assert str(score.bonus) == "43749999999.99"  # not ...99.990005, as a float column reads it back
    recommendation = _reread(Recommendation, recommendation.id, selectinload(Recommendation.lines))
    assert (recommendation.volume, recommendation.unallocated) == (D("99999999999.99"), D("0.01"))
    assert (recommendation.lines[0].volume, recommendation.lines[0].capacity) == (D("49999999999.99"), D("0.03"))
    # Stored in cents, an integer on every database, so a report reading the table gets exact amounts too.
    raw = session.execute(text("SELECT bonus, invoice_amount FROM contract_period_scores WHERE id = :id"),
                          {"id": score.id}).one()
    assert tuple(int(v) for v in raw) == (4374999999999, 1) and all(float(v).is_integer() for v in raw)


def test_an_invoice_s_bonus_is_stored_and_reported_in_exact_cents(app, cli):
    category = CategoryFactory(slug="asphalt-resurfacing", name="Asphalt resurfacing")
    contract = ContractFactory(number="PW-2026-001", category=category, vendor=VendorFactory(name="Harbor Paving"),
                               incentive_cap=D("5"), penalty_cap=D("10"))
    clause(contract, "a", 100, "0.9958", "1")
    commit(contract, "2026-03", rows("2026-03", {"a": [95, 92]}))  # mean 93.5 >= 90: met
    set_invoice(contract, "2026-03", D("182500.00"), None)
    db.session.commit()
    db.session.expire_all()
    score = db.session.scalars(select(ContractPeriodScore).where(ContractPeriodScore.contract_id == contract.id)).one()
    assert (score.bonus, score.penalty, score.net) == (D("1817.34"), D("0.00"), D("1817.34"))

    result = cli.invoke(args=["set-invoice", "PW-2026-001", "2026-03", "182500.00"])
    assert result.exit_code == 0, result.output
    assert "bonus $1,817.34" in result.output and "net +$1,817.34" in result.output
