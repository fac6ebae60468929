"""A clause's contract language, written from its terms (docs/scoring.md).

Pure: plain values in, text out. The clause editor calls `clause_language` for a live preview
while the officer types, so any term may be missing, empty or half-typed: a missing value shows as
a visible placeholder such as "[target]", and nothing here ever raises.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

PERCENT_AGGREGATIONS = ("percent_true", "percent_meeting")
_YES = "yes, y, true, 1 or x"
_NO = "no, n, false or 0"
_LARGEST_PLAIN_EXPONENT = 15  # beyond this a number is written in scientific notation


# --- values -------------------------------------------------------------------------------------

def to_decimal(value: Any) -> Decimal | None:
    """The value as a finite Decimal, or None when it is missing or not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                return None
            number = Decimal(repr(value))
        elif isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            number = Decimal(text)
        else:
            return None
    except (InvalidOperation, ValueError, OverflowError):
        return None
    if not number.is_finite():
        return None
    return number


def format_number(value: Any, placeholder: str = "[number]") -> str:
    """A number as people write it: no trailing zeros, thousands separated ("90", "0.5", "1,250")."""
    number = to_decimal(value)
    if number is None:
        return placeholder
    if number.is_zero():
        return "0"
    if abs(number.adjusted()) > _LARGEST_PLAIN_EXPONENT:
        return str(number)
    try:
        number = number.normalize()
    except ArithmeticError:
        return str(number)
    return format(number, ",f")


def format_percent(value: Any, placeholder: str = "[percent]") -> str:
    """A percent written "2 %" (value 2 means 2 %)."""
    text = format_number(value, placeholder)
    return text if text == placeholder else f"{text} %"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return " ".join(value.split())
    return ""


def _quoted(value: Any, placeholder: str) -> str:
    text = _text(value)
    return f"“{text}”" if text else placeholder


def _choice(value: Any, choices: tuple[str, ...]) -> str | None:
    """The enum's plain value when it is one of `choices` (enums of str compare equal to it)."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in choices:
            return text
    return None


def _or_list(items: list[str]) -> str:
    quoted = [f"“{item}”" for item in items]
    if len(quoted) == 1:
        return quoted[0]
    return f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _with_unit(number_text: str, unit: str) -> str:
    if not unit:
        return number_text
    return f"{number_text} {unit}"


# --- wording that depends on which way is better ------------------------------------------------

_AT_OR_BETTER = {"higher": "at or above", "lower": "at or below"}
_AT_OR_WORSE = {"higher": "at or below", "lower": "at or above"}
_WORSE = {"higher": "below", "lower": "above"}
_NOT_WORSE = {"higher": "at least", "lower": "at most"}
_UNKNOWN = {
    "at_or_better": "[at or above / at or below]",
    "at_or_worse": "[at or below / at or above]",
    "worse": "[below / above]",
    "not_worse": "[at least / at most]",
}


def _word(table: dict[str, str], name: str, direction: str | None) -> str:
    return table[direction] if direction else _UNKNOWN[name]


# --- the clause ---------------------------------------------------------------------------------

class _Terms:
    """The terms read once, every one of them tolerant of absence and junk."""

    def __init__(self, terms: Mapping[str, Any], work_unit: str, incentive_cap: Any, penalty_cap: Any):
        get = terms.get if isinstance(terms, Mapping) else (lambda name, default=None: default)
        self.label = _quoted(get("label"), "[label]")
        self.key = _quoted(get("key"), "[column]")
        self.direction = _choice(get("direction"), ("higher", "lower"))
        self.row_direction = _choice(get("row_direction"), ("higher", "lower"))
        self.aggregation = _choice(get("aggregation"), (
            "mean", "median", "sum", "percent_true", "percent_meeting", "ratio",
        ))
        curve = get("curve")
        self.curve = "linear" if curve is None or curve == "" else _choice(curve, ("linear", "ratio", "pass_fail"))
        unit = _text(get("unit"))
        if not unit and self.aggregation in PERCENT_AGGREGATIONS:
            unit = "%"
        self.unit = unit
        self.target = to_decimal(get("target"))
        self.minimum = to_decimal(get("minimum"))
        self.weight = get("weight")
        self.incentive = to_decimal(get("incentive_pct"))
        self.penalty = to_decimal(get("penalty_pct"))
        self.valid_min = to_decimal(get("valid_min"))
        self.valid_max = to_decimal(get("valid_max"))
        aliases = get("aliases")
        self.aliases = (
            [_text(a) for a in aliases if _text(a)] if isinstance(aliases, (list, tuple)) else []
        )
        self.row_standard = get("row_standard")
        self.denominator = _quoted(get("denominator"), "[denominator column]")
        scale = get("scale")
        self.scale = Decimal(1) if scale is None or scale == "" else to_decimal(scale)
        cap = get("cap")
        self.cap = Decimal(1) if cap is None or cap == "" else to_decimal(cap)
        self.work_unit = _text(work_unit) or "[work unit]"
        self.incentive_cap = incentive_cap
        self.penalty_cap = penalty_cap

    def value(self, number: Any, placeholder: str) -> str:
        """A monthly value with the clause's unit: "90 PCI", "95 %", "[target] PCI"."""
        return _with_unit(format_number(number, placeholder), self.unit)

    @property
    def target_text(self) -> str:
        return self.value(self.target, "[target]")

    @property
    def minimum_text(self) -> str:
        return self.value(self.minimum, "[minimum]")


def _measure(t: _Terms) -> str:
    unit = "" if t.aggregation in PERCENT_AGGREGATIONS or not t.unit else f" (in {t.unit})"
    if t.aggregation == "percent_true":
        source = f"answered yes or no in the column {t.key}"
    elif t.aggregation == "ratio":
        source = f"computed from the columns {t.key} and {t.denominator}"
    else:
        source = f"reported in the column {t.key}"
    sentences = [
        f"Measure. This clause measures {t.label}{unit}, {source} of the monthly performance sheet, "
        f"one row per unit of work (work unit: {t.work_unit})."
    ]
    if t.aliases:
        sentences.append(f"The column {t.key} may also be headed {_or_list(t.aliases)}.")
    if t.aggregation != "percent_true":
        if t.valid_min is not None and t.valid_max is not None:
            bounds = f"outside the range {format_number(t.valid_min)} to {format_number(t.valid_max)}"
        elif t.valid_min is not None:
            bounds = f"below {format_number(t.valid_min)}"
        elif t.valid_max is not None:
            bounds = f"above {format_number(t.valid_max)}"
        else:
            bounds = ""
        if bounds:
            sentences.append(
                f"A value in the column {t.key} {bounds} is an input error and must be corrected "
                "before the month is scored."
            )
    if t.direction == "higher":
        sentences.append("Higher monthly values are better.")
    elif t.direction == "lower":
        sentences.append("Lower monthly values are better.")
    else:
        sentences.append("[Higher or lower] monthly values are better.")
    return " ".join(sentences)


def _monthly_value(t: _Terms) -> str:
    standard = format_number(t.row_standard, "[row standard]")
    meets_standard = f"{_word(_AT_OR_BETTER, 'at_or_better', t.row_direction)} {standard}"
    nouns = {
        "mean": ("the average (arithmetic mean) of the values reported for that month", ""),
        "median": (
            "the median of the values reported for that month",
            " The median is the middle value, or the average of the two middle values when their "
            "number is even.",
        ),
        "sum": ("the sum of the values reported for that month", ""),
        "percent_true": (
            "the percentage of rows answered yes",
            f" It is computed as 100 × the number of rows answered yes ÷ the number of rows answered "
            "yes or no. "
            f"A yes is written {_YES}; a no is written {_NO}; any other entry is an input error.",
        ),
        "percent_meeting": (
            f"the percentage of rows whose value meets the row standard, a value {meets_standard}",
            f" It is computed as 100 × the number of rows with a value {meets_standard} ÷ the number "
            "of rows with a value.",
        ),
        "ratio": (
            f"the sum of the values in the column {t.key} divided by the sum of the values in the "
            f"column {t.denominator} over the same rows",
            f" A month in which the column {t.denominator} sums to zero over those rows has no "
            "monthly value.",
        ),
    }
    noun, detail = nouns.get(t.aggregation or "", (
        "[aggregation: mean, median, sum, percent_true, percent_meeting or ratio] of the values "
        "reported for that month",
        "",
    ))
    if t.scale is None:
        scaled = f"[scale] times {noun}"
    elif t.scale == 1:
        scaled = noun
    else:
        scaled = f"{format_number(t.scale)} times {noun}"
    return (
        f"Monthly value. For each calendar month, the monthly value is {scaled}.{detail} "
        "An empty cell is a missing value, never a zero: rows with an empty cell for this measure "
        "are left out, and a month with no values has no monthly value for this clause."
    )


def _target_and_minimum(t: _Terms) -> str:
    target = f"The target is a monthly value of {_word(_NOT_WORSE, 'not_worse', t.direction)} {t.target_text}"
    if t.curve == "pass_fail":
        return f"Target. {target}; pass/fail scoring uses no minimum."
    if t.curve == "ratio" and t.minimum is None:
        return f"Target and minimum. {target}; no minimum is set."
    return f"Target and minimum. {target}; the minimum is {t.minimum_text}."


def _cap_percent(cap: Decimal | None) -> str:
    if cap is None:
        return "[cap] %"
    try:
        return format_percent(cap * 100, "[cap]")
    except (ArithmeticError, ValueError):
        return "[cap] %"


def _scoring(t: _Terms) -> str:
    better = _word(_AT_OR_BETTER, "at_or_better", t.direction)
    worse_or_equal = _word(_AT_OR_WORSE, "at_or_worse", t.direction)
    target = format_number(t.target, "[target]")
    minimum = format_number(t.minimum, "[minimum]")
    if t.curve == "linear":
        if t.direction == "lower":
            formula = f"100 % × ({minimum} − monthly value) ÷ ({minimum} − {target})"
        elif t.direction == "higher":
            formula = f"100 % × (monthly value − {minimum}) ÷ ({target} − {minimum})"
        else:
            formula = ("[the distance from the minimum to the monthly value as a share of the distance from the "
                       "minimum to the target]")
        return (
            f"Scoring. Attainment is full credit (100 %) when the monthly value is {better} "
            f"{t.target_text}, no credit (0 %) when it is {worse_or_equal} {t.minimum_text}, and "
            f"proportional on a straight line in between: {formula}."
        )
    if t.curve == "ratio":
        cap = _cap_percent(t.cap)
        if t.direction == "lower":
            return (
                f"Scoring. Attainment is the target divided by the monthly value, 100 % × {target} ÷ "
                f"monthly value, capped at {cap}; a monthly value of 0 earns {cap}."
            )
        if t.direction == "higher":
            return (
                f"Scoring. Attainment is the monthly value divided by the target, 100 % × monthly "
                f"value ÷ {target}, capped at {cap}."
            )
        return (
            f"Scoring. Attainment is [the monthly value divided by the target / the target divided "
            f"by the monthly value], capped at {cap}."
        )
    if t.curve == "pass_fail":
        return (
            f"Scoring. Pass or fail: full credit (100 %) when the monthly value is {better} "
            f"{t.target_text}, otherwise no credit (0 %)."
        )
    return "Scoring. [scoring curve: linear, ratio or pass_fail]."


def _weight(t: _Terms) -> str:
    weight = format_number(t.weight, "[weight]")
    return (
        f"Weight. This clause carries a weight of {weight} out of 100 in the contract's monthly "
        "composite score, the weighted average of the attainment of the clauses that have a "
        "monthly value."
    )


def _payments(t: _Terms) -> str:
    better = _word(_AT_OR_BETTER, "at_or_better", t.direction)
    worse = _word(_WORSE, "worse", t.direction)
    if t.incentive is not None and t.incentive.is_zero():
        incentive = "Incentive. This clause carries no incentive."
    else:
        incentive = (
            f"Incentive. When the monthly value meets the target ({better} {t.target_text}), the "
            f"City pays the Contractor an incentive of {format_percent(t.incentive, '[incentive] %')} "
            "of that month's invoice."
        )
    if t.penalty is not None and t.penalty.is_zero():
        penalty = "Penalty. This clause carries no penalty."
    elif t.curve == "pass_fail":
        penalty = (
            f"Penalty. When the monthly value does not meet the target ({worse} {t.target_text}), "
            f"the City deducts a penalty of {format_percent(t.penalty, '[penalty] %')} of that "
            "month's invoice."
        )
    elif t.curve == "ratio" and t.minimum is None:
        penalty = "Penalty. This clause sets no minimum, so no penalty applies under it."
    else:
        penalty = (
            f"Penalty. When the monthly value is worse than the minimum ({worse} {t.minimum_text}), "
            f"the City deducts a penalty of {format_percent(t.penalty, '[penalty] %')} of that "
            "month's invoice."
        )
    if t.incentive_cap is None:
        incentive_cap = "the contract's incentive cap"
    else:
        incentive_cap = f"{format_percent(t.incentive_cap, '[incentive cap] %')} of the month's invoice"
    if t.penalty_cap is None:
        penalty_cap = "the contract's penalty cap"
    else:
        penalty_cap = f"{format_percent(t.penalty_cap, '[penalty cap] %')} of the month's invoice"
    caps = (
        f"Caps. The incentives of all clauses together are capped at {incentive_cap}, and the "
        f"penalties of all clauses together at {penalty_cap}. A month with no monthly value for "
        "this clause earns neither incentive nor penalty under it."
    )
    return f"{incentive} {penalty} {caps}"


def clause_language(
    terms: Mapping[str, Any],
    *,
    work_unit: str,
    incentive_cap: Decimal | None = None,
    penalty_cap: Decimal | None = None,
) -> str:
    """The clause's contract language in plain English a lawyer can start from, one paragraph a section.

    `terms` has the clause model's field names (numbers Decimal or None, enums as plain strings);
    `incentive_cap` and `penalty_cap` are the contract's, in percent of a month's invoice.
    """
    t = _Terms(terms, work_unit, incentive_cap, penalty_cap)
    return "\n".join(
        (_measure(t), _monthly_value(t), _target_and_minimum(t), _scoring(t), _weight(t), _payments(t))
    )


def clause_measure(terms: Mapping[str, Any]) -> str:
    """A one-line summary of what a clause measures, for schedule tables: "average of “pci_after”"."""
    t = _Terms(terms, "", None, None)
    standard = format_number(t.row_standard, "[row standard]")
    summaries = {
        "mean": f"average of {t.key}",
        "median": f"median of {t.key}",
        "sum": f"sum of {t.key}",
        "percent_true": f"% of rows answered yes in {t.key}",
        "percent_meeting": (
            f"% of rows with {t.key} {_word(_AT_OR_BETTER, 'at_or_better', t.row_direction)} {standard}"
        ),
        "ratio": f"sum of {t.key} ÷ sum of {t.denominator}",
    }
    summary = summaries.get(t.aggregation or "", f"[aggregation] of {t.key}")
    if t.scale is None:
        summary = f"[scale] × {summary}"
    elif t.scale != 1:
        summary = f"{format_number(t.scale)} × {summary}"
    if t.direction:
        summary += f"; {t.direction} is better"
    return summary


def target_phrase(terms: Mapping[str, Any]) -> str:
    """The target with its direction and unit: "at least 90 PCI", "at most 0.5 defects/lane-mile"."""
    t = _Terms(terms, "", None, None)
    return f"{_word(_NOT_WORSE, 'not_worse', t.direction)} {t.target_text}"


def value_with_unit(terms: Mapping[str, Any], value: Any, placeholder: str = "—") -> str:
    """A number in the clause's unit for the monthly value, or the placeholder when it is missing."""
    t = _Terms(terms, "", None, None)
    if to_decimal(value) is None:
        return placeholder
    return t.value(value, placeholder)
