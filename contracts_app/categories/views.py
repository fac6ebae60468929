from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from models import Role, ServiceCategory, db

from ..security import role_required
from ..unit_of_work import discard_changes
from .forms import CategoryForm
from .services import (
    CategoryInputError,
    category_detail,
    committed_upload_count,
    create_category,
    list_categories,
    update_category,
)

bp = Blueprint("categories", __name__, url_prefix="/categories")

EDITORS = (Role.PROCUREMENT, Role.ADMIN)


def _can_edit() -> bool:
    return current_user.is_authenticated and current_user.role in EDITORS


def _show_errors(form: CategoryForm, exc: CategoryInputError) -> None:
    for name, messages in exc.errors.items():
        field = getattr(form, name, None) or form.slug
        field.errors = [*field.errors, *messages]


@bp.route("/")
def index():
    return render_template("categories/index.html", categories=list_categories(), can_edit=_can_edit())


@bp.route("/<int:category_id>")
def detail(category_id: int):
    detail = category_detail(category_id)
    if detail is None:
        abort(404)
    return render_template("categories/detail.html", can_edit=_can_edit(), **detail)


@bp.route("/new", methods=["GET", "POST"])
@role_required(*EDITORS)
def new():
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = create_category(form.data)
        except CategoryInputError as exc:
            discard_changes()
            _show_errors(form, exc)
        else:
            flash(f"Category {category.name} ({category.slug}) created.", "success")
            return redirect(url_for("categories.detail", category_id=category.id))
    return render_template("categories/form.html", form=form, category=None, committed_uploads=0)


@bp.route("/<int:category_id>/edit", methods=["GET", "POST"])
@role_required(*EDITORS)
def edit(category_id: int):
    category = db.session.get(ServiceCategory, category_id)
    if category is None:
        abort(404)
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        try:
            changed = update_category(category, form.data)
        except CategoryInputError as exc:
            discard_changes()
            _show_errors(form, exc)
        else:
            if changed:
                flash(f"Category {category.name} ({category.slug}) saved.", "success")
            else:
                flash("Nothing changed.", "info")
            return redirect(url_for("categories.detail", category_id=category.id))
    return render_template("categories/form.html", form=form, category=category,
                           committed_uploads=committed_upload_count(category))
