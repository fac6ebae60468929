from __future__ import annotations

from decimal import Decimal, InvalidOperation
from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from models import Recommendation, RecommendationLine, Role, ServiceCategory, db

from ..categories.services import category_by_slug
from ..form_choices import select_choices
from ..security import role_required
from ..unit_of_work import discard_changes
from .forms import ApproveForm, RecommendationForm, SaveForm
from .page import (
    DEFAULT_INPUTS,
    categories_with_contracts,
    default_target_period,
    recommendations_by_category,
    saved_shares_chart,
    shares_chart,
)
from .services import (
    BASIS_WORDS,
    RecommendationInputs,
    RecommendationRefused,
    approve,
    last_approved,
    run,
    save_draft,
    volume_changes,
)
from .unsettled import disputed_months, unsettled_by_name, unsettled_by_vendor

bp = Blueprint("recommendations", __name__, url_prefix="/recommendations")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _category(slug: str) -> ServiceCategory | None:
    return category_by_slug(slug)


@bp.route("/")
@role_required(Role.FINANCE)
def index():
    return render_template("recommendations/index.html", by_category=recommendations_by_category())


@bp.route("/new")
@role_required(Role.FINANCE)
def new():
    categories = categories_with_contracts()
    form = RecommendationForm(request.args)
    form.category.choices = select_choices((c.slug, f"{c.name} ({c.unit})") for c in categories)
    if not request.args:
        form.period.data = default_target_period()
        for name, value in DEFAULT_INPUTS.items():
            form[name].data = value
        return render_template("recommendations/new.html", form=form, result=None, what_if=None)
    result = what_if = error = None
    if form.validate():
        category = _category(form.category.data)
        base = dict(category=category, period=form.period.data, volume=form.volume.data, window=form.window.data)
        try:
            result = run(RecommendationInputs(**base, floor=form.floor.data, gamma=form.gamma.data,
                                              basis=form.basis.data))
            if (form.what_if_floor.data is not None or form.what_if_gamma.data is not None
                    or form.what_if_basis.data):
                what_if = run(RecommendationInputs(
                    **base, floor=form.floor.data if form.what_if_floor.data is None else form.what_if_floor.data,
                    gamma=form.gamma.data if form.what_if_gamma.data is None else form.what_if_gamma.data,
                    basis=form.what_if_basis.data or form.basis.data))
        except RecommendationRefused as exc:
            error = str(exc)
    save_form = None
    if result is not None:
        save_form = SaveForm(formdata=None, category=form.category.data, period=form.period.data,
                             volume=str(form.volume.data), window=form.window.data, floor=form.floor.data,
                             gamma=form.gamma.data, basis=form.basis.data)
    previous = last_approved(result.inputs.category, result.inputs.period) if result else None
    return render_template(
        "recommendations/new.html", form=form, result=result, what_if=what_if, error=error, save_form=save_form,
        previous=previous, chart=shares_chart(result.allocation, "Recommended shares (%)") if result else None,
        what_if_chart=shares_chart(what_if.allocation, "What-if shares (%)") if what_if else None,
        changes=volume_changes(result, what_if) if what_if else None,
        unsettled_result=unsettled_by_name(result) if result else {},
        unsettled_what_if=unsettled_by_name(what_if) if what_if else {},
    )


@bp.route("/drafts", methods=["POST"])
@role_required(Role.FINANCE)
def save():
    form = SaveForm()
    if not form.validate_on_submit():
        abort(400)
    category = _category(form.category.data or "")
    if category is None:
        abort(400, description="Unknown service category.")
    try:
        inputs = RecommendationInputs(category=category, period=form.period.data, volume=Decimal(form.volume.data),
                                      window=int(form.window.data), floor=float(form.floor.data),
                                      gamma=float(form.gamma.data), basis=form.basis.data or "score")
        recommendation = save_draft(run(inputs), current_user._get_current_object())
    except (RecommendationRefused, InvalidOperation, ValueError) as exc:
        discard_changes()
        flash(f"Not saved: {exc}", "danger")
        return redirect(url_for("recommendations.new"))
    flash(f"Draft saved for {category.name}, {recommendation.target_period}. Review it, then approve.", "success")
    return redirect(url_for("recommendations.show", recommendation_id=recommendation.id))


def _recommendation(recommendation_id: int) -> Recommendation:
    recommendation = db.session.get(Recommendation, recommendation_id, options=[
        joinedload(Recommendation.category), joinedload(Recommendation.created_by), joinedload(Recommendation.approved_by),
        selectinload(Recommendation.lines).joinedload(RecommendationLine.vendor)])
    if recommendation is None:
        abort(404)
    return recommendation


@bp.route("/<int:recommendation_id>")
@role_required(Role.FINANCE)
def show(recommendation_id: int):
    recommendation = _recommendation(recommendation_id)
    unsettled = unsettled_by_vendor(recommendation)
    return render_template("recommendations/show.html", recommendation=recommendation,
                           chart=saved_shares_chart(recommendation), approve_form=ApproveForm(),
                           details=recommendation.inputs.get("lines", {}), basis_words=BASIS_WORDS,
                           unsettled=unsettled, disputed=disputed_months(unsettled))


@bp.route("/<int:recommendation_id>/approve", methods=["POST"])
@role_required(Role.FINANCE)
def approve_view(recommendation_id: int):
    recommendation = _recommendation(recommendation_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        approve(recommendation, current_user._get_current_object(), confirm_disputed=bool(form.confirm_disputed.data))
    except RecommendationRefused as exc:
        discard_changes()
        flash(f"Not approved: {exc}", "danger")
    else:
        flash(f"Approved by {current_user.email}. This allocation can no longer change.", "success")
    return redirect(url_for("recommendations.show", recommendation_id=recommendation_id))


@bp.route("/<int:recommendation_id>/export.xlsx")
@role_required(Role.FINANCE)
def export(recommendation_id: int):
    from .export import recommendation_workbook  # openpyxl: only when exporting

    recommendation = _recommendation(recommendation_id)
    data = recommendation_workbook(recommendation)
    name = f"allocation_{recommendation.category.slug}_{recommendation.target_period}_{recommendation.status.value}.xlsx"
    return send_file(BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)
