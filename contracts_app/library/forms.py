"""The clause template form: every term of a clause, each with help text in plain words."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from wtforms import Field, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp
from wtforms.widgets import TextInput

from models import ClauseTemplate, ServiceCategory

from ..input_guards import as_id

SLUG_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
SLUG_MESSAGE = "use lower-case letters and digits, joined by _ or - (e.g. repaired_48h)"
MAX_ABS = Decimal(10) ** 12  # the columns hold 18 digits, 6 of them after the point
ALIAS_SPLIT = re.compile(r"[,\n]")

THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")

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


class NumberField(Field):
    """An optional decimal number that shows what was typed, or the stored value without trailing zeros."""

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
        text = valuelist[0].strip()
        if text.endswith("%"):
            text = text[:-1].strip()
        if THOUSANDS.match(text):
            text = text.replace(",", "")
        if not text:
            self.data = None
            return
        try:
            value = Decimal(text)
        except InvalidOperation:
            self.data = None
            raise ValueError(f"'{valuelist[0]}' is not a number; write it like 92.5") from None
        if not value.is_finite():
            self.data = None
            raise ValueError(f"'{valuelist[0]}' is not a number; write it like 92.5")
        if abs(value) >= MAX_ABS:
            self.data = None
            raise ValueError("is too large; use at most 12 digits before the decimal point")
        if value.normalize().as_tuple().exponent < -6:
            self.data = None
            raise ValueError("use at most 6 digits after the decimal point")
        self.data = value


def _optional_choice(value):
    return value or None


def _category_id(value):
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return value
    return as_id(value)  # not an id the database could hold: no category, and the form says to choose one


class ClauseTemplateForm(FlaskForm):
    category_id = SelectField(
        "Service category", coerce=_category_id, validate_choice=True,
        description="The kind of work this clause measures. The template is offered to contracts in this category.",
    )
    key = StringField(
        "Key (sheet column)",
        validators=[InputRequired(message="is required"), Length(max=80), Regexp(SLUG_PATTERN, message=SLUG_MESSAGE)],
        description="The column name in the monthly performance sheet, e.g. repaired_48h. Lower-case letters, "
                    "digits, _ or -. Each key is used once per category.",
    )
    label = StringField(
        "Label", validators=[InputRequired(message="is required"), Length(max=200)],
        description="What the clause measures, in plain words, as shown on score pages, e.g. "
                    "“Potholes repaired within 48 hours of the report”.",
    )
    unit = StringField(
        "Unit", validators=[Optional(), Length(max=40)],
        description="The unit of the month's value, shown next to it: %, hours, PCI, defects/lane-mile.",
    )
    direction = SelectField(
        "Direction", choices=DIRECTIONS, validate_choice=True,
        description="Whether a higher or a lower value is better. Higher: percent repaired on time, pavement "
                    "condition. Lower: hours to repair, missed pickups, complaints.",
    )
    aggregation = SelectField(
        "Aggregation", choices=AGGREGATIONS, validate_choice=True,
        description="How a month's rows become one value. Mean or median of the numbers; sum of the numbers; "
                    "percent true: the percent of rows answered yes; percent meeting: the percent of rows whose "
                    "number meets the row standard below; ratio: the sum of the numbers divided by the sum of the "
                    "denominator column (e.g. defects per lane-mile).",
    )
    curve = SelectField(
        "Scoring curve", choices=CURVES, validate_choice=True,
        description="How the month's value becomes a score from 0 to 100. Linear: 0 at the minimum, 100 at the "
                    "target, in proportion between. Ratio: value ÷ target (target ÷ value when lower is better), "
                    "up to the cap. Pass or fail: 100 when the target is met, otherwise 0.",
    )
    target = NumberField(
        "Target",
        description="The value the vendor is expected to reach every month. Reaching it scores 100, counts as "
                    "met and earns the incentive.",
    )
    minimum = NumberField(
        "Minimum",
        description="The worst acceptable value: worse than this the clause scores 0, counts as failed and the "
                    "penalty applies. It sits on the worse side of the target (below it when higher is better, "
                    "above it when lower is better). Required for the linear curve.",
    )
    weight = NumberField(
        "Weight",
        description="The clause's share of the composite score, more than 0 and at most 100. A contract's "
                    "clauses in force add up to 100.",
    )
    incentive_pct = NumberField(
        "Incentive (% of invoice)",
        description="Bonus when the target is met, in percent of the month's invoice (2 means 2 %). Empty means "
                    "0. The contract's incentive cap limits the month's total bonus.",
    )
    penalty_pct = NumberField(
        "Penalty (% of invoice)",
        description="Deduction when the clause fails (worse than the minimum, or target missed with pass or "
                    "fail), in percent of the month's invoice. Empty means 0. The contract's penalty cap limits "
                    "the month's total penalty.",
    )
    valid_min = NumberField(
        "Valid range: lowest",
        description="The lowest value a sheet cell may hold; anything lower is reported as an input error to "
                    "fix, not scored. Empty means no lower bound.",
    )
    valid_max = NumberField(
        "Valid range: highest",
        description="The highest value a sheet cell may hold; anything higher is an input error. Empty means no "
                    "upper bound.",
    )
    aliases = TextAreaField(
        "Aliases", render_kw={"rows": 2},
        description="Other spellings of the column header accepted in uploaded sheets, separated by commas or "
                    "new lines, e.g. IRI, roughness. Case, spacing and a unit in brackets are ignored anyway.",
    )
    row_standard = NumberField(
        "Row standard",
        description="For “percent meeting” only: the standard each row must meet, e.g. 95 for “roughness at or "
                    "below 95 in/mi”.",
    )
    row_direction = SelectField(
        "Row direction", choices=[SelectChoice("", "— not used —"), *DIRECTIONS], coerce=_optional_choice, validate_choice=True,
        description="For “percent meeting” only: a row meets the standard at or above it (higher) or at or "
                    "below it (lower).",
    )
    denominator = StringField(
        "Denominator column",
        validators=[Optional(), Length(max=80), Regexp(SLUG_PATTERN, message=SLUG_MESSAGE)],
        description="For “ratio” only: the sheet column to divide by, e.g. lane_miles for defects per lane-mile, "
                    "households for missed pickups per household.",
    )
    scale = NumberField(
        "Scale",
        description="The month's value is multiplied by this, e.g. 10000 for missed pickups per 10,000 "
                    "households, or 100 to show a ratio as a percent. Empty means 1.",
    )
    cap = NumberField(
        "Cap (ratio curve)",
        description="For the ratio curve only: the highest score as a multiple of 100, e.g. 1.25 lets a vendor "
                    "that beats the target score up to 125. Empty means 1.",
    )
    language = TextAreaField(
        "Contract language", validators=[Optional(), Length(max=10_000)], render_kw={"rows": 3},
        description="The clause's wording as it will read in the contract.",
    )
    submit = SubmitField("Save template")

    def set_categories(self, categories: list[ServiceCategory]) -> None:
        self.category_id.choices = [SelectChoice("", "Choose a category…")] + [
            SelectChoice(str(c.id), c.name) for c in categories]

    def terms(self) -> dict:
        """The typed terms as `clause_problems` takes them: Decimal numbers, enum values as strings."""

        def default(value, fallback: str):
            return Decimal(fallback) if value is None else value

        aliases: list[str] = []
        for alias in ALIAS_SPLIT.split(self.aliases.data or ""):
            alias = alias.strip()
            if alias and alias not in aliases:
                aliases.append(alias)
        return {
            "key": (self.key.data or "").strip(),
            "label": (self.label.data or "").strip(),
            "unit": (self.unit.data or "").strip(),
            "direction": self.direction.data,
            "aggregation": self.aggregation.data,
            "curve": self.curve.data or "linear",
            "target": self.target.data,
            "minimum": self.minimum.data,
            "weight": self.weight.data,
            "incentive_pct": default(self.incentive_pct.data, "0"),
            "penalty_pct": default(self.penalty_pct.data, "0"),
            "valid_min": self.valid_min.data,
            "valid_max": self.valid_max.data,
            "aliases": aliases,
            "row_standard": self.row_standard.data,
            "row_direction": self.row_direction.data or None,
            "denominator": (self.denominator.data or "").strip() or None,
            "scale": default(self.scale.data, "1"),
            "cap": default(self.cap.data, "1"),
            "language": (self.language.data or "").strip(),
        }

    def add_problems(self, problems: list[tuple[str, str]]) -> None:
        """Puts each (field, message) next to its field, unless that field already shows an error."""
        already_wrong = {name for name, f in self._fields.items() if f.errors}
        for name, message in problems:
            target = getattr(self, name, None)
            if not isinstance(target, Field):
                target = self.key
            if target.name in already_wrong:
                continue  # the field's own check said what is wrong; the rule would only repeat it
            errors = list(target.errors)
            if message not in errors:
                errors.append(message)
            target.errors = errors


def initial_data(template: ClauseTemplate | None = None, category: ServiceCategory | None = None) -> dict:
    """What the form shows before anything is typed: a template's terms, or the defaults for a new one."""
    if template is None:
        return {
            "category_id": category.id if category is not None else None,
            "direction": "higher", "aggregation": "percent_true", "curve": "linear",
            "incentive_pct": Decimal("0"), "penalty_pct": Decimal("0"), "scale": Decimal("1"), "cap": Decimal("1"),
        }
    data = template.plain_terms()
    data["aliases"] = ", ".join(data.get("aliases") or [])
    data["row_direction"] = data.get("row_direction") or ""
    data["category_id"] = template.category_id
    return data
