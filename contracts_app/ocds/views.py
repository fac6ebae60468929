"""Downloads of the OCDS release package, for city users (a vendor user gets 404 from the sign-in wall)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, make_response, render_template, url_for

from .services import Export, ExportRefused, category_by_id, contract_by_id, export_package

bp = Blueprint("ocds", __name__, url_prefix="/ocds")


def _download(export: Export) -> Response:
    response = make_response(export.text)
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(refused: ExportRefused):
    abort(make_response(render_template("errors/400.html", description=str(refused)), 400))


def _package(selector: dict, package_path: str):
    """The release package of the selected contracts as a download; a refused export is a 400 page."""
    try:
        export = export_package(**selector, package_path=package_path)
    except ExportRefused as refused:
        _refused(refused)
    return _download(export)


@bp.get("/contracts/<int:contract_id>.json")
def contract_package(contract_id: int):
    contract = contract_by_id(contract_id)
    if contract is None:
        abort(404)
    return _package({"contract_number": contract.number},
                    url_for("ocds.contract_package", contract_id=contract_id))


@bp.get("/categories/<int:category_id>.json")
def category_package(category_id: int):
    category = category_by_id(category_id)
    if category is None:
        abort(404)
    return _package({"category_slug": category.slug}, url_for("ocds.category_package", category_id=category_id))
