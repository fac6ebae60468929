from __future__ import annotations

from decimal import Decimal, InvalidOperation
from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import func, select

from models import Contract, ContractPeriodScore, Recommendation, Role, ServiceCategory, db
from scoring.periods import add_months

from ..categories.services import category_by_slug
from ..charts import bar_chart
from ..form_choices import select_choices
from ..security import role_required
from .export import recommendation_workbook
from .forms import ApproveForm, RecommendationForm, SaveForm
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

bp = Blueprint("recommendations", __name__, url_prefix="/recommendations")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _categories() -> list[ServiceCategory]:
    return list(db.session.scalars(
        select(ServiceCategory).join(Contract, Contract.category_id == ServiceCategory.id).distinct()
        .order_by(ServiceCategory.name)))


def _default_period() -> str | None:
    latest = db.session.scalar(select(func.max(ContractPeriodScore.period)))
    return add_months(latest, 1) if latest else None


def _category(slug: str) -> ServiceCategory | None:
    return category_by_slug(slug)


def _chart(allocation, title: str):
    volume = allocation.volume or Decimal("1")
    items = [(line.name, line.share * 100) for line in allocation.lines]
    marks = [("Equal split", [float(line.equal_split_volume / volume * 100) for line in allocation.lines])]
    if any(line.last_volume is not None for line in allocation.lines):
        marks.append(("Last approved", [float(line.last_volume / volume * 100) if line.last_volume is not None else None
                                        for line in allocation.lines]))
    return bar_chart(items, title=title, maximum=100, marks=marks)


@bp.route("/")
@role_required(Role.FINANCE)
def index():
    recommendations = list(db.session.scalars(
        select(Recommendation).order_by(Recommendation.target_period.desc(), Recommendation.id.desc())))
    by_category: dict[str, list[Recommendation]] = {}
    for rec in recommendations:
        by_category.setdefault(rec.category.name, []).append(rec)
    return render_template("recommendations/index.html", by_category=by_category)


@bp.route("/new")
@role_required(Role.FINANCE)
def new():
    categories = _categories()
    form = RecommendationForm(request.args)
    form.category.choices = select_choices((c.slug, f"{c.name} ({c.unit})") for c in categories)
    if not request.args:
        form.period.data = _default_period()
        form.window.data, form.floor.data, form.gamma.data, form.basis.data = 6, 0.10, 2.0, "score"
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
        previous=previous, chart=_chart(result.allocation, "Recommended shares (%)") if result else None,
        what_if_chart=_chart(what_if.allocation, "What-if shares (%)") if what_if else None,
        changes=volume_changes(result, what_if) if what_if else None,
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
        db.session.rollback()
        flash(f"Not saved: {exc}", "danger")
        return redirect(url_for("recommendations.new"))
    db.session.commit()
    flash(f"Draft saved for {category.name}, {recommendation.target_period}. Review it, then approve.", "success")
    return redirect(url_for("recommendations.show", recommendation_id=recommendation.id))


def _recommendation(recommendation_id: int) -> Recommendation:
    recommendation = db.session.get(Recommendation, recommendation_id)
    if recommendation is None:
        abort(404)
    return recommendation


@bp.route("/<int:recommendation_id>")
@role_required(Role.FINANCE)
def show(recommendation_id: int):
    recommendation = _recommendation(recommendation_id)
    details = recommendation.inputs.get("lines", {})
    volume = recommendation.volume
    items = [(line.vendor.name, line.share * 100) for line in recommendation.lines]
    marks = [("Equal split", [float(Decimal(details.get(str(line.vendor_id), {}).get("equal_split_volume", "0"))
                                    / volume * 100) for line in recommendation.lines])]
    chart = bar_chart(items, title="Recommended shares against an equal split (%)", maximum=100, marks=marks)
    return render_template("recommendations/show.html", recommendation=recommendation, chart=chart,
                           approve_form=ApproveForm(), details=details, basis_words=BASIS_WORDS)


@bp.route("/<int:recommendation_id>/approve", methods=["POST"])
@role_required(Role.FINANCE)
def approve_view(recommendation_id: int):
    recommendation = _recommendation(recommendation_id)
    if not ApproveForm().validate_on_submit():
        abort(400)
    try:
        approve(recommendation, current_user._get_current_object())
    except RecommendationRefused as exc:
        db.session.rollback()
        flash(f"Not approved: {exc}", "danger")
    else:
        db.session.commit()
        flash(f"Approved by {current_user.email}. This allocation can no longer change.", "success")
    return redirect(url_for("recommendations.show", recommendation_id=recommendation_id))


@bp.route("/<int:recommendation_id>/export.xlsx")
@role_required(Role.FINANCE)
def export(recommendation_id: int):
    recommendation = _recommendation(recommendation_id)
    data = recommendation_workbook(recommendation)
    name = f"allocation_{recommendation.category.slug}_{recommendation.target_period}_{recommendation.status.value}.xlsx"
    return send_file(BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)
