"""Payment adjustments of a month, invoice entry and the .xlsx export (finance only)."""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from models import Contract, Role, ServiceCategory, db
from scoring.periods import is_period

from ..form_choices import select_choices
from ..input_guards import as_id
from ..security import role_required
from ..unit_of_work import discard_changes
from .forms import InvoiceForm, PeriodForm
from .services import (
    InvoiceRefused,
    categories,
    category_by_slug,
    dollars,
    latest_committed_period,
    percent,
    period_adjustments,
    period_choices,
    record_invoice,
    signed_dollars,
)

bp = Blueprint("payments", __name__, url_prefix="/payments")


def _category(slug: str | None) -> tuple[ServiceCategory | None, str | None]:
    """(category, problem) from a slug; no slug means every category."""
    if not slug:
        return None, None
    category = category_by_slug(slug)
    if category is None:
        return None, f"There is no category '{slug}'; showing every category."
    return category, None


def _render_page(period_text: str | None, category_slug: str | None, *, invoice_errors: dict | None = None,
                 typed: dict | None = None):
    """The adjustments page; after a refused invoice, with the message and the typed amount at that contract."""
    form = PeriodForm(formdata=None)
    category, category_problem = _category(category_slug)
    if category_problem:
        form.category.errors = [category_problem]
    period = None
    if period_text:
        if is_period(period_text):
            period = period_text
        else:
            form.period.errors = [f"'{period_text}' is not a month; write it as YYYY-MM, e.g. 2026-10. "
                                  "Showing the latest month with data."]
    latest = latest_committed_period(category)
    period = period or latest
    choices = period_choices(category)
    if period and period not in choices:
        choices = sorted(set(choices) | {period}, reverse=True)
    form.period.choices = select_choices((p, p + (" (latest with data)" if p == latest else "")) for p in choices)
    form.period.data = period
    form.category.choices = select_choices([("", "All categories")] + [(c.slug, c.name) for c in categories()])
    form.category.data = category.slug if category else ""
    adjustments = period_adjustments(period, category) if period else None
    invoice_errors = invoice_errors or {}
    listed = {line.contract.id for line in adjustments.lines} if adjustments else set()
    # A refusal for a contract the page does not list (e.g. a month outside its term) is shown at the top.
    stray_errors = [f"Invoice not recorded for {db.session.get(Contract, cid).number}: {message}"
                    for cid, message in invoice_errors.items() if cid not in listed]
    return render_template(
        "payments/index.html", form=form, period=period, latest=latest, category=category,
        adjustments=adjustments, invoice_errors=invoice_errors, stray_errors=stray_errors, typed=typed or {},
        dollars=dollars, signed_dollars=signed_dollars, percent=percent,
    )


@bp.route("/")
@role_required(Role.FINANCE)
def index():
    return _render_page(request.args.get("period", "").strip() or None, request.args.get("category", "").strip())


@bp.route("/invoice", methods=["POST"])
@role_required(Role.FINANCE)
def invoice():
    form = InvoiceForm()
    valid = form.validate_on_submit()
    period = form.period.data if is_period(form.period.data) else None
    category_slug = form.category.data or None
    back = url_for("payments.index", period=period, category=category_slug)
    contract_id = as_id(form.contract_id.data)
    contract = db.session.get(Contract, contract_id) if contract_id is not None else None
    if contract is None or period is None:
        flash("Invoice not recorded: the form did not say which contract and month. Reload the page and try again.",
              "danger")
        return redirect(back)
    if not valid:
        message = next(iter(form.amount.errors or [e for errors in form.errors.values() for e in errors]),
                       "The invoice could not be read.")
        return _render_page(period, category_slug, invoice_errors={contract.id: message},
                            typed={contract.id: form.amount.data or ""})
    try:
        outcome = record_invoice(contract, period, form.amount.data, current_user._get_current_object())
    except InvoiceRefused as exc:
        discard_changes()
        return _render_page(period, category_slug, invoice_errors={contract.id: str(exc)},
                            typed={contract.id: form.amount.data})
    flash(outcome.message(), "success" if outcome.changed else "info")
    return redirect(back)


@bp.route("/export.xlsx")
@role_required(Role.FINANCE)
def export():
    period = request.args.get("period", "").strip()
    category, problem = _category(request.args.get("category", "").strip())
    if problem:
        abort(400, description=problem.replace("; showing every category", ""))
    if not period:
        period = latest_committed_period(category)
        if period is None:
            abort(400, description="No month has committed data yet; choose a month (period=YYYY-MM).")
    if not is_period(period):
        abort(400, description=f"'{period}' is not a month; write it as YYYY-MM, e.g. 2026-10.")
    adjustments = period_adjustments(period, category)
    from .export import XLSX_MIMETYPE, adjustments_xlsx, export_filename  # openpyxl: only when exporting

    return send_file(BytesIO(adjustments_xlsx(adjustments)), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=export_filename(adjustments))
