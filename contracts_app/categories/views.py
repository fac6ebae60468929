from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from models import Role, ServiceCategory, db

from ..public.publishing import PublishingRefused, set_publishing
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
    can_publish = current_user.is_authenticated and current_user.role == Role.ADMIN
    return render_template("categories/detail.html", can_edit=_can_edit(), can_publish=can_publish, **detail)


@bp.post("/<int:category_id>/publishing")
@role_required(Role.ADMIN)
def publishing(category_id: int):
    """Publish or unpublish the category's public scorecard, and choose its published context columns."""
    category = db.session.get(ServiceCategory, category_id)
    if category is None:
        abort(404)
    publish = request.form.get("action") == "publish" or (
        request.form.get("action") == "save" and category.is_published)
    try:
        changed = set_publishing(category, publish=publish,
                                 context_columns=request.form.getlist("publish_context_columns"),
                                 actor=current_user._get_current_object())
    except PublishingRefused as refused:
        discard_changes()
        flash(f"Nothing was changed: {refused}", "danger")
    else:
        if not changed:
            flash("Nothing changed.", "info")
        elif category.is_published:
            flash(f"The scorecard of {category.name} is public at {url_for('public.category', slug=category.slug)}.",
                  "success")
        else:
            flash(f"The scorecard of {category.name} is no longer public.", "success")
    return redirect(url_for("categories.detail", category_id=category_id) + "#publishing")


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
