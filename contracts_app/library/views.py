"""The clause library pages: everyone signed in reads; procurement officers and admins change it."""
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from models import Role

from ..categories.services import category_by_slug
from ..security import role_required
from ..unit_of_work import discard_changes
from . import services
from .forms import ClauseTemplateForm, initial_data

bp = Blueprint("library", __name__, url_prefix="/library")

EDITORS = (Role.PROCUREMENT, Role.ADMIN)


def _plain_number(value) -> str:
    """A stored number as typed: 90, 0.5, 10000 (no trailing zeros, no exponent)."""
    if value is None:
        return "—"
    return format(Decimal(value).normalize(), "f")


def _can_edit() -> bool:
    return current_user.is_authenticated and current_user.role in EDITORS


def _template_or_404(template_id: int):
    template = services.get_template(template_id)
    if template is None:
        abort(404)
    return template


def _save(form: ClauseTemplateForm, template=None):
    """Checks the typed template and stores it; the stored template, or None with the errors on the form."""
    valid = form.validate()
    terms = form.terms()
    category = services.category_by_id(form.category_id.data)
    problems = services.template_problems(category, terms, template)
    if not valid or problems:
        form.add_problems(problems)
        return None, False
    if template is None:
        return services.create_template(category, terms), True
    return template, services.update_template(template, category, terms)


@bp.route("/")
def index():
    slug = request.args.get("category") or None
    include_retired = request.args.get("retired") == "1"
    category = None
    if slug is not None:
        category = category_by_slug(slug)
        if category is None:
            abort(404)
    return render_template(
        "library/index.html",
        groups=services.library_groups(category, include_retired),
        categories=services.list_categories(),
        category=category,
        include_retired=include_retired,
        can_edit=_can_edit(),
        num=_plain_number,
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(*EDITORS)
def new():
    category = category_by_slug(request.args.get("category") or "")
    form = ClauseTemplateForm(data=initial_data(category=category))
    form.set_categories(services.list_categories())
    if form.is_submitted():
        template, _ = _save(form)
        if template is not None:
            flash(f"Clause template “{template.label}” ({template.key}) added to the "
                  f"{template.category.name} library.", "success")
            return redirect(url_for("library.index", category=template.category.slug))
        discard_changes()
        flash("The template was not saved: correct the fields marked below.", "danger")
    return render_template("library/form.html", form=form, template=None)


@bp.route("/<int:template_id>/edit", methods=["GET", "POST"])
@role_required(*EDITORS)
def edit(template_id: int):
    template = _template_or_404(template_id)
    form = ClauseTemplateForm(data=initial_data(template))
    form.set_categories(services.list_categories())
    if form.is_submitted():
        saved, changed = _save(form, template)
        if saved is not None:
            if changed:
                flash(f"Clause template “{saved.label}” ({saved.key}) saved.", "success")
            else:
                flash(f"Nothing changed in clause template {saved.key}.", "info")
            return redirect(url_for("library.index", category=saved.category.slug))
        discard_changes()
        flash("The changes were not saved: correct the fields marked below.", "danger")
    return render_template("library/form.html", form=form, template=template)


def _set_retired(template_id: int, retired: bool):
    template = _template_or_404(template_id)  # the CSRF token was checked before the view ran
    changed = services.set_retired(template, retired)
    if retired:
        message = (f"Clause template {template.key} retired: it is hidden from the library; contracts that "
                   "copied it keep their clauses." if changed else f"Clause template {template.key} was already retired.")
    else:
        message = (f"Clause template {template.key} restored to the library." if changed
                   else f"Clause template {template.key} was not retired.")
    flash(message, "success" if changed else "info")
    return redirect(url_for("library.index", category=template.category.slug))


@bp.route("/<int:template_id>/retire", methods=["POST"])
@role_required(*EDITORS)
def retire(template_id: int):
    return _set_retired(template_id, True)


@bp.route("/<int:template_id>/restore", methods=["POST"])
@role_required(*EDITORS)
def restore(template_id: int):
    return _set_retired(template_id, False)
