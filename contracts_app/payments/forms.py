"""Forms of the payments pages: choosing the month (GET, no CSRF needed) and entering an invoice (POST, CSRF)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from scoring.periods import STORED_PERIOD_PATTERN

PERIOD = Regexp(STORED_PERIOD_PATTERN, message="Write the month as YYYY-MM (a year from 1900 to 2999), e.g. 2026-10.")


class PeriodForm(FlaskForm):
    """Read from the query string: a bookmarkable page, nothing changes, so no CSRF token."""

    class Meta:
        csrf = False

    period = SelectField("Month", validators=[Optional(), PERIOD], validate_choice=False)
    category = SelectField("Category", validators=[Optional()], validate_choice=False)


class InvoiceForm(FlaskForm):
    contract_id = HiddenField(validators=[DataRequired("Which contract? Reload the page and try again."),
                                          Regexp(r"^\d{1,12}$", message="Unknown contract.")])
    period = HiddenField(validators=[DataRequired("Which month? Reload the page and try again."), PERIOD])
    category = HiddenField(validators=[Optional(), Length(max=80)])
    amount = StringField("Invoice amount ($)", validators=[DataRequired("Enter the invoice amount, e.g. 182500.00."),
                                                           Length(max=40)])
