from flask import Blueprint, abort, render_template

from .services import list_vendors, vendor_detail

bp = Blueprint("vendors", __name__, url_prefix="/vendors")


@bp.route("/")
def index():
    return render_template("vendors/index.html", vendors=list_vendors())


@bp.route("/<int:vendor_id>")
def detail(vendor_id: int):
    detail = vendor_detail(vendor_id)
    if detail is None:
        abort(404)
    return render_template("vendors/detail.html", **detail)
