"""The clause template form: every term of a clause, each with help text in plain words."""
from __future__ import annotations

from decimal import Decimal

from wtforms import Field, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from models import ClauseTemplate, ServiceCategory

from ..clause_terms_form import ClauseTermsForm, term_data
from ..input_guards import as_id


def _category_id(value):
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return value
    return as_id(value)  # not an id the database could hold: no category, and the form says to choose one


class ClauseTemplateForm(ClauseTermsForm):
    """A library clause template: its category, every term (ClauseTermsForm, shared with the contract's clause
    form) and the contract language."""

    category_id = SelectField(
        "Service category", coerce=_category_id, validate_choice=True,
        description="The kind of work this clause measures. The template is offered to contracts in this category.",
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
        """The typed terms (ClauseTermsForm.terms) with the contract language."""
        return {**super().terms(), "language": (self.language.data or "").strip()}

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
    data = term_data(template)
    data["language"] = template.language
    data["category_id"] = template.category_id
    return data
