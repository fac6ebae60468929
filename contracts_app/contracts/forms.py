"""Forms for contracts and their outcome clauses; every field explains itself in plain words."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from scoring.periods import STORED_PERIOD_PATTERN

from ..clause_terms_form import ClauseTermsForm
from ..fields import FiniteDecimalField

PERIOD = Regexp(STORED_PERIOD_PATTERN, message="Write the month as YYYY-MM (a year from 1900 to 2999), e.g. 2026-03.")


class ContractForm(FlaskForm):
    number = StringField("Contract number", validators=[DataRequired(), Length(max=40)],
                         description="Unique, as on the signed contract, e.g. PW-2026-014.")
    title = StringField("Title", validators=[DataRequired(), Length(max=300)],
                        description="What the contract buys, e.g. Resurfacing, north region.")
    category_id = SelectField("Service category", coerce=int, validators=[InputRequired()],
                              description="Decides the sheet's row key and date columns and the work unit.")
    vendor_id = SelectField("Vendor", coerce=int, validators=[InputRequired()],
                            description="Vendors that work in this category, and vendors with no contract yet.")
    every_vendor = HiddenField()  # "1": offer every vendor (one new to this category), not only the category's
    start_date = DateField("Start date", validators=[DataRequired()])
    end_date = DateField("End date", validators=[DataRequired()])
    value = FiniteDecimalField("Contract value ($)", places=2, validators=[InputRequired(), NumberRange(min=0)],
                         description="Total value in dollars.")
    capacity = FiniteDecimalField("Capacity per month", validators=[Optional(), NumberRange(min=0.01)],
                            description="Most work the vendor can take in a month, in the category's unit. "
                                        "Leave empty for unlimited. Used when work is reallocated.")
    incentive_cap = FiniteDecimalField("Incentive cap (% of invoice)", validators=[InputRequired(), NumberRange(min=0, max=100)],
                                 default=0, description="The most bonus all clauses together can earn in one month.")
    penalty_cap = FiniteDecimalField("Penalty cap (% of invoice)", validators=[InputRequired(), NumberRange(min=0, max=100)],
                               default=0, description="The most all clauses together can deduct in one month.")
    submit = SubmitField("Save contract")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.start_date.data and self.end_date.data and self.end_date.data < self.start_date.data:
            self.end_date.errors.append("The end date must not be before the start date.")
            ok = False
        return ok


class ClauseForm(ClauseTermsForm):
    """A contract's clause: every term (ClauseTermsForm, shared with the library) and, on an active contract,
    the month the amendment is in force from and why."""

    effective_from = StringField("In force from (YYYY-MM)", validators=[Optional(), PERIOD],
                                 description="The first month this version of the clause is scored under.")
    reason = TextAreaField("Reason for the amendment", validators=[Optional(), Length(max=2000)],
                           description="Required when amending an active contract; kept with the clause's history.")
    submit = SubmitField("Save clause")


class ConfirmForm(FlaskForm):
    """A bare form carrying only the CSRF token, for action buttons."""

    submit = SubmitField("Confirm")


class StatusChangeForm(FlaskForm):
    """The confirm step of a change that cannot be taken back (activate, close): a box the user must tick.

    Works without JavaScript: the box is checked on the server, and an unticked box changes nothing."""

    confirm = BooleanField("I understand", validators=[DataRequired(message="Tick the box to confirm; nothing was changed.")])
    submit = SubmitField("Confirm")


class ReopenForm(StatusChangeForm):
    """An admin reopens a closed contract: the reason goes into the audit trail."""

    reason = TextAreaField("Why reopen it?", validators=[DataRequired(message="Say why the contract is reopened."),
                                                         Length(max=500)],
                           description="Kept in the audit log, e.g. \"Closed by mistake; work continues to December.\"")
