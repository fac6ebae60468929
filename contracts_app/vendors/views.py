from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from models import Role, Vendor, db

from ..scorecards.services import coverage_percent, is_incomplete
from ..security import role_required
from ..unit_of_work import discard_changes
from .forms import VendorForm
from .services import VendorInputError, create_vendor, list_vendors, update_vendor, vendor_detail

bp = Blueprint("vendors", __name__, url_prefix="/vendors")

EDITORS = (Role.PROCUREMENT, Role.ADMIN)


def _can_edit() -> bool:
    return current_user.is_authenticated and current_user.role in EDITORS


def _show_errors(form: VendorForm, exc: VendorInputError) -> None:
    for name, messages in exc.errors.items():
        field = getattr(form, name, None) or form.name
        field.errors = [*field.errors, *messages]


@bp.route("/")
def index():
    return render_template("vendors/index.html", vendors=list_vendors(), can_edit=_can_edit())


@bp.route("/<int:vendor_id>")
def detail(vendor_id: int):
    detail = vendor_detail(vendor_id)
    if detail is None:
        abort(404)
    return render_template("vendors/detail.html", can_edit=_can_edit(), coverage_percent=coverage_percent,
                           is_incomplete=is_incomplete, **detail)


@bp.route("/new", methods=["GET", "POST"])
@role_required(*EDITORS)
def new():
    form = VendorForm()
    if form.validate_on_submit():
        try:
            vendor = create_vendor(form.data)
        except VendorInputError as exc:
            discard_changes()
            _show_errors(form, exc)
        else:
            flash(f"Vendor {vendor.name} created.", "success")
            return redirect(url_for("vendors.detail", vendor_id=vendor.id))
    return render_template("vendors/form.html", form=form, vendor=None)


@bp.route("/<int:vendor_id>/edit", methods=["GET", "POST"])
@role_required(*EDITORS)
def edit(vendor_id: int):
    vendor = db.session.get(Vendor, vendor_id)
    if vendor is None:
        abort(404)
    form = VendorForm(obj=vendor)
    if form.validate_on_submit():
        try:
            changed = update_vendor(vendor, form.data)
        except VendorInputError as exc:
            discard_changes()
            _show_errors(form, exc)
        else:
            flash(f"Vendor {vendor.name} saved." if changed else "Nothing changed.", "success" if changed else "info")
            return redirect(url_for("vendors.detail", vendor_id=vendor.id))
    return render_template("vendors/form.html", form=form, vendor=vendor)
