"""Account, API tokens: a signed-in user creates a token (shown once), sees its tokens and revokes them."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from ..security import open_to_vendors
from .tokens import (
    EXPIRY_MAX_DAYS,
    EXPIRY_MIN_DAYS,
    TokenRefused,
    create_token,
    revoke_token,
    scopes_for,
    token_state,
    user_tokens,
)

bp = Blueprint("api_tokens", __name__, url_prefix="/account/tokens")
DEFAULT_DAYS = "90"


def _page(typed: dict | None = None, errors: dict | None = None, secret: str | None = None, status: int = 200):
    typed = typed or {"name": "", "scope": "read", "days": DEFAULT_DAYS}
    response = make_response(render_template("api/tokens.html", tokens=user_tokens(current_user), scopes=scopes_for(current_user),
                           typed=typed, errors=errors or {}, secret=secret, token_state=token_state,
                           days_min=EXPIRY_MIN_DAYS, days_max=EXPIRY_MAX_DAYS), status)
    response.headers["Cache-Control"] = "no-store"  # a new token's secret must not stay in any cache
    return response


@bp.get("/")
@open_to_vendors  # a vendor user's own tokens only; the API itself confines it to its vendor
def index():
    return _page()


@bp.post("/new")
@open_to_vendors
def create():
    typed = {name: request.form.get(name, "") for name in ("name", "scope", "days")}
    try:
        new = create_token(current_user, typed["name"], typed["scope"], typed["days"])
    except TokenRefused as refused:
        return _page(typed, {refused.field: str(refused)}, status=400)
    flash(f"Token “{new.token.name}” created. Copy it now: it is shown only this once.", "success")
    return _page(secret=new.secret)


@bp.post("/<int:token_id>/revoke")
@open_to_vendors
def revoke(token_id: int):
    token = revoke_token(current_user, token_id)
    if token is None:
        abort(404)
    flash(f"Token “{token.name}” revoked: requests with it now get 401.", "success")
    return redirect(url_for("api_tokens.index"))
