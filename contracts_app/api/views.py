"""/api/v1: read-only JSON for BI tools. A personal token (Authorization: Bearer) is the only way in:
session cookies do not count here, so there is nothing for CSRF to forge. Lists are paged, answers carry an
ETag from the data version and the request, and `If-None-Match` gets a 304."""
from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Response, g, jsonify, request
from flask_login import AnonymousUserMixin, current_user

from models import Role
from scoring.rankings import WINDOW_MAX, WINDOW_MIN

from ..disputes.review import next_window_close
from ..extensions import csrf
from ..rankings.cache import data_version
from ..security import vendor_scope
from ..transactions import write_separately
from . import services
from .errors import ApiError, error_response
from .openapi import openapi_document
from .params import listing, read_months, read_page, whole_number
from .tokens import PAYMENT_ROLES, SCOPE_PAYMENTS, Authenticated, authenticate, stamp_last_used

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
PUBLIC = {"api.openapi"}


def authenticate_request():
    """Runs before any other hook touches `current_user`: the token's user, never the session's."""
    if request.blueprint != "api":
        return None
    g._login_user = AnonymousUserMixin()  # flask-login's slot: the session cookie is never read here
    if request.method not in ("GET", "HEAD"):
        return error_response(405)
    if request.endpoint in PUBLIC or request.endpoint is None:
        return None
    outcome = authenticate(request.headers.get("Authorization"))
    if not isinstance(outcome, Authenticated):
        return error_response(401, outcome)
    write_separately(stamp_last_used, outcome.token)
    g._login_user = outcome.user
    g.api_scope = outcome.token.scope
    return None


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return error_response(error.status, error.message, error.code)


def _scope() -> int | None:
    return vendor_scope(current_user)


def _etag_answer(build) -> Response:
    """The answer with an ETag of the data version, the next review-window close (a month's review state
    changes with time alone), the caller and the request; 304 when the client has it already."""
    key = json.dumps([str(data_version()), str(next_window_close()), current_user.get_id() if
                      current_user.is_authenticated else None, g.get("api_scope"), request.full_path], default=str)
    etag = hashlib.sha256(key.encode()).hexdigest()[:32]
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = jsonify(build())
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _not_vendor() -> None:
    if current_user.role == Role.VENDOR:
        raise ApiError(404)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/categories")
def categories():
    page = read_page(request.args)
    return _etag_answer(lambda: listing(*services.categories(_scope(), page), page))


@bp.get("/vendors")
def vendors():
    page = read_page(request.args)
    return _etag_answer(lambda: listing(*services.vendors(_scope(), page), page))


@bp.get("/vendors/<int:vendor_id>")
def vendor(vendor_id: int):
    return _etag_answer(lambda: {"data": services.vendor(_scope(), vendor_id)})


@bp.get("/contracts")
def contracts():
    page = read_page(request.args)
    category = request.args.get("category") or None
    return _etag_answer(lambda: listing(*services.contracts(_scope(), page, category), page))


@bp.get("/contracts/<int:contract_id>")
def contract(contract_id: int):
    return _etag_answer(lambda: {"data": services.contract(_scope(), contract_id)})


@bp.get("/scores")
def scores():
    page, months = read_page(request.args), read_months(request.args)
    number = request.args.get("contract") or None
    return _etag_answer(lambda: listing(*services.scores(_scope(), page, months, number), page))


@bp.get("/rankings")
def rankings():
    page = read_page(request.args)
    whole_number(request.args, "window", WINDOW_MIN, WINDOW_MIN, WINDOW_MAX)  # a 400 naming it, before the page's

    def build():
        answer = services.rankings(_scope(), request.args)
        records = answer.pop("records")
        return listing(records[page.offset:page.offset + page.size], len(records), page, **answer)

    return _etag_answer(build)


@bp.get("/recommendations")
def recommendations():
    _not_vendor()
    if current_user.role != Role.FINANCE:  # as the recommendations pages: finance only
        raise ApiError(403, "Approved recommendations are open to the finance role only.")
    page, months = read_page(request.args), read_months(request.args)
    category = request.args.get("category") or None
    return _etag_answer(lambda: listing(*services.recommendations(page, category, months), page))


@bp.get("/payments")
def payments():
    _not_vendor()
    if current_user.role not in PAYMENT_ROLES:
        raise ApiError(403, "Payments are open to the finance and admin roles only.")
    if g.get("api_scope") != SCOPE_PAYMENTS:
        raise ApiError(403, f"This token's scope does not include payments; create one with scope {SCOPE_PAYMENTS}.",
                       "insufficient_scope")
    page, months = read_page(request.args), read_months(request.args)
    category = request.args.get("category") or None
    return _etag_answer(lambda: listing(*services.payments(page, months, category), page))
