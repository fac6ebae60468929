"""The renewal summary of a contract (issue 15): procurement, finance and admin; printable."""
from __future__ import annotations

from flask import Blueprint, abort, render_template

from models import Role

from ..security import role_required
from .services import milestone_counts, renewal_summary

bp = Blueprint("renewals", __name__)


@bp.get("/contracts/<int:contract_id>/renewal")
@role_required(Role.PROCUREMENT, Role.FINANCE, Role.ADMIN)
def summary(contract_id: int):
    found = renewal_summary(contract_id)
    if found is None:
        abort(404)
    return render_template("renewals/summary.html", s=found, milestone_counts=milestone_counts)
