"""Vendors and service categories: created and edited through their forms by procurement and admin."""
from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from models import AuditEvent, Role, ServiceCategory, UploadStatus, Vendor
from tests.factories import (
    TEST_PASSWORD,
    CategoryFactory,
    ClauseTemplateFactory,
    ContractFactory,
    UploadFactory,
    UserFactory,
    VendorFactory,
)

CATEGORY_FORM = {
    "name": "Pothole repair",
    "slug": "pothole-repair",
    "unit": "work order",
    "row_key": "work_order_id",
    "date_column": "repaired_on",
    "context_columns": "street, ward",
}


def _text(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _field_html(response, field_id: str) -> str:
    """The markup of one form field's block: its input, its error messages and its help."""
    html = response.get_data(as_text=True)
    start = html.index(f'id="{field_id}"')
    end = html.find('<div class="mb-3">', start)
    return unescape(html[start:end if end != -1 else len(html)])


def _field_errors(response, field_id: str) -> list[str]:
    return [e.strip() for e in re.findall(r'<div class="invalid-feedback">(.*?)</div>', _field_html(response, field_id), re.S)]


def _input_value(response, field_id: str) -> str:
    html = response.get_data(as_text=True)
    tag = re.search(rf'<input[^>]*\bid="{field_id}"[^>]*>', html).group(0)
    match = re.search(r'\bvalue="([^"]*)"', tag)
    return unescape(match.group(1)) if match else ""


def _events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def sign_in_as(client, session):
    def sign_in(role: Role):
        user = UserFactory(role=role)
        session.flush()
        response = client.sign_in(user.email, TEST_PASSWORD)
        assert response.status_code == 302
        return user

    return sign_in


# --- vendors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PROCUREMENT, Role.ADMIN])
def test_create_a_vendor_through_the_form(client, session, sign_in_as, role):
    user = sign_in_as(role)
    response = client.post_form("/vendors/new", {"name": "  Harbor Paving Co ", "contact_email": "ops@harbor.example"})

    vendor = session.scalars(select(Vendor).where(Vendor.name == "Harbor Paving Co")).one()
    assert vendor.contact_email == "ops@harbor.example"
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/vendors/{vendor.id}")
    assert "Vendor Harbor Paving Co created." in _text(client.get(response.headers["Location"]))

    [event] = _events(session, "vendor_created")
    assert event.object_type == "Vendor" and event.object_id == str(vendor.id)
    assert event.actor == user.email
    assert event.before is None
    assert event.after["name"] == "Harbor Paving Co" and event.after["contact_email"] == "ops@harbor.example"


def test_edit_a_vendor_through_the_form(client, session, sign_in_as):
    sign_in_as(Role.PROCUREMENT)
    vendor = VendorFactory(name="Harbor Paving", contact_email=None)
    session.flush()

    page = client.get(f"/vendors/{vendor.id}/edit")
    assert page.status_code == 200 and _input_value(page, "name") == "Harbor Paving"

    response = client.post_form(f"/vendors/{vendor.id}/edit", {"name": "Harbor Paving Co", "contact_email": "a@b.example"})
    assert response.status_code == 302
    session.refresh(vendor)
    assert (vendor.name, vendor.contact_email) == ("Harbor Paving Co", "a@b.example")

    [event] = _events(session, "vendor_updated")
    assert event.before["name"] == "Harbor Paving" and event.before["contact_email"] is None
    assert event.after["name"] == "Harbor Paving Co" and event.after["contact_email"] == "a@b.example"

    # Saving again without a change stores no event.
    client.post_form(f"/vendors/{vendor.id}/edit", {"name": "Harbor Paving Co", "contact_email": "a@b.example"})
    assert len(_events(session, "vendor_updated")) == 1


def test_duplicate_vendor_name_in_another_case_is_refused_and_the_form_kept(client, session, sign_in_as):
    sign_in_as(Role.PROCUREMENT)
    VendorFactory(name="Harbor Paving Co")
    session.flush()
    before = _count(session, Vendor)

    response = client.post_form("/vendors/new", {"name": "HARBOR paving co", "contact_email": "x@y.example"})

    assert response.status_code == 200
    assert "A vendor named 'Harbor Paving Co' already exists." in _field_html(response, "name")
    assert _input_value(response, "name") == "HARBOR paving co"
    assert _input_value(response, "contact_email") == "x@y.example"
    assert _count(session, Vendor) == before
    assert _events(session, "vendor_created") == []


def test_renaming_a_vendor_onto_another_vendors_name_is_refused(client, session, sign_in_as):
    sign_in_as(Role.ADMIN)
    VendorFactory(name="Harbor Paving Co")
    other = VendorFactory(name="Summit Asphalt")
    session.flush()

    response = client.post_form(f"/vendors/{other.id}/edit", {"name": "harbor paving co", "contact_email": ""})

    assert response.status_code == 200
    assert "already exists" in _field_html(response, "name")
    session.refresh(other)
    assert other.name == "Summit Asphalt"
    assert _events(session, "vendor_updated") == []


def test_vendor_name_required_and_email_checked(client, session, sign_in_as):
    sign_in_as(Role.PROCUREMENT)
    before = _count(session, Vendor)

    response = client.post_form("/vendors/new", {"name": "   ", "contact_email": "not-an-email"})

    assert response.status_code == 200
    assert "Enter the vendor's name." in _field_html(response, "name")
    assert "Enter an email address" in _field_html(response, "contact_email")
    assert _input_value(response, "contact_email") == "not-an-email"
    assert _count(session, Vendor) == before


def test_new_vendor_and_edit_buttons_only_for_procurement_and_admin(app, session):
    vendor = VendorFactory()
    users = {role: UserFactory(role=role) for role in Role}
    session.flush()
    for role, user in users.items():
        client = app.test_client()
        client.sign_in(user.email, TEST_PASSWORD)
        index = client.get("/vendors/").get_data(as_text=True)
        detail = client.get(f"/vendors/{vendor.id}").get_data(as_text=True)
        editor = role in (Role.PROCUREMENT, Role.ADMIN)
        assert ('href="/vendors/new"' in index) is editor, role
        assert (f'href="/vendors/{vendor.id}/edit"' in detail) is editor, role


# --- categories --------------------------------------------------------------------------------


def test_categories_list_shows_columns_and_contract_counts_to_everyone(client, session, sign_in_as):
    category = CategoryFactory(name="Snow removal", slug="snow-removal", unit="lane-mile", row_key="route_id",
                               date_column="plowed_on", context_columns=["district", "priority"])
    ContractFactory(category=category)
    ContractFactory(category=category)
    session.flush()
    sign_in_as(Role.FINANCE)

    response = client.get("/categories/")
    assert response.status_code == 200
    row = next(r for r in re.findall(r"<tr>.*?</tr>", response.get_data(as_text=True), re.S) if "Snow removal" in r)
    cells = [re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", c))).strip() for c in re.findall(r"<td.*?</td>", row, re.S)]
    assert cells == ["Snow removal", "snow-removal", "lane-mile", "route_id", "plowed_on", "district, priority", "2"]
    assert 'href="/categories/new"' not in response.get_data(as_text=True)

    detail = client.get(f"/categories/{category.id}")
    assert detail.status_code == 200 and "route_id" in _text(detail)


@pytest.mark.parametrize("role", [Role.PROCUREMENT, Role.ADMIN])
def test_create_a_category_through_the_form(client, session, sign_in_as, role):
    user = sign_in_as(role)
    assert 'href="/categories/new"' in client.get("/categories/").get_data(as_text=True)

    response = client.post_form("/categories/new", {**CATEGORY_FORM, "context_columns": " street ,ward,, "})

    category = session.scalars(select(ServiceCategory).where(ServiceCategory.slug == "pothole-repair")).one()
    assert (category.name, category.unit, category.row_key, category.date_column, category.context_columns) == (
        "Pothole repair", "work order", "work_order_id", "repaired_on", ["street", "ward"]
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/categories/{category.id}")
    assert "Category Pothole repair (pothole-repair) created." in _text(client.get(response.headers["Location"]))

    [event] = _events(session, "servicecategory_created")
    assert event.object_type == "ServiceCategory" and event.object_id == str(category.id)
    assert event.actor == user.email and event.before is None
    assert event.after["slug"] == "pothole-repair" and event.after["context_columns"] == ["street", "ward"]


def test_edit_a_category_through_the_form(client, session, sign_in_as):
    sign_in_as(Role.PROCUREMENT)
    category = CategoryFactory(slug="pothole", name="Potholes", context_columns=["street"])
    session.flush()

    page = client.get(f"/categories/{category.id}/edit")
    assert page.status_code == 200
    assert _input_value(page, "context_columns") == "street"
    assert _input_value(page, "slug") == "pothole"
    for field_id in ("name", "slug", "unit", "row_key", "date_column", "context_columns"):
        assert 'class="form-text"' in _field_html(page, field_id), f"no help text on {field_id}"

    response = client.post_form(f"/categories/{category.id}/edit", CATEGORY_FORM)
    assert response.status_code == 302
    session.refresh(category)
    assert (category.slug, category.name, category.context_columns) == ("pothole-repair", "Pothole repair", ["street", "ward"])

    [event] = _events(session, "servicecategory_updated")
    assert event.before["slug"] == "pothole" and event.before["context_columns"] == ["street"]
    assert event.after["slug"] == "pothole-repair" and event.after["context_columns"] == ["street", "ward"]


def test_duplicate_slug_is_refused_and_the_form_kept(client, session, sign_in_as):
    sign_in_as(Role.ADMIN)
    CategoryFactory(slug="pothole-repair", name="Existing potholes")
    session.flush()
    before = _count(session, ServiceCategory)

    response = client.post_form("/categories/new", {**CATEGORY_FORM, "name": "Another name"})

    assert response.status_code == 200
    assert "The slug 'pothole-repair' is already used by the category Existing potholes." in _field_html(response, "slug")
    for field_id, typed in {**CATEGORY_FORM, "name": "Another name"}.items():
        assert _input_value(response, field_id) == typed, field_id
    assert _count(session, ServiceCategory) == before
    assert _events(session, "servicecategory_created") == []


def test_bad_context_column_is_refused_naming_it(client, session, sign_in_as):
    sign_in_as(Role.PROCUREMENT)
    before = _count(session, ServiceCategory)

    typed = "street, Ward Name, district"
    response = client.post_form("/categories/new", {**CATEGORY_FORM, "context_columns": typed})

    assert response.status_code == 200
    errors = _field_errors(response, "context_columns")
    assert len(errors) == 1 and errors[0].startswith("'Ward Name' is not a valid name"), errors
    assert _input_value(response, "context_columns") == typed
    assert _count(session, ServiceCategory) == before


@pytest.mark.parametrize(
    "changes, field_id, message",
    [
        ({"slug": "Pothole Repair"}, "slug", "'Pothole Repair' is not a valid name"),
        ({"row_key": "work order"}, "row_key", "'work order' is not a valid name"),
        ({"date_column": "work_order_id"}, "date_column", "'work_order_id' is already the row key column"),
        ({"context_columns": "street, street"}, "context_columns", "'street' is listed twice"),
        ({"context_columns": "repaired-on"}, "context_columns", "'repaired-on' is already the date column"),
        ({"unit": ""}, "unit", "Enter the work unit"),
    ],
)
def test_category_field_rules(client, session, sign_in_as, changes, field_id, message):
    sign_in_as(Role.PROCUREMENT)
    before = _count(session, ServiceCategory)

    response = client.post_form("/categories/new", {**CATEGORY_FORM, **changes})

    assert response.status_code == 200
    assert message in _field_html(response, field_id)
    assert _count(session, ServiceCategory) == before


def test_a_column_already_used_by_a_clause_is_refused(client, session, sign_in_as):
    sign_in_as(Role.PROCUREMENT)
    category = CategoryFactory()
    ClauseTemplateFactory(category=category, key="pci_after")
    session.flush()

    response = client.post_form(f"/categories/{category.id}/edit", {**CATEGORY_FORM, "slug": category.slug,
                                                                    "context_columns": "street, pci_after"})

    assert response.status_code == 200
    assert "'pci_after' is already the column of a clause template" in _field_html(response, "context_columns")


@pytest.mark.parametrize("status", [UploadStatus.COMMITTED, UploadStatus.SUPERSEDED])
def test_slug_and_row_key_locked_once_sheets_are_committed(client, session, sign_in_as, status):
    sign_in_as(Role.PROCUREMENT)
    category = CategoryFactory(slug="asphalt", name="Asphalt", row_key="segment_id")
    UploadFactory(contract=ContractFactory(category=category), status=status)
    session.flush()
    path = f"/categories/{category.id}/edit"
    form = {**CATEGORY_FORM, "slug": "asphalt", "row_key": "segment_id"}

    assert "can't be changed" in _text(client.get(path))

    response = client.post_form(path, {**form, "slug": "asphalt-resurfacing", "row_key": "work_order_id"})
    assert response.status_code == 200
    assert "Can't change the slug" in _field_html(response, "slug")
    assert "would be orphaned" in _field_html(response, "slug")
    assert "Can't change the row key column" in _field_html(response, "row_key")
    assert _input_value(response, "slug") == "asphalt-resurfacing"
    session.refresh(category)
    assert (category.slug, category.row_key, category.name) == ("asphalt", "segment_id", "Asphalt")
    assert _events(session, "servicecategory_updated") == []

    # The other fields can still change.
    response = client.post_form(path, form)
    assert response.status_code == 302
    session.refresh(category)
    assert category.name == "Pothole repair" and category.slug == "asphalt"


def test_slug_can_change_while_uploads_are_only_staged(client, session, sign_in_as):
    sign_in_as(Role.PROCUREMENT)
    category = CategoryFactory(slug="asphalt")
    UploadFactory(contract=ContractFactory(category=category), status=UploadStatus.STAGED)
    session.flush()

    response = client.post_form(f"/categories/{category.id}/edit", CATEGORY_FORM)

    assert response.status_code == 302
    session.refresh(category)
    assert category.slug == "pothole-repair"


# --- who may --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.FINANCE, Role.CONTRACT_MANAGER])
def test_other_roles_get_403_on_the_new_and_edit_pages_and_store_nothing(client, session, sign_in_as, role):
    vendor = VendorFactory(name="Harbor Paving Co")
    category = CategoryFactory(slug="asphalt", name="Asphalt")
    session.flush()
    sign_in_as(role)
    counts = (_count(session, Vendor), _count(session, ServiceCategory))

    posts = {
        "/vendors/new": {"name": "Sneaky Vendor"},
        f"/vendors/{vendor.id}/edit": {"name": "Renamed"},
        "/categories/new": CATEGORY_FORM,
        f"/categories/{category.id}/edit": {**CATEGORY_FORM, "slug": "asphalt"},
    }
    for path, data in posts.items():
        assert client.get(path).status_code == 403, path
        assert client.post_form(path, data, token_from="/").status_code == 403, path

    assert (_count(session, Vendor), _count(session, ServiceCategory)) == counts
    session.refresh(vendor)
    session.refresh(category)
    assert vendor.name == "Harbor Paving Co" and category.name == "Asphalt"
    for action in ("vendor_created", "vendor_updated", "servicecategory_created", "servicecategory_updated"):
        assert _events(session, action) == []
    assert 'href="/categories/new"' not in client.get("/categories/").get_data(as_text=True)


def test_unknown_ids_are_404(client, sign_in_as):
    sign_in_as(Role.ADMIN)
    for path in ("/vendors/999999/edit", "/categories/999999", "/categories/999999/edit"):
        assert client.get(path).status_code == 404, path


def test_category_columns_clash_exactly_when_the_importer_reads_them_as_one_header():
    """One home for header spelling: the category check and the sheet reader never disagree."""
    from hypothesis import given
    from hypothesis import strategies as st

    from contracts_app.categories.services import _column_id
    from imports.headers import normalise_header

    slugs = st.from_regex(r"[a-z0-9]{1,4}([-_][a-z0-9]{1,4}){0,2}", fullmatch=True)

    @given(slugs, slugs)
    def agree(a: str, b: str) -> None:
        assert (_column_id(a) == _column_id(b)) == (normalise_header(a) == normalise_header(b))

    agree()
    assert _column_id("work-order") == _column_id("work_order")
