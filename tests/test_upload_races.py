"""Two people at once: commits of one staged sheet, two sheets for one month, two supersedes, invoices.

These need real commits from real connections, so they run against an app of their own (a fresh
SQLite file; on PostgreSQL a schema of its own in TEST_DATABASE_URL, dropped afterwards), not inside
the rolled-back transaction of the `app` fixture. The loser of each race must get a clear answer
("already committed by …; nothing changed"), never a server error, and the data must stay whole.
Also here: a staged sheet whose month another upload committed is marked replaced (issue 9, #10).
"""
from __future__ import annotations

import os
import threading
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from contracts_app import create_app
from contracts_app.config import normalise_database_url
from contracts_app.uploads.flow import limits_from_config, stage_upload
from models import AuditEvent, ContractPeriodScore, Observation, Role, Upload, UploadStatus, db
from tests.conftest import BACKENDS, FreshContextClient
from tests.factories import (
    TEST_PASSWORD,
    CategoryFactory,
    ContractAssignmentFactory,
    ContractFactory,
    OutcomeClauseFactory,
    UserFactory,
)
from tests.test_uploads import commit, sheet_rows, upload, write_xlsx

RACERS = 8


# --- an app whose commits are real -------------------------------------------------------------

@pytest.fixture(scope="module", params=BACKENDS)
def race_app(request, tmp_path_factory):
    options = {"pool_pre_ping": True, "pool_size": RACERS + 2}
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('race-db') / 'race.sqlite3'}"
    else:
        url = normalise_database_url(os.environ["TEST_DATABASE_URL"])
        schema = f"race_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        options["connect_args"] = {"options": f"-c search_path={schema}"}
    app = create_app({
        "TESTING": True, "SECRET_KEY": "race-secret", "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": options, "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False,
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("race-uploads")),
        "MFA_REPLAY_PROTECTION": False,  # several clients sign one finance user in within one 30-second code
    })
    app.test_client_class = FreshContextClient
    with app.app_context():
        upgrade()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if schema is not None:
            with admin.connect() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


@pytest.fixture
def scene(race_app):
    """A fresh contract (two clauses), its assigned manager and a finance user, committed."""
    with race_app.app_context():
        category = CategoryFactory(row_key="work_order_id", date_column="completed_on", context_columns=["street"])
        contract = ContractFactory(category=category)
        OutcomeClauseFactory(contract=contract, key="pci_after", weight=Decimal("60"), aliases=["PCI"])
        OutcomeClauseFactory(contract=contract, key="on_time", label="Completed on time", weight=Decimal("40"),
                             aggregation="percent_true", unit="%", target=Decimal("95"), minimum=Decimal("80"),
                             valid_min=None, valid_max=None)
        manager = ContractAssignmentFactory(contract=contract).user
        finance = UserFactory(role=Role.FINANCE)
        db.session.commit()
        ids = {"contract": contract.id, "manager": manager.email, "finance": finance.email}
        db.session.remove()
    return ids


def _clients(app, email: str, n: int) -> list[FreshContextClient]:
    clients = []
    for _ in range(n):
        client = app.test_client()
        assert client.sign_in(email, TEST_PASSWORD).status_code == 302
        clients.append(client)
    return clients


def at_once(calls) -> list:
    """Runs the calls in threads released together; each result is the return value or the exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i):
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # TESTING propagates what a user would see as a 500
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(t.is_alive() for t in threads), "a racer is still waiting after 180 s"
    return results


def _pages(results) -> list[str]:
    errors = [repr(r) for r in results if isinstance(r, Exception)]
    errors += [f"answered {r.status_code}" for r in results if not isinstance(r, Exception) and r.status_code >= 500]
    assert not errors, "server errors:\n" + "\n".join(errors)
    return [r.get_data(as_text=True) for r in results]


class _Contract:
    def __init__(self, contract_id):
        self.id = contract_id


def _stage(client, scene, tmp_path, name: str, rows: int, period: str = "2026-03") -> int:
    response = upload(client, _Contract(scene["contract"]), write_xlsx(tmp_path / name, sheet_rows(rows, period)),
                      period)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _uploads(app, contract_id):
    with app.app_context():
        rows = {u.id: (u.status, u.row_count, u.superseded_by_id) for u in
                db.session.scalars(select(Upload).where(Upload.contract_id == contract_id))}
        observations = db.session.scalar(select(func.count()).select_from(Observation)
                                         .where(Observation.contract_id == contract_id))
        db.session.remove()
    return rows, observations


# --- the races ----------------------------------------------------------------------------------

def test_eight_commits_of_one_staged_sheet_commit_it_once_and_tell_the_others(race_app, scene, tmp_path):
    clients = _clients(race_app, scene["manager"], RACERS)
    staged = _stage(clients[0], scene, tmp_path, "march.xlsx", 40)

    pages = _pages(at_once([lambda c=c: commit(c, staged) for c in clients]))

    assert sum("Committed 40 rows for 2026-03" in page for page in pages) == 1
    assert sum(f"Already committed by {scene['manager']}" in page and "nothing changed" in page
               for page in pages) == RACERS - 1
    uploads, observations = _uploads(race_app, scene["contract"])
    assert uploads[staged][0] == UploadStatus.COMMITTED
    assert observations == 40


def test_two_sheets_for_one_month_committed_at_once_keep_one_and_mark_the_other_replaced(race_app, scene, tmp_path):
    first, second = _clients(race_app, scene["manager"], 2)
    a = _stage(first, scene, tmp_path, "a.xlsx", 20)
    b = _stage(second, scene, tmp_path, "b.xlsx", 30)

    pages = _pages(at_once([lambda: commit(first, a), lambda: commit(second, b)]))

    uploads, observations = _uploads(race_app, scene["contract"])
    statuses = sorted(status.value for status, _rows, _by in uploads.values())
    assert statuses == ["committed", "replaced"]
    winner = next(i for i, (status, _r, _b) in uploads.items() if status == UploadStatus.COMMITTED)
    loser = a if winner == b else b
    assert uploads[loser][2] == winner
    assert observations == uploads[winner][1]
    loser_page = pages[0] if loser == a else pages[1]
    assert f"from upload #{winner}" in loser_page and "nothing changed" in loser_page


def test_two_supersedes_at_once_replace_the_month_once(race_app, scene, tmp_path):
    first, second = _clients(race_app, scene["manager"], 2)
    original = _stage(first, scene, tmp_path, "original.xlsx", 10)
    assert "Committed 10 rows" in commit(first, original).get_data(as_text=True)
    a = _stage(first, scene, tmp_path, "fix-a.xlsx", 12)
    b = _stage(second, scene, tmp_path, "fix-b.xlsx", 14)

    _pages(at_once([lambda: commit(first, a, reason="Vendor corrected PCI"),
                    lambda: commit(second, b, reason="Crew totals fixed")]))

    uploads, observations = _uploads(race_app, scene["contract"])
    assert uploads[original][0] == UploadStatus.SUPERSEDED
    winner = uploads[original][2]
    assert winner in (a, b) and uploads[winner][0] == UploadStatus.COMMITTED
    loser = a if winner == b else b
    assert uploads[loser][0] == UploadStatus.REPLACED and uploads[loser][2] == winner
    assert observations == 10 + uploads[winner][1]  # the superseded upload stays readable


def test_concurrent_invoices_for_a_new_month_make_one_row_and_one_chain_of_changes(race_app, scene):
    clients = _clients(race_app, scene["finance"], RACERS)
    tokens = [c.csrf_token("/payments/") for c in clients]
    amounts = [f"{1000 + 100 * i}.00" for i in range(RACERS)]

    def invoice(i):
        return clients[i].post("/payments/invoice", data={
            "contract_id": scene["contract"], "period": "2026-05", "category": "", "amount": amounts[i],
            "csrf_token": tokens[i]}, follow_redirects=True)

    _pages(at_once([lambda i=i: invoice(i) for i in range(RACERS)]))

    with race_app.app_context():
        scores = db.session.scalars(select(ContractPeriodScore).where(
            ContractPeriodScore.contract_id == scene["contract"], ContractPeriodScore.period == "2026-05")).all()
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "invoice_set", AuditEvent.object_id == str(scores[0].id)).order_by(AuditEvent.id)
        ).all() if len(scores) == 1 else []
        db.session.remove()
    assert len(scores) == 1
    assert len(events) == RACERS
    assert events[0].before is None
    for previous, event in zip(events, events[1:], strict=False):
        assert event.before["invoice_amount"] == previous.after["invoice_amount"], "each change starts where the last ended"
    assert Decimal(events[-1].after["invoice_amount"]) == scores[0].invoice_amount


# --- stale staged state (rolled back, one connection) -------------------------------------------

def test_a_staged_sheet_becomes_replaced_when_its_month_is_committed_and_its_file_is_removed(
        app, client, tmp_path):
    category = CategoryFactory(row_key="work_order_id", date_column="completed_on", context_columns=["street"])
    contract = ContractFactory(category=category)
    OutcomeClauseFactory(contract=contract, key="pci_after", weight=Decimal("60"))
    OutcomeClauseFactory(contract=contract, key="on_time", label="Completed on time", weight=Decimal("40"),
                         aggregation="percent_true", unit="%", target=Decimal("95"), minimum=Decimal("80"),
                         valid_min=None, valid_max=None)
    manager = ContractAssignmentFactory(contract=contract).user
    assert client.sign_in(manager.email, TEST_PASSWORD).status_code == 302
    scene = {"contract": contract.id}
    a = _stage(client, scene, tmp_path, "a.xlsx", 5)
    b = _stage(client, scene, tmp_path, "b.xlsx", 6)
    b_file = Path(app.config["UPLOAD_FOLDER"]) / db.session.get(Upload, b).stored_name
    assert b_file.exists()

    assert "Committed 5 rows" in commit(client, a).get_data(as_text=True)

    page = client.get(f"/uploads/{b}").get_data(as_text=True)
    assert "Replaced" in page and f"upload #{a}" in page and "a.xlsx" in page and manager.email in page
    db.session.expire_all()
    assert db.session.get(Upload, b).status == UploadStatus.REPLACED
    assert not b_file.exists(), "the replaced sheet's staged file is removed"
    again = commit(client, b).get_data(as_text=True)
    assert f"committed by {manager.email}" in again and "nothing changed" in again
    assert db.session.get(Upload, b).status == UploadStatus.REPLACED
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(b),
                                                                AuditEvent.object_type == "Upload")).all()
    assert "upload_replaced" in events


def test_a_staged_file_whose_row_cannot_be_written_is_removed(app, session, tmp_path):
    category = CategoryFactory(row_key="work_order_id", date_column="completed_on", context_columns=["street"])
    contract = ContractFactory(category=category)
    OutcomeClauseFactory(contract=contract, key="pci_after", weight=Decimal("100"))
    folder = Path(app.config["UPLOAD_FOLDER"])
    before = set(folder.iterdir()) if folder.exists() else set()
    connection = session.connection()
    # The database itself refuses the row (a trigger, inside this test's rolled-back transaction).
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("CREATE TRIGGER refuse_uploads BEFORE INSERT ON uploads "
                                   "BEGIN SELECT RAISE(ABORT, 'uploads refused for the test'); END")
    else:
        connection.exec_driver_sql("CREATE FUNCTION refuse_uploads() RETURNS trigger LANGUAGE plpgsql AS "
                                   "$$ BEGIN RAISE EXCEPTION 'uploads refused for the test'; END $$")
        connection.exec_driver_sql("CREATE TRIGGER refuse_uploads BEFORE INSERT ON uploads "
                                   "FOR EACH ROW EXECUTE FUNCTION refuse_uploads()")
    path = write_xlsx(tmp_path / "march.xlsx", sheet_rows(5), header=["work_order_id", "completed_on", "street",
                                                                      "pci_after"])
    with app.test_request_context(), open(path, "rb") as handle, pytest.raises(Exception, match="refused for the test"):
        stage_upload(contract, "2026-03", "march.xlsx", handle, None, limits_from_config())
    assert set(folder.iterdir()) == before, "no staged file is left without its row"
