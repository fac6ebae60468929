"""`/benchmark/`: our city against peer cities (issue 16). City staff read; finance and admin exchange files."""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from imports.benchmark_file import BenchmarkFileError, dump
from models import Role

from ..security import role_required
from ..unit_of_work import discard_changes
from .chart import comparison_charts, vendor_chart
from .services import (
    BenchmarkInputError,
    categories,
    category_by_slug,
    compare,
    default_range,
    export_document,
    import_benchmark,
    peers_of,
    read_range,
)

bp = Blueprint("benchmark", __name__, url_prefix="/benchmark")
EXCHANGERS = (Role.FINANCE, Role.ADMIN)


def can_exchange() -> bool:
    return current_user.is_authenticated and current_user.role in EXCHANGERS


@bp.get("/")
def index():
    rows = [(category, peers_of(category)) for category in categories()]
    return render_template("benchmark/index.html", rows=rows, can_exchange=can_exchange(), problems=[])


@bp.post("/peer-files/import")
@role_required(*EXCHANGERS)
def upload():
    file = request.files.get("file")
    problems: list[str] = []
    if file is None or not file.filename:
        problems = ["file: choose a peer city's benchmark file (.json) to upload."]
    else:
        try:
            outcome = import_benchmark(file.read(), actor=current_user)
        except BenchmarkFileError as exc:
            problems = [f"{file.filename} was refused; nothing was stored.", *exc.problems]
        except BenchmarkInputError as exc:
            problems = [f"{file.filename} was refused; nothing was stored.", str(exc)]
        else:
            slug = outcome.benchmark.category_slug
            if category_by_slug(slug) is None:
                flash(f"{outcome.message} We have no category {slug!r}, so there is nothing of ours to compare it "
                      "with; it shows once a category with that slug exists.", "warning")
                return redirect(url_for("benchmark.index"))
            flash(outcome.message + " The comparison below shows it.", "success")
            return redirect(url_for("benchmark.show", slug=slug))
    discard_changes()
    rows = [(category, peers_of(category)) for category in categories()]
    return render_template("benchmark/index.html", rows=rows, can_exchange=True, problems=problems), 400


@bp.get("/<slug>")
def show(slug: str):
    category = category_by_slug(slug)
    if category is None:
        abort(404)
    error = None
    try:
        first, last = read_range(request.args.get("from"), request.args.get("to"))
    except BenchmarkInputError as exc:
        error = str(exc)
        first, last = default_range()
    comparison = compare(category, first, last)
    charts = comparison_charts(comparison)
    return render_template("benchmark/show.html", c=comparison, charts=charts, vendors_svg=vendor_chart(comparison),
                           range_error=error,
                           typed_from=request.args.get("from", first), typed_to=request.args.get("to", last),
                           can_exchange=can_exchange())


@bp.post("/<slug>/export")
@role_required(*EXCHANGERS)
def export(slug: str):
    category = category_by_slug(slug)
    if category is None:
        abort(404)
    anonymise = request.form.get("vendors", "anonymise") != "named"
    try:
        first, last = read_range(request.form.get("from"), request.form.get("to"))
        document = export_document(category, request.form.get("city", ""), anonymise=anonymise,
                                   first=first, last=last)
    except BenchmarkInputError as exc:
        discard_changes()
        from ..categories.services import category_detail

        return render_template("categories/detail.html", can_edit=current_user.role in (Role.PROCUREMENT, Role.ADMIN),
                               benchmark_form=request.form, benchmark_error=f"Not exported: {exc}",
                               **category_detail(category.id)), 400
    name = f"benchmark_{category.slug}_{first}_{last}.json"
    return send_file(BytesIO(dump(document).encode("utf-8")), mimetype="application/json", as_attachment=True,
                     download_name=name, max_age=0)
