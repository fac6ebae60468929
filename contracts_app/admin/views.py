from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from models import Role, db

from ..security import role_required
from .forms import NewUserForm
from .services import UserInputError, audit_actions, audit_page, create_user, list_users

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
    page = request.args.get("page", 1, type=int)
    return render_template(
        "admin/audit.html", pagination=audit_page(page, action=action), actions=audit_actions(), action=action
    )
