"""The clause library: reading, checking, creating, editing, retiring and restoring clause templates.

Functions here take model objects and plain terms (Decimal numbers, enum values as strings, as
`scoring.clause_rules.clause_problems` takes them), flush, record the audit event, and never commit:
the view (or the command) commits once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import ClauseTemplate, ServiceCategory, db
from scoring.clause_rules import clause_problems

from ..audit import record_event, snapshot


class TemplateInputError(ValueError):
    """The template was refused; `problems` holds (field, message) pairs naming the field that is wrong."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems))
        self.problems = problems


@dataclass
class CategoryGroup:
    category: ServiceCategory
    templates: list[ClauseTemplate] = field(default_factory=list)
    hidden_retired: int = 0

    @property
    def active_weight(self) -> Decimal:
        return sum((t.weight for t in self.templates if not t.retired), Decimal("0"))


def list_categories() -> list[ServiceCategory]:
    return list(db.session.scalars(select(ServiceCategory).order_by(ServiceCategory.name)))




def category_by_id(category_id: int | None) -> ServiceCategory | None:
    return db.session.get(ServiceCategory, category_id) if category_id is not None else None


def get_template(template_id: int) -> ClauseTemplate | None:
    return db.session.get(ClauseTemplate, template_id, options=[joinedload(ClauseTemplate.category)])


def library_groups(category: ServiceCategory | None = None, include_retired: bool = False) -> list[CategoryGroup]:
    """Templates grouped by category (by name), heaviest first; retired ones only when asked for."""
    categories = [category] if category is not None else list_categories()
    query = select(ClauseTemplate).order_by(ClauseTemplate.weight.desc(), ClauseTemplate.key)
    if category is not None:
        query = query.where(ClauseTemplate.category_id == category.id)
    groups = {c.id: CategoryGroup(c) for c in categories}
    for template in db.session.scalars(query):
        group = groups.get(template.category_id)
        if group is None:
            continue
        if template.retired and not include_retired:
            group.hidden_retired += 1
        else:
            group.templates.append(template)
    return list(groups.values())


def template_problems(category: ServiceCategory | None, terms: dict,
                      template: ClauseTemplate | None = None) -> list[tuple[str, str]]:
    """Every reason the template cannot be stored: the scoring rules, and a key already used in the category."""
    problems: list[tuple[str, str]] = []
    if category is None:
        problems.append(("category_id", "choose the service category this clause is for"))
    problems.extend(clause_problems(terms))
    key = terms.get("key")
    if category is not None and key:
        query = select(ClauseTemplate.id).where(ClauseTemplate.category_id == category.id, ClauseTemplate.key == key)
        if template is not None and template.id is not None:
            query = query.where(ClauseTemplate.id != template.id)
        if db.session.scalar(query) is not None:
            problems.append(("key", f"the {category.name} library already has a template with the key {key}"))
    return problems


def create_template(category: ServiceCategory | None, terms: dict) -> ClauseTemplate:
    """Stores a new template; raises TemplateInputError (nothing added) when it breaks a rule."""
    problems = template_problems(category, terms)
    if problems:
        raise TemplateInputError(problems)
    template = ClauseTemplate(category=category, retired=False, **ClauseTemplate.model_terms(terms))
    db.session.add(template)
    db.session.flush()
    record_event("clause_template_created", template, after=snapshot(template),
                 summary=f"clause template {category.slug}/{template.key} added to the library")
    return template


def _same(a, b) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        if a is None or b is None:
            return a is None and b is None
        return Decimal(a) == Decimal(b)
    return a == b


def update_template(template: ClauseTemplate, category: ServiceCategory | None, terms: dict) -> bool:
    """Applies the edited terms; False when nothing changed. Raises TemplateInputError when a rule is broken."""
    problems = template_problems(category, terms, template)
    if problems:
        raise TemplateInputError(problems)
    values = ClauseTemplate.model_terms(terms)
    changed = {name: value for name, value in values.items() if not _same(getattr(template, name), value)}
    if template.category_id != category.id:
        changed["category"] = category
    if not changed:
        return False
    before = snapshot(template)
    for name, value in changed.items():
        setattr(template, name, value)
    db.session.flush()
    record_event("clause_template_updated", template, before=before, after=snapshot(template),
                 summary=f"clause template {template.category.slug}/{template.key} edited "
                         f"({', '.join(sorted(changed))})")
    return True


def set_retired(template: ClauseTemplate, retired: bool) -> bool:
    """Retires (hides from the library) or restores a template; False when it already was."""
    if template.retired == retired:
        return False
    before = snapshot(template)
    template.retired = retired
    db.session.flush()
    action = "clause_template_retired" if retired else "clause_template_restored"
    verb = "retired from" if retired else "restored to"
    record_event(action, template, before=before, after=snapshot(template),
                 summary=f"clause template {template.category.slug}/{template.key} {verb} the library")
    return True
