"""The Open Contracting (OCDS 1.1) export: checked against the published schemas the project ships, with the
metrics extension merged in; the command line and the download (contracts_app/ocds, imports/ocds.py)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from contracts_app.ocds.schema import SCHEMA_DIR, merge_patch, package_problems, release_schema
from contracts_app.ocds.services import ExportRefused, export_package
from imports import ocds
from imports.ocds import package_json
from models import Aggregation, ClauseStatus, Dispute, DisputeStatus, Role, UploadStatus, utcnow
from tests.factories import (
    TEST_PASSWORD,
    CategoryFactory,
    ClauseResultFactory,
    ContractFactory,
    OutcomeClauseFactory,
    UploadFactory,
    UserFactory,
    VendorFactory,
)

EXACT_VALUE = Decimal("90071992547409.93")  # a float would write ...409.94
PREFIX = "ocds-xxxxxx-"


@dataclass
class City:
    category: object
    contract: object
    other: object
    vendor: object


def _month(contract, clause, period: str, value: float, attainment: float, status: ClauseStatus, closes_in_days: int):
    upload = UploadFactory(contract=contract, period=period, status=UploadStatus.COMMITTED,
                           committed_at=utcnow() - timedelta(days=30),
                           review_closes_at=utcnow() + timedelta(days=closes_in_days))
    ClauseResultFactory(clause=clause, contract=contract, clause_key=clause.key, period=period, value=value,
                        attainment=attainment, status=status, observations=12)
    return upload


@pytest.fixture
def city(session) -> City:
    """A contract with an amended clause (two versions), a clause with generated language, five scored months of
    which May is provisional (its review window still open) and April disputed; another contract elsewhere."""
    category = CategoryFactory(slug="street-resurfacing", name="Street resurfacing")
    vendor = VendorFactory(name="Harbor Paving Co", contact_email="dispatch.lead@harbor.example")
    contract = ContractFactory(number="PW-2026-014", title="Resurfacing, north region", vendor=vendor,
                               category=category, value=EXACT_VALUE)
    pci_v1 = OutcomeClauseFactory(contract=contract, key="pci_after", label="Pavement condition after resurfacing",
                                  effective_from="2026-01", weight=Decimal("60"), target=Decimal("90"),
                                  minimum=Decimal("80"), language="The Contractor shall reach PCI 90.")
    pci_v2 = OutcomeClauseFactory(contract=contract, key="pci_after", label="Pavement condition after resurfacing",
                                  effective_from="2026-04", weight=Decimal("60"), target=Decimal("92.5"),
                                  minimum=Decimal("85"), language="The Contractor shall reach PCI 92.5.",
                                  amendment_reason="Raised after year one")
    on_time = OutcomeClauseFactory(contract=contract, key="on_time", label="Work orders completed on time",
                                   unit="%", aggregation=Aggregation.PERCENT_TRUE, effective_from="2026-01",
                                   weight=Decimal("40"), target=Decimal("95"), minimum=Decimal("80"),
                                   valid_min=None, valid_max=None, language="")
    for period, days in (("2026-01", -60), ("2026-02", -30), ("2026-03", -10), ("2026-04", -1), ("2026-05", 5)):
        clause = pci_v1 if period < "2026-04" else pci_v2
        upload = _month(contract, clause, period, 91.25, 100.0, ClauseStatus.MET, days)
        ClauseResultFactory(clause=on_time, contract=contract, clause_key="on_time", period=period, value=87.5,
                            attainment=50.0, status=ClauseStatus.PARTIAL, observations=12)
        if period == "2026-04":
            session.add(Dispute(contract=contract, period=period, upload=upload, status=DisputeStatus.OPEN,
                                clause_keys=["pci_after"], reason="Two segments were measured before curing."))
    other = ContractFactory(number="SL-2026-001", title="Street-light repair", value=Decimal("150000.00"))
    OutcomeClauseFactory(contract=other, key="repair_days", label="Days to repair", effective_from="2026-01")
    session.flush()
    return City(category, contract, other, vendor)


def release_of(package: dict, number: str) -> dict:
    return next(r for r in package["releases"] if r["contracts"][0]["id"] == number)


def metric(metrics: list[dict], key: str) -> dict:
    return next(m for m in metrics if m["id"] == key)


# --- the shipped schemas -------------------------------------------------------------------------------

def test_the_shipped_schemas_are_ocds_1_1_with_the_metrics_extension():
    package_schema = json.loads((SCHEMA_DIR / "release-package-schema.json").read_text())
    assert "/1__1__" in package_schema["id"] and package_schema["$schema"].endswith("draft-04/schema#")
    merged = release_schema()
    assert "1__1__" in merged["id"]
    assert "agreedMetrics" in merged["definitions"]["Contract"]["properties"]
    assert "metrics" in merged["definitions"]["Implementation"]["properties"]
    assert (SCHEMA_DIR / "NOTICE.md").exists()


def test_merge_patch_follows_rfc_7386():
    # Examples from RFC 7386 appendix A.
    assert merge_patch({"a": "b"}, {"a": "c"}) == {"a": "c"}
    assert merge_patch({"a": "b"}, {"b": "c"}) == {"a": "b", "b": "c"}
    assert merge_patch({"a": "b"}, {"a": None}) == {}
    assert merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert merge_patch({"e": None}, {"a": 1}) == {"e": None, "a": 1}
    assert merge_patch([1, 2], {"a": "b", "c": None}) == {"a": "b"}
    assert merge_patch({}, {"a": {"bb": {"ccc": None}}}) == {"a": {"bb": {}}}


# --- the mapping ---------------------------------------------------------------------------------------

def test_the_city_export_validates_against_the_shipped_schemas(city):
    export = export_package()
    assert package_problems(export.package_for_validation()) == []
    package = export.package
    assert package["version"] == "1.1" and package["publisher"] == {"name": "City"}
    assert package["extensions"] == [
        "https://raw.githubusercontent.com/open-contracting-extensions/ocds_metrics_extension/master/extension.json"]
    assert [r["ocid"] for r in package["releases"]] == [PREFIX + "PW-2026-014", PREFIX + "SL-2026-001"]


def test_a_broken_package_is_caught_by_the_same_check(city):
    package = export_package(contract_number="PW-2026-014").package_for_validation()
    contract = package["releases"][0]["contracts"][0]
    del contract["awardID"]
    contract["implementation"]["metrics"][0]["observations"][0]["period"]["startDate"] = "May 2026"
    problems = package_problems(package)
    assert any("'awardID' is a required property" in p for p in problems)
    assert any("'May 2026' is not a 'date-time'" in p for p in problems)


def test_one_release_per_contract_with_parties_award_and_contract(city):
    release = release_of(export_package().package, "PW-2026-014")
    assert release["initiationType"] == "tender"
    assert release["tag"] == ["award", "contract", "contractAmendment", "implementation"]
    buyer, supplier = release["parties"]
    assert buyer == {"id": "buyer-city", "name": "City", "roles": ["buyer", "procuringEntity", "payer"]}
    assert supplier == {"id": f"supplier-{city.vendor.id}", "name": "Harbor Paving Co", "roles": ["supplier", "payee"]}
    assert release["buyer"] == {"id": "buyer-city", "name": "City"}
    award = release["awards"][0]
    assert award["suppliers"] == [{"id": supplier["id"], "name": "Harbor Paving Co"}]
    contract = release["contracts"][0]
    assert contract["awardID"] == award["id"] and contract["status"] == "active"
    assert contract["period"] == {"startDate": "2026-01-01T00:00:00Z", "endDate": "2026-12-31T23:59:59Z"}
    assert contract["value"] == {"amount": EXACT_VALUE, "currency": "USD"}
    (amendment,) = contract["amendments"]
    assert amendment["id"] == "pci_after-2026-04" and amendment["rationale"] == "Raised after year one"


def test_clauses_are_agreed_metrics_with_target_and_minimum_per_version(city):
    contract = release_of(export_package().package, "PW-2026-014")["contracts"][0]
    pci = metric(contract["agreedMetrics"], "pci_after")
    assert pci["title"] == "Pavement condition after resurfacing"
    assert pci["description"] == "The Contractor shall reach PCI 92.5."
    by_id = {o["id"]: o for o in pci["observations"]}
    assert by_id["pci_after-2026-01-target"]["measure"] == Decimal("90")
    assert by_id["pci_after-2026-01-minimum"]["measure"] == Decimal("80")
    assert by_id["pci_after-2026-01-target"]["period"] == {"startDate": "2026-01-01T00:00:00Z",
                                                           "endDate": "2026-03-31T23:59:59Z"}
    assert by_id["pci_after-2026-04-target"]["measure"] == Decimal("92.5")
    assert by_id["pci_after-2026-04-target"]["period"]["endDate"] == "2026-12-31T23:59:59Z"
    assert by_id["pci_after-2026-04-target"]["unit"] == {"name": "PCI"}
    # No stored language: the language written from the clause's terms, as on the clause schedule.
    on_time = metric(contract["agreedMetrics"], "on_time")
    assert "95" in on_time["description"] and len(on_time["description"]) > 40


def test_each_scored_month_is_an_observation_and_unsettled_months_are_marked(city):
    contract = release_of(export_package().package, "PW-2026-014")["contracts"][0]
    pci = metric(contract["implementation"]["metrics"], "pci_after")
    observations = {o["id"]: o for o in pci["observations"]}
    assert list(observations) == [f"pci_after-2026-0{m}" for m in range(1, 6)]
    march = observations["pci_after-2026-03"]
    assert march["measure"] == 91.25 and march["unit"] == {"name": "PCI"}
    assert march["period"] == {"startDate": "2026-03-01T00:00:00Z", "endDate": "2026-03-31T23:59:59Z"}
    assert march["notes"].startswith("Status: met; attainment 100.0 of 100; scored under the clause version in "
                                     "force from 2026-01; 12 observations.")
    assert "Provisional" not in march["notes"] and "Disputed" not in march["notes"]
    assert "version in force from 2026-04" in observations["pci_after-2026-04"]["notes"]
    assert "Disputed: a dispute on this month is open" in observations["pci_after-2026-04"]["notes"]
    assert "Provisional: the vendor's review window is open" in observations["pci_after-2026-05"]["notes"]
    on_time = metric(contract["implementation"]["metrics"], "on_time")
    assert on_time["observations"][0]["notes"].startswith("Status: partial; attainment 50.0 of 100")
    assert on_time["observations"][0]["unit"] == {"name": "%"}


def test_ocids_and_release_ids_are_stable_and_the_prefix_is_configurable(app, city):
    first, second = export_package(), export_package()
    assert first.text == second.text, "the same data exports the same package"
    release = release_of(first.package, "PW-2026-014")
    assert release["ocid"] == "ocds-xxxxxx-PW-2026-014"
    assert release["id"].startswith("PW-2026-014-") and "#" not in release["id"]
    app.config["OCDS_PREFIX"] = "ocds-a1b2c3-"
    try:
        again = release_of(export_package().package, "PW-2026-014")
    finally:
        app.config["OCDS_PREFIX"] = PREFIX
    assert again["ocid"] == "ocds-a1b2c3-PW-2026-014" and again["id"] == release["id"]


def test_money_is_written_exactly_as_a_json_number(city):
    text = export_package(contract_number="PW-2026-014").text
    assert '"amount": 90071992547409.93' in text
    parsed = json.loads(text, parse_float=Decimal)
    assert parsed["releases"][0]["contracts"][0]["value"]["amount"] == EXACT_VALUE
    assert package_json({"a": Decimal("0.10"), "b": [Decimal("-5.01")]}) == '{\n  "a": 0.10,\n  "b": [\n    -5.01\n  ]\n}'


def test_no_personal_data_leaves(city, session):
    manager = UserFactory(role=Role.CONTRACT_MANAGER, email="pat.manager@city.test", name="Pat Manager")
    session.flush()
    text = export_package().text
    for personal in ("dispatch.lead@harbor.example", "pat.manager@city.test", "Pat Manager", "@"):
        assert personal not in text
    assert manager.id


def test_a_category_export_holds_only_its_contracts(city):
    package = export_package(category_slug="street-resurfacing").package
    assert [r["contracts"][0]["id"] for r in package["releases"]] == ["PW-2026-014"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"category_slug": "snow-removal"}, "No service category with slug 'snow-removal'. Known slugs:"),
    ({"contract_number": "PW-1999-000"}, "No contract with number 'PW-1999-000'."),
    ({"category_slug": "street-resurfacing", "contract_number": "SL-2026-001"},
     "No contract SL-2026-001 in category 'street-resurfacing'."),
])
def test_asking_for_what_is_not_there_is_refused(city, kwargs, message):
    with pytest.raises(ExportRefused, match=re.escape(message)):
        export_package(**kwargs)


# --- the command line ------------------------------------------------------------------------------------

def test_export_ocds_writes_the_package_on_stdout(cli, city):
    result = cli.invoke(args=["export-ocds", "--category", "street-resurfacing"])
    assert result.exit_code == 0, result.output
    package = json.loads(result.stdout)
    assert [r["ocid"] for r in package["releases"]] == ["ocds-xxxxxx-PW-2026-014"]
    assert package_problems(package) == []


def test_export_ocds_writes_a_file_with_output(cli, city, tmp_path):
    target = tmp_path / "ocds.json"
    result = cli.invoke(args=["export-ocds", "--contract", "SL-2026-001", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "Wrote 1 release to" in result.stderr
    package = json.loads(target.read_text())
    assert package["releases"][0]["contracts"][0]["value"] == {"amount": 150000.0, "currency": "USD"}
    assert '"amount": 150000.00' in target.read_text()


def test_export_ocds_refuses_an_unknown_category_on_stderr(cli, city):
    result = cli.invoke(args=["export-ocds", "--category", "snow-removal"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "No service category with slug 'snow-removal'" in result.stderr
    assert "street-resurfacing" in result.stderr


def test_export_ocds_usage_error_exits_2(cli, city):
    result = cli.invoke(args=["export-ocds", "--colour", "blue"])
    assert result.exit_code == 2


# --- the download ------------------------------------------------------------------------------------

@pytest.fixture
def city_user(client, session):
    user = UserFactory(role=Role.FINANCE)
    session.flush()
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    return client


def test_a_city_user_downloads_a_contract_from_its_page(city_user, city):
    page = city_user.get(f"/contracts/{city.contract.id}").get_data(as_text=True)
    link = f'/ocds/contracts/{city.contract.id}.json'
    assert f'href="{link}"' in page and "Open Contracting data (JSON)" in page
    response = city_user.get(link)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="ocds-PW-2026-014.json"'
    package = json.loads(response.get_data(as_text=True))
    assert package_problems(package) == []
    assert package["uri"].endswith(link)
    assert [r["ocid"] for r in package["releases"]] == ["ocds-xxxxxx-PW-2026-014"]


def test_a_city_user_downloads_a_category_from_its_page(city_user, city):
    page = city_user.get(f"/categories/{city.category.id}").get_data(as_text=True)
    link = f"/ocds/categories/{city.category.id}.json"
    assert f'href="{link}"' in page
    response = city_user.get(link)
    assert response.status_code == 200
    assert 'filename="ocds-street-resurfacing.json"' in response.headers["Content-Disposition"]
    assert [r["contracts"][0]["id"] for r in json.loads(response.get_data())["releases"]] == ["PW-2026-014"]


def test_an_empty_category_offers_no_download_and_refuses_with_a_message(city_user, session):
    empty = CategoryFactory(slug="snow-removal", name="Snow removal")
    session.flush()
    assert "/ocds/categories/" not in city_user.get(f"/categories/{empty.id}").get_data(as_text=True)
    response = city_user.get(f"/ocds/categories/{empty.id}.json")
    assert response.status_code == 400
    assert "No contracts to export" in response.get_data(as_text=True)


def test_unknown_ids_are_404(city_user, city):
    assert city_user.get("/ocds/contracts/999999.json").status_code == 404
    assert city_user.get("/ocds/categories/999999.json").status_code == 404


def test_a_vendor_user_cannot_download(client, session, city):
    vendor_user = UserFactory(role=Role.VENDOR, vendor=city.vendor)
    session.flush()
    assert client.sign_in(vendor_user.email, TEST_PASSWORD, complete_mfa=True).status_code == 302
    assert client.get(f"/ocds/contracts/{city.contract.id}.json").status_code == 404
    assert client.get(f"/ocds/contracts/{city.other.id}.json").status_code == 404
    assert client.get(f"/ocds/categories/{city.category.id}.json").status_code == 404


def test_a_currency_setting_that_is_no_code_is_refused(app, city):
    app.config["CURRENCY"] = "dollars"
    try:
        with pytest.raises(ExportRefused, match="The CURRENCY setting 'dollars' is not a three-letter ISO 4217 code"):
            export_package()
    finally:
        app.config["CURRENCY"] = "USD"


# --- the pure mapping ------------------------------------------------------------------------------------

def _version(effective_from: str, retired: bool = False, target: str = "90") -> ocds.ClauseVersion:
    return ocds.ClauseVersion(key="pci_after", label="PCI", unit="PCI", direction="higher", target=Decimal(target),
                              minimum=None, effective_from=effective_from, retired=retired, language="Reach PCI.",
                              amendment_reason=None, recorded_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC))


def test_a_retired_version_ends_the_previous_targets_and_is_an_amendment():
    record = ocds.ContractRecord(
        number="PW-2025-002", title="Carry-over", category_name="Resurfacing", vendor_id=7, vendor_name="Acme",
        start=date(2025, 7, 1), end=date(2026, 6, 30), value=Decimal("10.00"), status="closed",
        recorded_at=datetime(2025, 6, 1, tzinfo=UTC),
        clauses=[_version("2025-07"), _version("2026-01", target="92"), _version("2026-04", retired=True)])
    (pci,) = ocds.agreed_metrics(record)
    targets = [(o["id"], o["period"]["startDate"][:10], o["period"]["endDate"][:10]) for o in pci["observations"]]
    assert targets == [("pci_after-2025-07-target", "2025-07-01", "2025-12-31"),
                       ("pci_after-2026-01-target", "2026-01-01", "2026-03-31")]
    assert [a["description"] for a in ocds.clause_amendments(record)] == [
        "Clause pci_after (PCI) amended from 2026-01", "Clause pci_after (PCI) retired from 2026-04"]
    release = ocds.contract_release(ocds.Publisher("Springfield", "ocds-abc123-", "EUR",
                                                   datetime(2026, 7, 1, tzinfo=UTC), "https://x.test/p.json"),
                                    record)
    assert release["contracts"][0]["status"] == "terminated" and release["awards"][0]["status"] == "active"
    assert release["buyer"] == {"id": "buyer-springfield", "name": "Springfield"}
    assert "implementation" not in release["contracts"][0] and "implementation" not in release["tag"]
