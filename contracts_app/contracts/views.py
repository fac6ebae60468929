from flask import Blueprint, abort, render_template, request

from .services import contract_detail, list_contracts

bp = Blueprint("contracts", __name__, url_prefix="/contracts")


@bp.route("/")
def index():
    status = request.args.get("status") or None
    return render_template("contracts/index.html", contracts=list_contracts(status), status=status)


@bp.route("/<int:contract_id>")
def detail(contract_id: int):
    detail = contract_detail(contract_id)
    if detail is None:
        abort(404)
    return render_template("contracts/detail.html", **detail)
