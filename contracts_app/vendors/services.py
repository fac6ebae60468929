"""Vendor pages: read-side queries, and creating and editing vendors."""
from __future__ import annotations

from collections.abc import Mapping

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from models import Contract, ContractStatus, Observation, Vendor, db

from ..audit import record_event, snapshot

NAME_MAX = 200
EMAIL_MAX = 254


class VendorInputError(ValueError):
    """Refused input: `errors` maps a form field's name to what is wrong with it."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {m}" for k, ms in errors.items() for m in ms))
        self.errors = errors


def list_vendors() -> list[tuple[Vendor, int, int]]:
    """Each vendor with its number of contracts and of active contracts."""
    active = func.sum(func.cast(Contract.status == ContractStatus.ACTIVE, db.Integer))
    rows = db.session.execute(
        select(Vendor, func.count(Contract.id), func.coalesce(active, 0))
        .outerjoin(Contract, Contract.vendor_id == Vendor.id)
        .group_by(Vendor.id)
        .order_by(Vendor.name)
    ).all()
    return [(vendor, total, int(active_count)) for vendor, total, active_count in rows]


def vendor_detail(vendor_id: int) -> dict | None:
    vendor = db.session.get(Vendor, vendor_id)
    if vendor is None:
        return None
    contracts = list(
        db.session.scalars(
            select(Contract)
            .where(Contract.vendor_id == vendor_id)
            .options(selectinload(Contract.category))
            .order_by(Contract.number)
        )
    )
    observation_counts = dict(
        db.session.execute(
            select(Observation.contract_id, func.count())
            .where(Observation.contract_id.in_([c.id for c in contracts]))
            .group_by(Observation.contract_id)
        ).all()
    )
    return {"vendor": vendor, "contracts": contracts, "observation_counts": observation_counts}


def _clean(data: Mapping, vendor: Vendor | None) -> dict:
    """The vendor's values from form data, or VendorInputError naming every field that is wrong."""
    errors: dict[str, list[str]] = {}
    name = " ".join((data.get("name") or "").split())
    if not name:
        errors.setdefault("name", []).append("Enter the vendor's name.")
    elif len(name) > NAME_MAX:
        errors.setdefault("name", []).append(f"Use at most {NAME_MAX} characters.")
    else:
        same_name = select(Vendor).where(func.lower(Vendor.name) == func.lower(name))
        if vendor is not None and vendor.id is not None:
            same_name = same_name.where(Vendor.id != vendor.id)
        other = db.session.scalars(same_name.limit(1)).first()
        if other is not None:
            errors.setdefault("name", []).append(f"A vendor named '{other.name}' already exists.")

    email = (data.get("contact_email") or "").strip() or None
    if email is not None:
        try:
            email = validate_email(email, check_deliverability=False, globally_deliverable=False).normalized
        except EmailNotValidError as exc:
            errors.setdefault("contact_email", []).append(str(exc))
        else:
            if len(email) > EMAIL_MAX:
                errors.setdefault("contact_email", []).append(f"Use at most {EMAIL_MAX} characters.")
    if errors:
        raise VendorInputError(errors)
    return {"name": name, "contact_email": email}


def _flush_unique(vendor: Vendor) -> None:
    """Flush in a savepoint, so a name taken meanwhile by another request is refused, not a 500."""
    try:
        with db.session.begin_nested():
            db.session.add(vendor)
            db.session.flush()
    except IntegrityError:
        raise VendorInputError({"name": [f"A vendor named '{vendor.name}' already exists."]}) from None


def create_vendor(data: Mapping) -> Vendor:
    values = _clean(data, None)
    vendor = Vendor(**values)
    _flush_unique(vendor)
    record_event("vendor_created", vendor, after=snapshot(vendor), summary=f"vendor {vendor.name}")
    return vendor


def update_vendor(vendor: Vendor, data: Mapping) -> bool:
    """Applies the form to `vendor`; False (and no audit event) when nothing changed."""
    values = _clean(data, vendor)
    if all(getattr(vendor, k) == v for k, v in values.items()):
        return False
    before = snapshot(vendor)
    for key, value in values.items():
        setattr(vendor, key, value)
    _flush_unique(vendor)
    record_event("vendor_updated", vendor, before=before, after=snapshot(vendor), summary=f"vendor {vendor.name}")
    return True
