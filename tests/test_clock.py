"""One clock (models.utcnow / models.today): pages follow it, and no app code asks the system for the date."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from .factories import TEST_PASSWORD, ContractAssignmentFactory, ContractFactory

APP_PACKAGES = ("contracts_app", "models", "scoring", "imports")
SYSTEM_CLOCK = re.compile(r"\b(date\.today|datetime\.(now|utcnow|today)|time\.time)\(")


def _month_options(client, contract, email) -> list[str]:
    client.sign_in(email, TEST_PASSWORD)  # a session signed at another time has expired (or is not yet valid)
    response = client.get(f"/contracts/{contract.id}/sheets")
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    if 'id="template-period"' not in page:
        return []
    select = page.split('id="template-period"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option[^>]*value="(\d{4}-\d{2})"', select)


def test_the_sheets_page_offers_the_months_of_the_term_up_to_today(app, client, time_machine):
    contract = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    email = ContractAssignmentFactory(contract=contract).user.email
    time_machine.move_to(datetime(2026, 3, 15, 9, 0, tzinfo=UTC), tick=True)
    assert _month_options(client, contract, email) == ["2026-03", "2026-02", "2026-01"]
    time_machine.move_to(datetime(2031, 6, 15, 9, 0, tzinfo=UTC), tick=True)
    assert _month_options(client, contract, email)[0] == "2026-12"  # never past the end of the term
    time_machine.move_to(datetime(2025, 12, 31, 9, 0, tzinfo=UTC), tick=True)
    assert _month_options(client, contract, email) == []  # the term has not started


def test_no_app_code_reads_the_system_clock_but_models_utcnow():
    root = Path(__file__).resolve().parents[1]
    offenders = [f"{path.relative_to(root)}:{n}: {line.strip()}"
                 for package in APP_PACKAGES for path in sorted((root / package).rglob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if SYSTEM_CLOCK.search(line) and path != root / "models" / "base.py"]
    assert offenders == []
