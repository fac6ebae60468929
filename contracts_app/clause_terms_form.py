"""The terms of an outcome clause as form fields, defined once: the contract's clause form and the library's
template form both subclass ClauseTermsForm, so they accept and refuse the same input with the same messages
(tests/test_clause_forms_drift.py). Numbers parse with scoring.clause_rules.parse_term_number, which the
contracts file uses too; the rules between terms are scoring.clause_rules.clause_problems, run by the services."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp
from wtforms.widgets import TextInput

from scoring.clause_rules import EMPTY_MEANS, NUMBER_TERMS, TermNumberError, parse_term_number

SLUG_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
SLUG_MESSAGE = "use lower-case letters and digits, joined by _ or - (e.g. repaired_48h)"
ALIAS_SPLIT = re.compile(r"[,\n]")

DIRECTIONS = [SelectChoice("higher", "Higher is better"), SelectChoice("lower", "Lower is better")]
AGGREGATIONS = [
    SelectChoice("mean", "Mean of the values"),
    SelectChoice("median", "Median of the values"),
    SelectChoice("sum", "Sum of the values"),
    SelectChoice("percent_true", "Percent of rows answered yes"),
    SelectChoice("percent_meeting", "Percent of rows meeting the row standard"),
    SelectChoice("ratio", "Ratio: sum of the values ÷ sum of the denominator column"),
]
CURVES = [
    SelectChoice("linear", "Linear between minimum and target"),
    SelectChoice("ratio", "Ratio of value to target, up to the cap"),
    SelectChoice("pass_fail", "Pass or fail at the target"),
]
TERM_FIELDS = ("key", "label", "unit", "direction", "aggregation", "curve", "target", "minimum", "weight",
               "incentive_pct", "penalty_pct", "valid_min", "valid_max", "aliases", "row_standard",
               "row_direction", "denominator", "scale", "cap")


class TermNumberField(Field):
    """A clause number: shows what was typed, or the stored value without trailing zeros; empty is None."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format(Decimal(self.data).normalize(), "f")

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = parse_term_number(valuelist[0])
        except TermNumberError as refused:
            self.data = None
            raise ValueError(str(refused)) from None


def _optional_choice(value):
    return value or None


class ClauseTermsForm(FlaskForm):
    """Every term of an outcome clause (SPEC §2, §3), each with help text in plain words."""

    key = StringField(
        "Sheet column",
        validators=[InputRequired(message="is required"), Length(max=80), Regexp(SLUG_PATTERN, message=SLUG_MESSAGE)],
        description="The column header in the monthly performance sheet, e.g. repaired_48h. Lower-case letters, "
                    "digits, _ or -. It identifies the clause: each is used once per contract and per category.",
    )
    label = StringField(
        "What is measured", validators=[InputRequired(message="is required"), Length(max=200)],
        description="In plain words, as shown on score pages, e.g. “Potholes repaired within 48 hours of the report”.",
    )
    unit = StringField(
        "Unit", validators=[Optional(), Length(max=40)],
        description="The unit of the month's value, shown next to it: %, hours, PCI, defects/lane-mile.",
    )
    direction = SelectField(
        "Better is", choices=DIRECTIONS, validate_choice=True,
        description="Whether a higher or a lower value is better for the city. Higher: percent repaired on time, "
                    "pavement condition. Lower: hours to repair, missed pickups, complaints.",
    )
    aggregation = SelectField(
        "Monthly value", choices=AGGREGATIONS, validate_choice=True,
        description="How a month's rows become one value (empty cells are missing, never zero). Mean or median of "
                    "the numbers; sum of the numbers; percent true: the percent of rows answered yes; percent "
                    "meeting: the percent of rows whose number meets the row standard below; ratio: the sum of the "
                    "numbers divided by the sum of the denominator column (e.g. defects per lane-mile).",
    )
    curve = SelectField(
        "Scoring curve", choices=CURVES, validate_choice=True,
        description="How the month's value becomes a score from 0 to 100. Linear: 0 at the minimum, 100 at the "
                    "target, in proportion between. Ratio: value ÷ target (target ÷ value when lower is better), "
                    "up to the cap. Pass or fail: 100 when the target is met, otherwise 0.",
    )
    target = TermNumberField(
        "Target",
        description="The value the vendor is expected to reach every month. Reaching it scores 100, counts as "
                    "met and earns the incentive.",
    )
    minimum = TermNumberField(
        "Minimum",
        description="The worst acceptable value: worse than this the clause scores 0, counts as failed and the "
                    "penalty applies. It sits on the worse side of the target (below it when higher is better, "
                    "above it when lower is better). Required for the linear curve.",
    )
    weight = TermNumberField(
        "Weight",
        description="The clause's share of the composite score, more than 0 and at most 100. A contract's "
                    "clauses in force add up to 100.",
    )
    incentive_pct = TermNumberField(
        "Incentive (% of invoice)", default=EMPTY_MEANS["incentive_pct"],
        description="Bonus when the target is met, in percent of the month's invoice (2 means 2 %). Empty means "
                    "0. The contract's incentive cap limits the month's total bonus.",
    )
    penalty_pct = TermNumberField(
        "Penalty (% of invoice)", default=EMPTY_MEANS["penalty_pct"],
        description="Deduction when the clause fails (worse than the minimum, or target missed with pass or "
                    "fail), in percent of the month's invoice. Empty means 0. The contract's penalty cap limits "
                    "the month's total penalty.",
    )
    valid_min = TermNumberField(
        "Lowest valid cell value",
        description="The lowest value a sheet cell may hold; anything lower is reported as an input error to "
                    "fix, not scored. Empty means no lower bound.",
    )
    valid_max = TermNumberField(
        "Highest valid cell value",
        description="The highest value a sheet cell may hold; anything higher is an input error. Empty means no "
                    "upper bound.",
    )
    aliases = TextAreaField(
        "Other header spellings", render_kw={"rows": 2},
        description="Other spellings of the column header accepted in uploaded sheets, separated by commas or "
                    "new lines, e.g. IRI, roughness. Case, spacing and a unit in brackets are ignored anyway.",
    )
    row_standard = TermNumberField(
        "Row standard",
        description="For “percent meeting” only: the standard each row must meet, e.g. 95 for “roughness at or "
                    "below 95 in/mi”.",
    )
    row_direction = SelectField(
        "Row meets the standard when it is", coerce=_optional_choice, validate_choice=True,
        choices=[SelectChoice("", "— not used —"), SelectChoice("higher", "at or above the standard"),
                 SelectChoice("lower", "at or below the standard")],
        description="For “percent meeting” only.",
    )
    denominator = StringField(
        "Divide by column",
        validators=[Optional(), Length(max=80), Regexp(SLUG_PATTERN, message=SLUG_MESSAGE)],
        description="For “ratio” only: the sheet column to divide by, e.g. lane_miles for defects per lane-mile, "
                    "households for missed pickups per household.",
    )
    scale = TermNumberField(
        "Scale", default=EMPTY_MEANS["scale"],
        description="The month's value is multiplied by this, e.g. 10000 for missed pickups per 10,000 "
                    "households, or 100 to show a ratio as a percent. Empty means 1.",
    )
    cap = TermNumberField(
        "Ratio cap", default=EMPTY_MEANS["cap"],
        description="For the ratio curve only: the highest score as a multiple of 100, e.g. 1.25 lets a vendor "
                    "that beats the target score up to 125. Empty means 1.",
    )

    def terms(self) -> dict:
        """The typed terms as clause_problems and the models take them: Decimal numbers (an empty incentive,
        penalty, scale or cap as its default), enum values as plain strings."""
        aliases: list[str] = []
        for alias in ALIAS_SPLIT.split(self.aliases.data or ""):
            alias = alias.strip()
            if alias and alias not in aliases:
                aliases.append(alias)
        terms: dict[str, Any] = {
            "key": (self.key.data or "").strip(),
            "label": (self.label.data or "").strip(),
            "unit": (self.unit.data or "").strip(),
            "direction": self.direction.data,
            "aggregation": self.aggregation.data,
            "curve": self.curve.data or "linear",
            "aliases": aliases,
            "row_direction": self.row_direction.data or None,
            "denominator": (self.denominator.data or "").strip() or None,
        }
        for name in NUMBER_TERMS:
            value = getattr(self, name).data
            terms[name] = EMPTY_MEANS.get(name) if value is None else value
        return terms

    def fill_from(self, source) -> None:
        """Shows a stored clause's or template's terms (anything with plain_terms())."""
        for name, value in term_data(source).items():
            getattr(self, name).data = value


def term_data(source) -> dict:
    """A stored clause's or template's terms as the form shows them."""
    plain = source.plain_terms()
    data = {name: plain.get(name) for name in TERM_FIELDS}
    data["aliases"] = ", ".join(data.get("aliases") or [])
    data["row_direction"] = data.get("row_direction") or ""
    return data
