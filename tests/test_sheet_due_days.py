"""A category's sheet due days (issue 15): edited on the category form, checked, and the due day of a month."""
from __future__ import annotations

from datetime import date

import pytest

from models import Role, db
from scoring.periods import sheet_due_on

from .factories import TEST_PASSWORD, CategoryFactory, UserFactory


@pytest.mark.parametrize(("period", "days", "due"), [
    ("2026-01", 10, date(2026, 2, 10)),
    ("2026-02", 10, date(2026, 3, 10)),   # 28 days in February 2026
    ("2028-02", 1, date(2028, 3, 1)),     # 29 in a leap year
    ("2026-12", 15, date(2027, 1, 15)),   # across the year
])
def test_a_sheet_is_due_days_after_its_month_ends(period, days, due):
    assert sheet_due_on(period, days) == due


def test_sheet_due_days_are_edited_on_the_category_form_and_checked(client, app):
    admin = UserFactory(role=Role.ADMIN)
    category = CategoryFactory()
    client.sign_in(admin.email, TEST_PASSWORD)
    url = f"/categories/{category.id}/edit"
    fields = {"name": category.name, "slug": category.slug, "unit": category.unit, "row_key": category.row_key,
              "date_column": category.date_column, "context_columns": "", "review_days": "14"}
    assert category.sheet_due_days == 10
    refused = client.post_form(url, {**fields, "sheet_due_days": "90"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "between 1 and 60" in page and 'value="90"' in page
    db.session.refresh(category)
    assert category.sheet_due_days == 10
    assert client.post_form(url, {**fields, "sheet_due_days": "20"}).status_code == 302
    db.session.refresh(category)
    assert category.sheet_due_days == 20
    assert "20 days after the month ends" in client.get(f"/categories/{category.id}").get_data(as_text=True)
