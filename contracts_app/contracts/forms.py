"""Forms for contracts and their outcome clauses; every field explains itself in plain words."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from scoring.periods import STORED_PERIOD_PATTERN

from ..fields import FiniteDecimalField
from ..form_choices import select_choices

SLUG = Regexp(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", message="Use lower-case letters, digits, '-' or '_' (e.g. pci_after).")
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


DIRECTIONS = select_choices([("higher", "Higher is better"), ("lower", "Lower is better")])
AGGREGATIONS = select_choices([
    ("mean", "Mean (average of the rows)"),
    ("median", "Median of the rows"),
    ("sum", "Sum of the rows"),
    ("percent_true", "Percent of rows answered yes"),
    ("percent_meeting", "Percent of rows meeting a row standard"),
    ("ratio", "Ratio: sum of this column ÷ sum of another column"),
])
CURVES = select_choices([
    ("linear", "Linear between minimum and target"),
    ("ratio", "Ratio of value to target, capped"),
    ("pass_fail", "Pass or fail at the target"),
])


class ClauseForm(FlaskForm):
    """Every term of an outcome clause (SPEC §2, §3)."""

    key = StringField("Sheet column", validators=[DataRequired(), Length(max=80), SLUG],
                      description="The column header in the monthly sheet, e.g. pci_after. It identifies the clause.")
    label = StringField("What is measured", validators=[DataRequired(), Length(max=200)],
                        description="A plain name, e.g. Pavement condition after resurfacing.")
    unit = StringField("Unit", validators=[Optional(), Length(max=40)],
                       description="The unit of the monthly value, e.g. PCI, hours, %.")
    direction = SelectField("Better is", choices=DIRECTIONS,
                            description="Whether a higher or a lower monthly value is better for the city.")
    aggregation = SelectField("Monthly value", choices=AGGREGATIONS,
                              description="How the month's rows become one value. Empty cells are missing, never zero.")
    curve = SelectField("Scoring curve", choices=CURVES,
                        description="How the monthly value becomes attainment from 0 to 100.")
    target = FiniteDecimalField("Target", validators=[InputRequired()],
                          description="The value that earns full attainment and counts as met.")
    minimum = FiniteDecimalField("Minimum", validators=[Optional()],
                           description="Worse than this earns nothing and counts as failed. Required for the linear curve; "
                                       "below the target when higher is better, above it when lower is better.")
    weight = FiniteDecimalField("Weight", validators=[InputRequired(), NumberRange(min=0.0001, max=100)],
                          description="Share of the composite score. The weights of a contract's clauses sum to 100.")
    incentive_pct = FiniteDecimalField("Incentive (% of invoice)", default=0,
                                 validators=[InputRequired(), NumberRange(min=0, max=100)],
                                 description="Bonus, in percent of the month's invoice, when the target is met.")
    penalty_pct = FiniteDecimalField("Penalty (% of invoice)", default=0,
                               validators=[InputRequired(), NumberRange(min=0, max=100)],
                               description="Deduction, in percent of the month's invoice, when the clause fails.")
    valid_min = FiniteDecimalField("Lowest valid cell value", validators=[Optional()],
                             description="A sheet cell below this is an input error, not a result.")
    valid_max = FiniteDecimalField("Highest valid cell value", validators=[Optional()],
                             description="A sheet cell above this is an input error, not a result.")
    aliases = StringField("Other header spellings", validators=[Optional(), Length(max=500)],
                          description="Comma-separated headers also accepted for this column, e.g. PCI, Pavement condition.")
    row_standard = FiniteDecimalField("Row standard", validators=[Optional()],
                                description="For percent meeting: the value each row must meet, e.g. 95 in/mi.")
    row_direction = SelectField("Row meets the standard when it is", choices=select_choices([
        ("", "—"), ("higher", "at or above the standard"), ("lower", "at or below the standard")]),
                                description="For percent meeting only.")
    denominator = StringField("Divide by column", validators=[Optional(), Length(max=80), SLUG],
                              description="For ratio: the sheet column to divide by, e.g. lane_miles.")
    scale = FiniteDecimalField("Scale", default=1, validators=[InputRequired()],
                         description="The monthly value is multiplied by this, e.g. 10000 for a rate per 10,000.")
    cap = FiniteDecimalField("Ratio cap", default=1, validators=[InputRequired(), NumberRange(min=0.0001)],
                       description="For the ratio curve: the most attainment, as a multiple of the target (1.25 = 125 %).")
    effective_from = StringField("In force from (YYYY-MM)", validators=[Optional(), PERIOD],
                                 description="The first month this version of the clause is scored under.")
    reason = TextAreaField("Reason for the amendment", validators=[Optional(), Length(max=2000)],
                           description="Required when amending an active contract; kept with the clause's history.")
    submit = SubmitField("Save clause")

    TERM_FIELDS = ("key", "label", "unit", "direction", "aggregation", "curve", "target", "minimum", "weight",
                   "incentive_pct", "penalty_pct", "valid_min", "valid_max", "aliases", "row_standard",
                   "row_direction", "denominator", "scale", "cap")

    def terms(self) -> dict:
        """The typed terms as plain values (enums as strings), the shape scoring/ functions take."""
        terms = {name: getattr(self, name).data for name in self.TERM_FIELDS}
        terms["aliases"] = [a.strip() for a in (terms["aliases"] or "").split(",") if a.strip()]
        terms["row_direction"] = terms["row_direction"] or None
        terms["denominator"] = (terms["denominator"] or "").strip() or None
        terms["unit"] = terms["unit"] or ""
        return terms

    def fill_from(self, clause) -> None:
        for name in self.TERM_FIELDS:
            value = getattr(clause, name)
            if hasattr(value, "value"):
                value = value.value
            if name == "aliases":
                value = ", ".join(value or [])
            getattr(self, name).data = value if value is not None else ("" if name == "row_direction" else None)


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
