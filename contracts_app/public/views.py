"""The public scorecards under /public (issue 16): open to anyone, no sign-in, no session cookie.

Every answer is cacheable: `Cache-Control: public, max-age=300` and an ETag from the data version and the next
review window to close (a month turning final changes the page without any write), so a repeat visit with
`If-None-Match` gets a 304 without touching the scores. Rendered answers are kept per data version in the
same small cache as the staff rankings.
"""
from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Response, abort, g, make_response, render_template, request

from ..disputes.review import next_window_close
from ..rankings.cache import data_version, rendered_rankings
from .dictionary import DICTIONARY, DICTIONARY_COLUMNS
from .services import (
    Table,
    category_page,
    contract_page,
    published_categories,
    published_category,
    rankings_table,
    results_table,
    rows_table,
)

bp = Blueprint("public", __name__, url_prefix="/public")

CACHE_CONTROL = "public, max-age=300"
HTML_TYPE = "text/html; charset=utf-8"
CSV_TYPE = "text/csv; charset=utf-8"
JSON_TYPE = "application/json"


def _version() -> tuple:
    """The data version and the next review window to close, read once per request (two small queries)."""
    if "public_version" not in g:
        g.public_version = (data_version(), next_window_close())
    return g.public_version


def _etag() -> str:
    version = _version()[0][1], _version()[1]
    return hashlib.sha256(repr((version, request.full_path)).encode()).hexdigest()[:32]


@bp.before_request
def answer_not_modified():
    """A client that has this very answer already gets a 304: one query for the data version, one for windows."""
    etag = _etag()
    request.environ["public.etag"] = etag
    if etag in request.if_none_match:
        response = Response(status=304)
        response.set_etag(etag)
        return response
    return None


@bp.after_request
def cache_headers(response: Response) -> Response:
    if response.status_code in (200, 304):
        response.headers["Cache-Control"] = CACHE_CONTROL
        response.set_etag(request.environ["public.etag"])
    else:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(404)
def not_found(_error):
    """An unpublished or unknown category: the public layout, no hint of what the staff pages hold."""
    return render_template("public/404.html"), 404


def _cached(render) -> Response:
    """The rendered answer for this URL at this data version, rendered once per worker."""
    key = ("public", request.full_path, *_version())
    body, status, content_type, download = rendered_rankings.get_or_render(key, render)
    response = make_response(body, status)
    response.content_type = content_type
    if download:
        response.headers["Content-Disposition"] = f'attachment; filename="{download}"'
    return response


def _published_or_404(slug: str):
    category = published_category(slug)
    if category is None:
        abort(404)
    return category


@bp.get("/")
def index():
    return _cached(lambda: (render_template("public/index.html", categories=published_categories()),
                            200, HTML_TYPE, None))


@bp.get("/<slug>/")
def category(slug: str):
    def render():
        return render_template("public/category.html", page=category_page(_published_or_404(slug))), 200, \
            HTML_TYPE, None
    return _cached(render)


@bp.get("/<slug>/contracts/<int:contract_id>")
def contract(slug: str, contract_id: int):
    def render():
        category = _published_or_404(slug)
        found = contract_page(category, contract_id)
        if found is None:
            abort(404)
        return render_template("public/contract.html", category=category, page=found), 200, HTML_TYPE, None
    return _cached(render)


TABLES = {"results": results_table, "rankings": rankings_table, "rows": rows_table}


def _csv(table: Table) -> bytes:
    from imports.export import write_csv

    return write_csv(table.columns, table.rows)


def _json(table: Table, slug: str) -> bytes:
    return json.dumps({"category": slug, "file": table.name, "months": "final months only",
                       "months_under_review_not_shown": table.hidden_months, "columns": table.columns,
                       "rows": [dict(zip(table.columns, row, strict=True)) for row in table.rows]},
                      ensure_ascii=False, default=str).encode()


@bp.get("/<slug>/<any(results, rankings, rows):kind>.<any(csv, json):fmt>")
def download(slug: str, kind: str, fmt: str):
    def render():
        table = TABLES[kind](_published_or_404(slug))
        if fmt == "csv":
            return _csv(table), 200, CSV_TYPE, f"{table.name}.csv"
        return _json(table, slug), 200, JSON_TYPE, f"{table.name}.json"
    return _cached(render)


@bp.get("/dictionary")
def dictionary():
    return _cached(lambda: (render_template("public/dictionary.html", entries=DICTIONARY), 200, HTML_TYPE, None))


@bp.get("/dictionary.<any(csv, json):fmt>")
def dictionary_file(fmt: str):
    def render():
        if fmt == "csv":
            from imports.export import write_csv

            return (write_csv(DICTIONARY_COLUMNS, [[getattr(e, c) for c in DICTIONARY_COLUMNS] for e in DICTIONARY]),
                    200, CSV_TYPE, "data_dictionary.csv")
        return (json.dumps({"columns": [e.as_dict() for e in DICTIONARY]}, ensure_ascii=False).encode(), 200,
                JSON_TYPE, "data_dictionary.json")
    return _cached(render)
