"""Vendor rankings in a category (SPEC §3, §3b): the page and its .xlsx and .csv exports; everyone signed in.

The rendered content is cached per query and data version (`cache.py`): a counter every write
transaction bumps, so a cached page is never stale.
"""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, make_response, render_template, request, send_file
from markupsafe import Markup

from scoring.rankings import WINDOW_MAX, WINDOW_MIN

from ..disputes.review import next_window_close
from .cache import data_version, rendered_rankings
from .page import (
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


def _render_content() -> tuple[Markup, int]:
    page = ranking_page(read_request(request.args))
    status = 400 if page.request.errors else 200
    window_text = describe_window(page.request) if page.request.period else None
    return Markup(render_template("rankings/_content.html", page=page, window_text=window_text,
                                  window_min=WINDOW_MIN, window_max=WINDOW_MAX)), status


@bp.get("/")
def index():
    key = (tuple(sorted(request.args.items(multi=True))), data_version(), next_window_close())
    content, status = rendered_rankings.get_or_render(key, _render_content)
    return render_template("rankings/index.html", content=content), status


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
