"""Monthly sheets end to end: template, check, preview, commit, supersede (SPEC §5, issue: sheets)."""
from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from models import AuditEvent, Observation, Role, Upload, UploadStatus, db

from .factories import (
    TEST_PASSWORD,
    CategoryFactory,
    ContractAssignmentFactory,
    ContractFactory,
    OutcomeClauseFactory,
    UserFactory,
)

HEADER = ["work_order_id", "completed_on", "street", "pci_after", "on_time"]
TODAY = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)  # the sheets page offers the term's months up to today


@pytest.fixture(autouse=True)
def _december_2026(time_machine):
    """These tests happen in December 2026, whatever today is: every month of the 2026 contract is offered."""
    time_machine.move_to(TODAY, tick=True)


@pytest.fixture
def contract(app):
    category = CategoryFactory(slug="asphalt", row_key="work_order_id", date_column="completed_on",
                               context_columns=["street"])
    contract = ContractFactory(category=category, number="PW-2026-300")
    OutcomeClauseFactory(contract=contract, key="pci_after", weight=Decimal("60"), aliases=["PCI"])
    OutcomeClauseFactory(contract=contract, key="on_time", label="Completed on time", weight=Decimal("40"),
                         aggregation="percent_true", unit="%", target=Decimal("95"), minimum=Decimal("80"),
                         valid_min=None, valid_max=None)
    return contract


@pytest.fixture
def manager(client, contract):
    assignment = ContractAssignmentFactory(contract=contract)
    assert client.sign_in(assignment.user.email, TEST_PASSWORD).status_code == 302
    return assignment.user


def sheet_rows(n: int, period: str = "2026-03", prefix: str = "WO", pci=lambda i: 85 + i % 10) -> list[list]:
    year, month = map(int, period.split("-"))
    return [[f"{prefix}-{i:05d}", date(year, month, 1 + i % 28), "Maple Ave", pci(i), "yes" if i % 5 else "no"]
            for i in range(n)]


def write_xlsx(path: Path, rows: list[list], header=HEADER) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def upload(client, contract, path: Path, period: str = "2026-03"):
    url = f"/contracts/{contract.id}/sheets"
    token = client.csrf_token(url)
    with open(path, "rb") as handle:
        return client.post(url, data={"period": period, "sheet": (handle, path.name), "csrf_token": token},
                           content_type="multipart/form-data")


def commit(client, upload_id: int, reason: str = ""):
    token = client.csrf_token(f"/uploads/{upload_id}")
    return client.post(f"/uploads/{upload_id}/commit", data={"csrf_token": token, "reason": reason},
                       follow_redirects=True)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_template_download_has_the_contract_columns(client, contract, manager):
    response = client.get(f"/contracts/{contract.id}/sheets/template.xlsx?period=2026-03")
    assert response.status_code == 200
    assert "PW-2026-300_2026-03_template.xlsx" in response.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    header = [c.value for c in workbook.worksheets[0][1]]
    assert header == HEADER  # row key, work date, context, then clauses by weight


def test_clean_sheet_is_staged_previewed_and_committed(client, contract, manager, tmp_path):
    path = write_xlsx(tmp_path / "march.xlsx", sheet_rows(40))
    response = upload(client, contract, path)
    assert response.status_code == 302
    staged = db.session.scalars(select(Upload).where(Upload.contract_id == contract.id)).one()
    assert staged.status == UploadStatus.STAGED
    assert count(Observation) == 0  # nothing reaches observations before commit
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "passed the check" in page and "pci_after" in page
    preview = {c["key"]: c for c in staged.report["preview"]}
    # pci = 85 + i % 10 over i = 0..39: mean 89.5; on_time: 32 yes of 40 = 80 %.
    assert preview["pci_after"]["value"] == pytest.approx(89.5)
    assert preview["on_time"]["value"] == pytest.approx(80.0)
    assert preview["on_time"]["status"] == "partial"
    done = commit(client, staged.id).get_data(as_text=True)
    assert "Committed 40 rows for 2026-03" in done
    db.session.refresh(staged)
    assert staged.status == UploadStatus.COMMITTED
    assert count(Observation, Observation.upload_id == staged.id) == 40
    first = db.session.scalars(select(Observation).where(Observation.row_key == "WO-00000")).one()
    assert first.values == {"pci_after": 85.0, "on_time": False} and first.row_number == 2
    assert first.context == {"street": "Maple Ave"}


def test_500_rows_with_one_bad_cell_on_row_499_commits_nothing(client, contract, manager, tmp_path):
    rows = sheet_rows(500)
    rows[497][3] = "ninety"  # Excel row 499: the header is row 1, data starts on row 2
    response = upload(client, contract, write_xlsx(tmp_path / "bad.xlsx", rows))
    staged = db.session.scalars(select(Upload).where(Upload.contract_id == contract.id)).one()
    [error] = staged.report["errors"]
    assert (error["row"], error["header"], error["value"]) == (499, "pci_after", "ninety")
    assert "not a number" in error["message"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "499" in page and "ninety" in page and "1 error" in page
    refused = commit(client, staged.id).get_data(as_text=True)
    assert "Not committed" in refused
    assert count(Observation) == 0
    db.session.refresh(staged)
    assert staged.status == UploadStatus.STAGED


def test_marked_up_sheet_highlights_the_bad_cell(client, contract, manager, tmp_path):
    rows = sheet_rows(10)
    rows[2][3] = 140  # row 4: outside the valid range 0..100
    upload(client, contract, write_xlsx(tmp_path / "range.xlsx", rows))
    staged = db.session.scalars(select(Upload)).one()
    response = client.get(f"/uploads/{staged.id}/marked.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    cell = workbook.worksheets[0]["D4"]
    assert cell.value == 140
    assert "outside the valid range 0 to 100" in cell.comment.text


def test_same_file_again_is_already_imported_and_changes_nothing(client, contract, manager, tmp_path):
    path = write_xlsx(tmp_path / "march.xlsx", sheet_rows(12))
    upload(client, contract, path)
    staged = db.session.scalars(select(Upload)).one()
    commit(client, staged.id)
    before = (count(Upload), count(Observation), count(AuditEvent))
    again = upload(client, contract, path)
    assert "Already imported" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert (count(Upload), count(Observation), count(AuditEvent)) == before


def test_supersede_needs_a_reason_and_keeps_the_old_upload(client, contract, manager, tmp_path):
    upload(client, contract, write_xlsx(tmp_path / "first.xlsx", sheet_rows(12)))
    first = db.session.scalars(select(Upload)).one()
    commit(client, first.id)
    upload(client, contract, write_xlsx(tmp_path / "second.xlsx", sheet_rows(15, pci=lambda i: 95)))
    second = db.session.scalars(select(Upload).where(Upload.filename == "second.xlsx")).one()
    page = client.get(f"/uploads/{second.id}").get_data(as_text=True)
    assert "already has committed data" in page
    assert "needs a reason" in commit(client, second.id).get_data(as_text=True)
    assert "replacing first.xlsx" in commit(client, second.id, reason="Vendor corrected PCI readings").get_data(as_text=True)
    db.session.expire_all()
    first, second = db.session.get(Upload, first.id), db.session.get(Upload, second.id)
    assert first.status == UploadStatus.SUPERSEDED and first.superseded_by_id == second.id
    assert first.supersede_reason == "Vendor corrected PCI readings"
    assert second.status == UploadStatus.COMMITTED
    assert count(Observation, Observation.upload_id == first.id) == 12  # the old upload stays readable
    assert count(Observation, Observation.upload_id == second.id) == 15


def test_row_key_committed_in_january_is_an_error_in_february(client, contract, manager, tmp_path):
    upload(client, contract, write_xlsx(tmp_path / "jan.xlsx", sheet_rows(5, period="2026-01")), period="2026-01")
    january = db.session.scalars(select(Upload)).one()
    commit(client, january.id)
    rows = sheet_rows(5, period="2026-02", prefix="FEB")
    rows[1][0] = "WO-00003"
    upload(client, contract, write_xlsx(tmp_path / "feb.xlsx", rows), period="2026-02")
    february = db.session.scalars(select(Upload).where(Upload.period == "2026-02")).one()
    [error] = february.report["errors"]
    assert error["row"] == 3 and error["value"] == "WO-00003"
    assert f"upload #{january.id} (jan.xlsx, 2026-01)" in error["message"]


def test_dates_outside_the_period_and_duplicates_are_errors(client, contract, manager, tmp_path):
    rows = sheet_rows(6)
    rows[1][1] = date(2026, 4, 2)
    rows[4][0] = rows[3][0]
    upload(client, contract, write_xlsx(tmp_path / "march.xlsx", rows))
    staged = db.session.scalars(select(Upload)).one()
    messages = {(e["row"], e["header"]): e["message"] for e in staged.report["errors"]}
    assert messages[(3, "completed_on")] == "dated 2026-04-02, outside the period 2026-03"
    assert messages[(6, "work_order_id")] == "duplicate work_order_id WO-00003: also on row 5"


def test_missing_required_column_names_it(client, contract, manager, tmp_path):
    rows = [row[:4] for row in sheet_rows(3)]
    upload(client, contract, write_xlsx(tmp_path / "short.xlsx", rows, header=HEADER[:4]))
    staged = db.session.scalars(select(Upload)).one()
    assert any("missing required column on_time" in e["message"] for e in staged.report["errors"])


@pytest.mark.parametrize("name, content, message", [
    ("sheet.xlsm", b"PK\x03\x04", "save as .xlsx"),
    ("sheet.png.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, ""),
    ("sheet.pdf", b"%PDF-1.4", ".xlsx"),
])
def test_wrong_file_types_are_refused_and_nothing_stored(client, contract, manager, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    response = upload(client, contract, path)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(Upload) == 0


def test_manager_not_assigned_gets_403_and_nothing_is_stored(client, contract, tmp_path):
    other = UserFactory(role=Role.CONTRACT_MANAGER)
    client.sign_in(other.email, TEST_PASSWORD)
    assert client.get(f"/contracts/{contract.id}/sheets").status_code == 403
    assert client.get(f"/contracts/{contract.id}/sheets/template.xlsx?period=2026-03").status_code == 403
    path = write_xlsx(tmp_path / "march.xlsx", sheet_rows(3))
    token = client.csrf_token("/")
    with open(path, "rb") as handle:
        response = client.post(f"/contracts/{contract.id}/sheets", content_type="multipart/form-data",
                               data={"period": "2026-03", "sheet": (handle, "march.xlsx"), "csrf_token": token})
    assert response.status_code == 403
    assert "not assigned to contract PW-2026-300" in response.get_data(as_text=True)
    assert count(Upload) == 0


def test_import_sheet_cli_checks_commits_and_reports_json(cli, contract, tmp_path):
    path = write_xlsx(tmp_path / "march.xlsx", sheet_rows(20))
    checked = cli.invoke(args=["import-sheet", "PW-2026-300", "2026-03", str(path), "--format", "json"])
    assert checked.exit_code == 0, checked.output
    payload = json.loads(checked.output)
    assert payload["status"] == "checked" and payload["rows"] == 20
    assert {c["key"] for c in payload["clauses"]} == {"pci_after", "on_time"}
    assert count(Observation) == 0
    stored = cli.invoke(args=["import-sheet", "PW-2026-300", "2026-03", str(path), "--commit"])
    assert stored.exit_code == 0 and "Committed as upload" in stored.output
    assert count(Observation) == 20
    again = cli.invoke(args=["import-sheet", "PW-2026-300", "2026-03", str(path), "--commit"])
    assert again.exit_code == 0 and "already imported" in again.output
    other = write_xlsx(tmp_path / "march-fixed.xlsx", sheet_rows(21))
    refused = cli.invoke(args=["import-sheet", "PW-2026-300", "2026-03", str(other), "--commit"])
    assert refused.exit_code == 1 and "--replace" in refused.stderr
    replaced = cli.invoke(args=["import-sheet", "PW-2026-300", "2026-03", str(other), "--commit", "--replace",
                                "--reason", "late rows"])
    assert replaced.exit_code == 0 and "replacing upload" in replaced.output
    assert count(Upload, Upload.status == UploadStatus.SUPERSEDED) == 1


def test_import_sheet_cli_exits_1_on_errors_and_2_on_usage(cli, contract, tmp_path):
    rows = sheet_rows(5)
    rows[0][3] = "n/a"
    path = write_xlsx(tmp_path / "march.xlsx", rows)
    result = cli.invoke(args=["import-sheet", "PW-2026-300", "2026-03", str(path), "--commit"])
    assert result.exit_code == 1
    assert "row 2, column pci_after, value 'n/a': not a number" in result.output
    assert count(Observation) == 0
    assert cli.invoke(args=["import-sheet", "PW-2026-300", "2026-03", str(path), "--replace"]).exit_code == 2
    assert cli.invoke(args=["import-sheet", "NOPE", "2026-03", str(path)]).exit_code == 1


def test_bulk_import_over_a_folder(cli, contract, tmp_path):
    for period in ("2026-01", "2026-02"):
        write_xlsx(tmp_path / f"PW-2026-300_{period}.xlsx", sheet_rows(4, period=period, prefix=period))
    result = cli.invoke(args=["import-sheets", str(tmp_path), "--commit"])
    assert result.exit_code == 0, result.output + result.stderr
    assert "2 committed" in result.output
    assert count(Upload, Upload.status == UploadStatus.COMMITTED) == 2


# --- issue 9: numbers a city can defend ---------------------------------------------------------

def test_preview_leaves_out_rows_with_errors_and_says_how_many(client, cli, contract, manager, tmp_path):
    rows = sheet_rows(15, pci=lambda i: 90 if i < 9 else 70)  # on_time: rows 0, 5, 10 are "no"
    rows[11][3] = 140  # outside the valid range 0..100: this row must not count anywhere
    rows[5][4] = "maybe"  # not yes or no
    path = write_xlsx(tmp_path / "march.xlsx", rows)
    response = upload(client, contract, path)
    staged = db.session.scalars(select(Upload)).one()
    preview = {c["key"]: c for c in staged.report["preview"]}
    assert staged.report["rows_left_out"] == 2
    assert preview["pci_after"]["rows"] == 13 and preview["on_time"]["rows"] == 13
    # pci: 9 rows of 90 (i = 0..8, less row 5) and 70 for i = 9, 10, 12, 13, 14: (8 * 90 + 5 * 70) / 13
    assert preview["pci_after"]["value"] == pytest.approx((8 * 90 + 5 * 70) / 13)
    assert preview["on_time"]["value"] == pytest.approx(11 / 13 * 100)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 rows left out because of errors" in page
    result = cli.invoke(args=["import-sheet", "PW-2026-300", "2026-03", str(path), "--format", "json"])
    payload = json.loads(result.stdout)
    assert payload["rows_left_out"] == 2
    assert {c["key"]: c["observations"] for c in payload["clauses"]} == {"pci_after": 13, "on_time": 13}
    text = cli.invoke(args=["import-sheet", "PW-2026-300", "2026-03", str(path)]).output
    assert "2 rows left out because of errors" in text


def test_import_sheet_json_gives_sheet_header_row_and_column_mapping(cli, contract, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "March"
    sheet.append(["Resurfacing, March 2026"])
    sheet.append([])
    sheet.append(["Work Order ID", "Completed On", "Street", "PCI", "On Time", "Remarks"])
    sheet.append(["WO-1", date(2026, 3, 2), "Main St", 91, "yes", "ok"])
    workbook.save(tmp_path / "march.xlsx")
    result = cli.invoke(args=["import-sheet", "PW-2026-300", "2026-03", str(tmp_path / "march.xlsx"),
                              "--format", "json"])
    payload = json.loads(result.output)
    assert payload["sheet"] == "March" and payload["header_row"] == 3 and payload["rows_left_out"] == 0
    assert payload["columns"] == [
        {"column": "A", "header": "Work Order ID", "key": "work_order_id"},
        {"column": "B", "header": "Completed On", "key": "completed_on"},
        {"column": "C", "header": "Street", "key": "street"},
        {"column": "D", "header": "PCI", "key": "pci_after"},
        {"column": "E", "header": "On Time", "key": "on_time"},
        {"column": "F", "header": "Remarks", "key": None},
    ]
    assert payload["contract"] == "PW-2026-300" and payload["period"] == "2026-03"
    text = cli.invoke(args=["import-sheet", "PW-2026-300", "2026-03", str(tmp_path / "march.xlsx")]).output
    assert "D 'PCI' -> pci_after" in text and "F 'Remarks' (ignored)" in text


def test_percent_points_column_that_looks_like_fractions_warns_with_both_readings(cli, contract, tmp_path):
    OutcomeClauseFactory(contract=contract, key="cost_growth", label="Cost growth", unit="%", direction="lower",
                         target=Decimal("2"), minimum=Decimal("10"), valid_min=Decimal("-100"),
                         valid_max=Decimal("1000"), weight=Decimal("10"))
    path = write_xlsx(tmp_path / "one-project.xlsx", [["PID-108337", date(2026, 3, 20), "US-33", 91, "yes", 0.8]],
                      header=[*HEADER, "cost_growth"])
    payload = json.loads(cli.invoke(args=["import-sheet", "PW-2026-300", "2026-03", str(path), "--format",
                                          "json"]).output)
    preview = {c["key"]: c for c in payload["clauses"]}
    assert preview["cost_growth"]["value"] == pytest.approx(0.8)  # as written, not 80
    assert preview["cost_growth"]["status"] == "met"
    [warning] = [w for w in payload["warnings"] if w["header"] == "cost_growth"]
    assert "may hold fractions" in warning["message"]
    assert "Read as written: value 0.8, attainment 100, met" in warning["message"]
    assert "read as percents (x100): value 80, attainment 0, failed" in warning["message"]


def test_far_from_history_uses_the_last_committed_months_once_per_column(cli, contract, tmp_path):
    for period in ("2026-01", "2026-02"):
        rows = sheet_rows(20, period=period, prefix=period, pci=lambda i: 82 + (i * 7) % 16)
        path = write_xlsx(tmp_path / f"{period}.xlsx", rows)
        assert cli.invoke(args=["import-sheet", "PW-2026-300", period, str(path), "--commit"]).exit_code == 0
    far = {2, 5, 7, 9, 11, 12, 14}
    rows = sheet_rows(15, pci=lambda i: 15 if i in far else 88)
    payload = json.loads(cli.invoke(args=["import-sheet", "PW-2026-300", "2026-03",
                                          str(write_xlsx(tmp_path / "march.xlsx", rows)), "--format", "json"]).output)
    warnings = [w["message"] for w in payload["warnings"] if "history" in w["message"]]
    assert warnings == ["7 rows of pci_after are far from this contract's history (usually 82 to 97): rows 4, 7, "
                        "9, 11, 13, 14, 16; check them"]
