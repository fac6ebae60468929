"""Vendor users (SPEC §1) reach their own account and the pages opened to vendors (@open_to_vendors);
every other city page answers 404, as if it did not exist."""
from __future__ import annotations

from models import Role
from tests.factories import TEST_PASSWORD, UserFactory, VendorFactory


def test_a_vendor_user_reaches_only_the_pages_open_to_vendors(client, app):
    vendor_user = UserFactory(role=Role.VENDOR, vendor=VendorFactory(name="Harbor Paving Co"))
    client.sign_in(vendor_user.email, TEST_PASSWORD)
    assert client.get("/auth/account").status_code == 200
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/auth/account")
    for path in ("/notifications/", "/action-plans/"):
        assert client.get(path).status_code == 200, path
    for path in ("/contracts/", "/vendors/", "/rankings/", "/payments/", "/categories/", "/library/"):
        assert client.get(path).status_code == 404, path


def test_only_marked_views_are_open_to_vendors(app):
    opened = {endpoint for endpoint, view in app.view_functions.items() if getattr(view, "open_to_vendors", False)}
    assert opened == {"notifications.index", "notifications.read_all", "notifications.read_one",
                      "action_plans.index", "action_plans.show", "action_plans.answer"}
