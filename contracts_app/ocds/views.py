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


@bp.get("/contracts/<int:contract_id>.json")
def contract_package(contract_id: int):
    contract = contract_by_id(contract_id)
    if contract is None:
        abort(404)
    try:
        export = export_package(contract_number=contract.number,
                                package_path=url_for("ocds.contract_package", contract_id=contract_id))
    except ExportRefused as refused:
        _refused(refused)
    return _download(export)


@bp.get("/categories/<int:category_id>.json")
def category_package(category_id: int):
    category = category_by_id(category_id)
    if category is None:
        abort(404)
    try:
        export = export_package(category_slug=category.slug,
                                package_path=url_for("ocds.category_package", category_id=category_id))
    except ExportRefused as refused:
        _refused(refused)
    return _download(export)
