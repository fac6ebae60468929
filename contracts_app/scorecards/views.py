"""Contract scorecards: stored clause results per month, and the committed rows behind each number.

Open to vendor users for their own vendor's contracts only (SPEC §1): another vendor's contract is a 404."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from models import Role

from ..input_guards import as_page
from ..security import open_to_vendors, require_contract_visible
from ..uploads.access import is_assigned
from .services import (
    DEFAULT_MONTHS,
    NotFound,
    build_drilldown,
    build_scorecard,
    cell_text,
    coverage_percent,
    plain_number,
    scorecard_contract,
)

bp = Blueprint("scorecards", __name__)

HELPERS = {"coverage_percent": coverage_percent, "cell_text": cell_text, "plain_number": plain_number}


@bp.get("/contracts/<int:contract_id>/scorecard")
@open_to_vendors
def scorecard(contract_id: int):
    contract = scorecard_contract(contract_id)
    require_contract_visible(contract)
    every_month = request.args.get("months") == "all"
    scorecard = build_scorecard(contract, months=None if every_month else DEFAULT_MONTHS)
    if scorecard is None:
        abort(404)
    require_contract_visible(scorecard.contract)  # another vendor's contract: 404, nothing of it shown
    return render_template("scorecards/scorecard.html", scorecard=scorecard, contract=scorecard.contract, **HELPERS)


@bp.get("/contracts/<int:contract_id>/scorecard/<period>/<key>")
@open_to_vendors
def drilldown(contract_id: int, period: str, key: str):
    try:
        drill = build_drilldown(contract_id, period, key, page=as_page(request.args.get("page")))
    except NotFound:
        abort(404)
    require_contract_visible(drill.contract)  # another vendor's contract: 404, nothing of it shown
    user = current_user._get_current_object()
    can_open_upload = (drill.upload is not None and user.role == Role.CONTRACT_MANAGER
                       and is_assigned(user, drill.contract))
    return render_template("scorecards/drilldown.html", drill=drill, contract=drill.contract,
                           can_open_upload=can_open_upload, **HELPERS)
