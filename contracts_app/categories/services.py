"""Service categories: listing them, and creating and editing them (SPEC §2)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from imports.contracts_file import SLUG_RE
from imports.headers import normalise_header
from models import ClauseTemplate, Contract, OutcomeClause, ServiceCategory, Upload, UploadStatus, User, db

from ..audit import record_event, snapshot
from ..disputes.review import DEFAULT_REVIEW_DAYS
from ..savepoints import flush_unique

SLUG_MAX = 80
NAME_MAX = 200
UNIT_MAX = 40
REVIEW_DAYS_MIN, REVIEW_DAYS_MAX = 1, 90  # SPEC §8; the database checks the same range
SHEET_DUE_DAYS_MIN, SHEET_DUE_DAYS_MAX, DEFAULT_SHEET_DUE_DAYS = 1, 60, 10  # the database checks the same range
# Uploads whose sheets are stored against the category's slug and row key: once committed (and
# still readable after being superseded), renaming either would orphan them.
LOCKING_UPLOADS = (UploadStatus.COMMITTED, UploadStatus.SUPERSEDED)


class CategoryInputError(ValueError):
    """Refused input: `errors` maps a form field's name to what is wrong with it."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {m}" for k, ms in errors.items() for m in ms))
        self.errors = errors


def slug_problem(value: str, example: str = "work_order_id") -> str | None:
    """Why `value` can't be a slug or sheet column name, or None. The contracts file's rule."""
    if len(value) > SLUG_MAX:
        return f"'{value[:20]}…' is longer than {SLUG_MAX} characters."
    if not SLUG_RE.match(value):
        return (f"'{value}' is not a valid name: use lower-case letters, digits, and '-' or '_' between "
                f"them, with no spaces (for example {example}).")
    return None


def split_columns(text: str | Iterable[str] | None) -> list[str]:
    """'street, ward ,,district' -> ['street', 'ward', 'district']."""
    if text is None:
        return []
    parts = text.split(",") if isinstance(text, str) else list(text)
    return [p.strip() for p in parts if p and p.strip()]


def _column_id(name: str) -> str:
    """Two columns clash when the importer would read them as one header (imports.headers.normalise_header):
    work-order, Work Order and work_order all match the same sheet column."""
    return normalise_header(name)


def category_by_slug(slug: str | None) -> ServiceCategory | None:
    """The category a slug names, or None; text that can never be a slug (too long, a NUL byte) is not looked up."""
    slug = (slug or "").strip()
    if not slug or len(slug) > 80 or not SLUG_RE.match(slug):
        return None
    return db.session.scalars(select(ServiceCategory).where(ServiceCategory.slug == slug)).first()


def list_categories() -> list[tuple[ServiceCategory, int]]:
    """Each category with its number of contracts."""
    rows = db.session.execute(
        select(ServiceCategory, func.count(Contract.id))
        .outerjoin(Contract, Contract.category_id == ServiceCategory.id)
        .group_by(ServiceCategory.id)
        .order_by(ServiceCategory.name)
    ).all()
    return [(category, count) for category, count in rows]


def committed_upload_count(category: ServiceCategory) -> int:
    """Committed (or since superseded) uploads of the category's contracts."""
    if category.id is None:
        return 0
    return db.session.scalar(
        select(func.count(Upload.id))
        .join(Contract, Contract.id == Upload.contract_id)
        .where(Contract.category_id == category.id, Upload.status.in_(LOCKING_UPLOADS))
    ) or 0


def category_detail(category_id: int) -> dict | None:
    category = db.session.get(ServiceCategory, category_id)
    if category is None:
        return None
    contracts = list(
        db.session.scalars(
            select(Contract).options(joinedload(Contract.vendor))
            .where(Contract.category_id == category_id).order_by(Contract.number)
        )
    )
    templates = list(
        db.session.scalars(
            select(ClauseTemplate).where(ClauseTemplate.category_id == category_id).order_by(ClauseTemplate.key)
        )
    )
    return {
        "category": category,
        "contracts": contracts,
        "templates": templates,
        "committed_uploads": committed_upload_count(category),
        "published_by": db.session.get(User, category.published_by_id) if category.published_by_id else None,
    }


def _clause_keys(category: ServiceCategory) -> dict[str, str]:
    """Column id -> where a clause of this category already uses it as its sheet column."""
    if category.id is None:
        return {}
    used: dict[str, str] = {}
    for key, number in db.session.execute(
        select(OutcomeClause.key, Contract.number)
        .join(Contract, Contract.id == OutcomeClause.contract_id)
        .where(Contract.category_id == category.id)
        .order_by(Contract.number)
    ):
        used.setdefault(_column_id(key), f"an outcome clause of contract {number}")
    for key in db.session.scalars(select(ClauseTemplate.key).where(ClauseTemplate.category_id == category.id)):
        used.setdefault(_column_id(key), "a clause template of this category")
    return used


def _clean(data: Mapping, category: ServiceCategory | None) -> dict:
    """The category's values from form data, or CategoryInputError naming every field that is wrong."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    def text(name: str, max_len: int, missing: str) -> str:
        value = " ".join(str(data.get(name) or "").split())
        if not value:
            fail(name, missing)
        elif len(value) > max_len:
            fail(name, f"Use at most {max_len} characters.")
        return value

    def slug(name: str, missing: str, example: str) -> str:
        value = str(data.get(name) or "").strip()
        if not value:
            fail(name, missing)
        elif (problem := slug_problem(value, example)) is not None:
            fail(name, problem)
        return value

    def review_days() -> int:
        value = str(data.get("review_days") or "").strip() or str(DEFAULT_REVIEW_DAYS)
        if not value.isdigit() or not REVIEW_DAYS_MIN <= int(value) <= REVIEW_DAYS_MAX:
            fail("review_days", f"Enter a whole number of days between {REVIEW_DAYS_MIN} and {REVIEW_DAYS_MAX} "
                                f"days, for example 14; '{value}' is not.")
            return DEFAULT_REVIEW_DAYS
        return int(value)

    def sheet_due_days() -> int:
        value = str(data.get("sheet_due_days") or "").strip() or str(DEFAULT_SHEET_DUE_DAYS)
        if not value.isdigit() or not SHEET_DUE_DAYS_MIN <= int(value) <= SHEET_DUE_DAYS_MAX:
            fail("sheet_due_days", f"Enter a whole number of days between {SHEET_DUE_DAYS_MIN} and "
                                   f"{SHEET_DUE_DAYS_MAX}, for example 10; '{value}' is not.")
            return DEFAULT_SHEET_DUE_DAYS
        return int(value)

    values = {
        "slug": slug("slug", "Enter a slug, for example asphalt-resurfacing.", "asphalt-resurfacing"),
        "name": text("name", NAME_MAX, "Enter the category's name."),
        "unit": text("unit", UNIT_MAX, "Enter the work unit, for example lane-mile or work order."),
        "row_key": slug("row_key", "Enter the row key column, for example work_order_id.", "work_order_id"),
        "date_column": slug("date_column", "Enter the date column, for example completed_on.", "completed_on"),
        "context_columns": split_columns(data.get("context_columns")),
        "review_days": review_days(),
        "sheet_due_days": sheet_due_days(),
    }

    for column in values["context_columns"]:
        if (problem := slug_problem(column, "street_name")) is not None:
            fail("context_columns", problem)

    # Every column of the sheet must be a different header, and not the column of a clause.
    labels = {"row_key": "the row key column", "date_column": "the date column"}
    columns = [("row_key", values["row_key"]), ("date_column", values["date_column"])]
    columns += [("context_columns", c) for c in values["context_columns"]]
    columns = [(name, column) for name, column in columns if column and slug_problem(column) is None]
    seen: dict[str, str] = {}
    for name, column in columns:
        cid = _column_id(column)
        if cid not in seen:
            seen[cid] = name
        elif seen[cid] == name == "context_columns":
            fail(name, f"'{column}' is listed twice.")
        else:
            where = labels.get(seen[cid], "a context column")
            fail(name, f"'{column}' is already {where}; each column of the sheet needs its own name.")
    clause_columns = _clause_keys(category) if category is not None else {}
    for name, column in columns:
        if (where := clause_columns.get(_column_id(column))) is not None:
            fail(name, f"'{column}' is already the column of {where}; pick another name.")

    if values["slug"] and "slug" not in errors:
        same = select(ServiceCategory).where(func.lower(ServiceCategory.slug) == values["slug"].lower())
        if category is not None and category.id is not None:
            same = same.where(ServiceCategory.id != category.id)
        if (other := db.session.scalars(same.limit(1)).first()) is not None:
            fail("slug", f"The slug '{values['slug']}' is already used by the category {other.name}.")

    if category is not None and (uploads := committed_upload_count(category)):
        sheets = f"{uploads} committed sheet{'s' if uploads != 1 else ''}"
        if values["slug"] and values["slug"] != category.slug:
            fail("slug", f"Can't change the slug: this category's contracts already have {sheets}, which "
                         f"would be orphaned. Keep '{category.slug}', or create a new category.")
        if values["row_key"] and values["row_key"] != category.row_key:
            fail("row_key", f"Can't change the row key column: this category's contracts already have {sheets}, "
                            f"whose rows are identified by '{category.row_key}'. Keep it, or create a new category.")

    if errors:
        raise CategoryInputError(errors)
    return values


def _flush_unique(category: ServiceCategory) -> None:
    flush_unique(category, CategoryInputError({"slug": [f"The slug '{category.slug}' is already used."]}))


def create_category(data: Mapping) -> ServiceCategory:
    values = _clean(data, None)
    category = ServiceCategory(**values)
    _flush_unique(category)
    record_event("servicecategory_created", category, after=snapshot(category), summary=f"category {category.slug}")
    return category


def update_category(category: ServiceCategory, data: Mapping) -> bool:
    """Applies the form to `category`; False (and no audit event) when nothing changed."""
    values = _clean(data, category)
    if all(getattr(category, k) == v for k, v in values.items()):
        return False
    before = snapshot(category)
    for key, value in values.items():
        setattr(category, key, value)
    _flush_unique(category)
    renamed = f" (was {before['slug']})" if before["slug"] != category.slug else ""
    record_event("servicecategory_updated", category, before=before, after=snapshot(category),
                 summary=f"category {category.slug}{renamed}")
    return True
