"""The vendor portal: a vendor user's home, and one page per contract of its own (SPEC §1).

Every view here is for vendor users only and reads through `vendor_scope`; the scorecard and its rows are the
city's own pages (`scorecards`), opened to vendors with `require_contract_visible`."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from models import Role

from ..security import open_to_vendors, role_required, vendor_scope
from .services import contract_months, standing, vendor, vendor_categories, vendor_contract, vendor_contracts

bp = Blueprint("vendor_portal", __name__, url_prefix="/vendor-portal")


def _scope() -> int:
    scope = vendor_scope(current_user)
    if scope is None:  # role_required lets only vendor users in; this is the belt to its braces
        abort(404)
    return scope


@bp.get("/")
@open_to_vendors
@role_required(Role.VENDOR)
def home():
    scope = _scope()
    company = vendor(scope)
    if company is None:  # the database has every vendor user belong to a vendor; never show "everything"
        abort(404)
    standings = [standing(scope, category) for category in vendor_categories(scope)]
    return render_template("vendor_portal/home.html", vendor=company, contracts=vendor_contracts(scope),
                           standings=standings)


@bp.get("/contracts/<int:contract_id>")
@open_to_vendors
@role_required(Role.VENDOR)
def contract(contract_id: int):
    found = vendor_contract(_scope(), contract_id)
    if found is None:
        abort(404)
    return render_template("vendor_portal/contract.html", contract=found, months=contract_months(found))
