"""Vendor rankings in a category (SPEC §3, §3b): the page and its .xlsx and .csv exports; everyone signed in.

No rendering cache: the page with §3b meets its target without one (bench/rankings_bench.py), and a
cache keyed on anything but a true data version can serve stale figures.
"""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, make_response, render_template, request, send_file
from scoring.rankings import WINDOW_MAX, WINDOW_MIN

from .services import (
    XLSX_MIMETYPE,
    ExportRefused,
    RankingRequest,
    describe_window,
    export_request,
    export_stem,
    ranking_page,
    rankings_csv,
    rankings_xlsx,
    read_request,
)

bp = Blueprint("rankings", __name__, url_prefix="/rankings")


@bp.get("/")
def index():
    page = ranking_page(read_request(request.args))
    status = 400 if page.request.errors else 200
    window_text = describe_window(page.request) if page.request.period else None
    return render_template("rankings/index.html", page=page, window_text=window_text, window_min=WINDOW_MIN,
                           window_max=WINDOW_MAX), status


def _export_request_or_abort() -> RankingRequest:
    try:
        return export_request(request.args)
    except ExportRefused as refused:
        abort(make_response(render_template("errors/400.html", description=str(refused)), 400))


@bp.get("/export.xlsx")
def export_xlsx():
    ranking_request = _export_request_or_abort()
    return send_file(BytesIO(rankings_xlsx(ranking_request)), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"{export_stem(ranking_request)}.xlsx", max_age=0)


@bp.get("/export.csv")
def export_csv():
    ranking_request = _export_request_or_abort()
    return send_file(BytesIO(rankings_csv(ranking_request)), mimetype="text/csv", as_attachment=True,
                     download_name=f"{export_stem(ranking_request)}.csv", max_age=0)
