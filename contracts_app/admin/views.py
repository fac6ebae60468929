from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from models import Role, User, db

from ..form_choices import select_choices
from ..input_guards import as_page
from ..security import role_required
from .forms import AssignmentsForm, NewUserForm
from .services import (
    UserInputError,
    all_contracts,
    audit_actions,
    audit_page,
    create_user,
    list_users,
    set_assignments,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@role_required(Role.ADMIN)
def users():
    return render_template("admin/users.html", users=list_users())


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_user():
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = create_user(form.email.data, form.role.data, form.password.data, form.name.data or "",
                               actor=current_user._get_current_object())
        except UserInputError as exc:
            field, _, message = str(exc).partition(": ")
            getattr(form, field, form.email).errors.append(message)
        else:
            db.session.commit()
            flash(f"User {user.email} created as {user.role.label}.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/new_user.html", form=form)


@bp.route("/audit")
@role_required(Role.ADMIN)
def audit():
    action = request.args.get("action") or None
    page = as_page(request.args.get("page"))
    return render_template(
        "admin/audit.html", pagination=audit_page(page, action=action), actions=audit_actions(), action=action
    )


@bp.route("/users/<int:user_id>/assignments", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def assignments(user_id: int):
    manager = db.session.get(User, user_id)
    if manager is None or manager.role != Role.CONTRACT_MANAGER:
        abort(404)
    form = AssignmentsForm()
    form.contract_ids.choices = select_choices((c.id, f"{c.number} · {c.title} · {c.vendor.name}") for c in all_contracts())
    if request.method == "GET":
        form.contract_ids.data = [a.contract_id for a in manager.assignments]
    if form.validate_on_submit():
        added, removed = set_assignments(manager, set(form.contract_ids.data or []), current_user._get_current_object())
        db.session.commit()
        if added or removed:
            parts = [f"assigned {', '.join(added)}" if added else "", f"unassigned {', '.join(removed)}" if removed else ""]
            flash(f"{manager.email}: " + "; ".join(p for p in parts if p) + ".", "success")
        else:
            flash("Nothing changed.", "info")
        return redirect(url_for("admin.users"))
    return render_template("admin/assignments.html", form=form, manager=manager)
