"""`/calendar/`: the data calendar for every city role (vendors get the sign-in wall's 404), and its exports."""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, render_template, request, send_file
from flask_login import current_user

from .cells import CellState
from .services import (
    assigned_contract_ids,
    build_calendar,
    categories,
    export_stem,
    export_table,
    managers,
    read_request,
)

bp = Blueprint("data_calendar", __name__, url_prefix="/calendar")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _calendar():
    category_list, manager_list = categories(), managers()
    return build_calendar(read_request(request.args, category_list, manager_list)), category_list, manager_list


@bp.get("/")
def index():
    calendar, category_list, manager_list = _calendar()
    return render_template("data_calendar/index.html", calendar=calendar, req=calendar.request,
                           categories=category_list, managers=manager_list, states=list(CellState),
                           assigned=assigned_contract_ids(current_user))


@bp.get("/export.csv")
def export_csv():
    from imports.export import write_csv  # openpyxl (and numpy) load only for an export

    calendar = _calendar()[0]
    header, rows = export_table(calendar)
    return send_file(BytesIO(write_csv(header, rows)), mimetype="text/csv", as_attachment=True,
                     download_name=f"{export_stem(calendar.request)}.csv", max_age=0)


@bp.get("/export.xlsx")
def export_xlsx():
    from imports.export import add_sheet, new_workbook, workbook_bytes

    calendar = _calendar()[0]
    header, rows = export_table(calendar)
    workbook = new_workbook()
    add_sheet(workbook, "Data calendar", header, rows)
    return send_file(BytesIO(workbook_bytes(workbook)), mimetype=XLSX, as_attachment=True,
                     download_name=f"{export_stem(calendar.request)}.xlsx", max_age=0)
