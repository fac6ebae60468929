from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from models import ContractAssignment, Role, User, db

from ..form_choices import select_choices
from ..input_guards import as_page
from ..security import role_required
from ..unit_of_work import discard_changes
from .audit_diff import field_changes
from .forms import AssignmentsForm, ManageUserForm, NewUserForm
from .services import (
    UserInputError,
    all_contracts,
    all_vendors,
    audit_actions,
    audit_page,
    change_role,
    create_user,
    end_sessions,
    list_users,
    reset_mfa,
    reset_password,
    set_assignments,
    set_enabled,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


# What the account pages and their actions read of a user: the vendor and the assigned contracts.
ACCOUNT_PARTS = (joinedload(User.vendor), selectinload(User.assignments).joinedload(ContractAssignment.contract))


def _vendor_choices():
    return select_choices([("", "(not a vendor user)")] + [(v.name, v.name) for v in all_vendors()])


@bp.route("/users")
@role_required(Role.ADMIN)
def users():
    return render_template("admin/users.html", users=list_users())


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_user():
    form = NewUserForm()
    form.vendor.choices = _vendor_choices()
    if form.validate_on_submit():
        try:
            user = create_user(form.email.data, form.role.data, form.password.data, form.name.data or "",
                               actor=current_user._get_current_object(), vendor_name=form.vendor.data)
        except UserInputError as exc:
            field, _, message = str(exc).partition(": ")
            getattr(form, field, form.email).errors.append(message)
        else:
            flash(f"User {user.email} created as {user.role.label}.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/new_user.html", form=form)


# Resets that cannot be taken back: the old password or authenticator stops working at once.
CONFIRMED_ACTIONS = ("reset_password", "reset_mfa")


def _apply(action: str, user: User, form: ManageUserForm, actor: User) -> tuple[str, str | None]:
    """Runs one admin action; (message, temporary password if one was made)."""
    if action in CONFIRMED_ACTIONS and not form.confirm.data:
        raise UserInputError("confirm: tick the box to confirm the reset; nothing was changed")
    if action == "role":
        changed = change_role(user, form.role.data or "", actor, vendor_name=form.vendor.data)
        return (f"{user.email} is now {user.role.label}; their open sessions have ended." if changed
                else "Nothing changed."), None
    if action in ("deactivate", "reactivate"):
        changed = set_enabled(user, action == "reactivate", actor)
        if not changed:
            return "Nothing changed.", None
        return (f"{user.email} deactivated: their open sessions have ended and they cannot sign in."
                if action == "deactivate" else f"{user.email} reactivated: they can sign in again."), None
    if action == "reset_password":
        return (f"Password of {user.email} reset; they must choose a new one at next sign-in.",
                reset_password(user, actor))
    if action == "end_sessions":
        end_sessions(user, actor)
        return f"Every session of {user.email} has ended; they sign in again to go on.", None
    if action == "reset_mfa":
        changed = reset_mfa(user, actor)
        return (f"Two-step sign-in of {user.email} reset." if changed else "Two-step sign-in was not on."), None
    raise UserInputError("action: choose what to change")


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def manage_user(user_id: int):
    user = db.session.get(User, user_id, options=ACCOUNT_PARTS)
    if user is None:
        abort(404)
    form = ManageUserForm()
    form.vendor.choices = _vendor_choices()
    temporary = None
    if request.method == "GET":
        form.role.data = user.role.value
        form.vendor.data = user.vendor.name if user.vendor else ""
    if form.validate_on_submit():
        try:
            message, temporary = _apply(form.action.data or "", user, form, current_user._get_current_object())
        except UserInputError as exc:
            discard_changes()
            flash(f"Not changed: {str(exc).partition(': ')[2]}.", "danger")
            return redirect(url_for("admin.manage_user", user_id=user_id))
        flash(message, "success" if message != "Nothing changed." else "info")
        if temporary is None:
            return redirect(url_for("admin.manage_user", user_id=user_id))
    return render_template("admin/manage_user.html", user=user, form=form, temporary=temporary)


@bp.route("/audit")
@role_required(Role.ADMIN)
def audit():
    action = request.args.get("action") or None
    page = as_page(request.args.get("page"))
    return render_template(
        "admin/audit.html", pagination=audit_page(page, action=action), actions=audit_actions(), action=action,
        field_changes=field_changes,
    )


@bp.route("/users/<int:user_id>/assignments", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def assignments(user_id: int):
    manager = db.session.get(User, user_id, options=ACCOUNT_PARTS)
    if manager is None or manager.role != Role.CONTRACT_MANAGER:
        abort(404)
    form = AssignmentsForm()
    form.contract_ids.choices = select_choices((c.id, f"{c.number} · {c.title} · {c.vendor.name}") for c in all_contracts())
    if request.method == "GET":
        form.contract_ids.data = [a.contract_id for a in manager.assignments]
    if form.validate_on_submit():
        added, removed = set_assignments(manager, set(form.contract_ids.data or []), current_user._get_current_object())
        if added or removed:
            parts = [f"assigned {', '.join(added)}" if added else "", f"unassigned {', '.join(removed)}" if removed else ""]
            flash(f"{manager.email}: " + "; ".join(p for p in parts if p) + ".", "success")
        else:
            flash("Nothing changed.", "info")
        return redirect(url_for("admin.users"))
    return render_template("admin/assignments.html", form=form, manager=manager)
