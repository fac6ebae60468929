"""Vendor users (SPEC §1) reach their account, the vendor portal and the pages marked open to vendors; to them
every other city page does not exist (404, not 403: they learn nothing of what is there)."""
from __future__ import annotations

from models import Role
from tests.factories import TEST_PASSWORD, UserFactory, VendorFactory


def test_a_vendor_user_is_sent_to_its_portal_and_finds_no_city_page(client, app):
    vendor_user = UserFactory(role=Role.VENDOR, vendor=VendorFactory(name="Harbor Paving Co"))
    client.sign_in(vendor_user.email, TEST_PASSWORD)
    assert client.get("/auth/account").status_code == 200
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/vendor-portal/")
    portal = client.get("/vendor-portal/")
    assert portal.status_code == 200 and "Harbor Paving Co" in portal.get_data(as_text=True)
    for path in ("/contracts/", "/vendors/", "/rankings/", "/payments/", "/categories/", "/library/",
                 "/recommendations/", "/admin/users", "/admin/audit"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.get_data(as_text=True)


def test_the_vendor_menu_offers_only_the_vendors_own_pages(client, app):
    vendor_user = UserFactory(role=Role.VENDOR, vendor=VendorFactory(name="Harbor Paving Co"))
    client.sign_in(vendor_user.email, TEST_PASSWORD)
    html = client.get("/vendor-portal/").get_data(as_text=True)
    assert "Your contracts" in html
    for city_menu in ('href="/contracts/"', 'href="/rankings/"', 'href="/vendors/"'):
        assert city_menu not in html, city_menu


def test_a_vendor_account_without_a_vendor_sees_nothing_and_is_told_why(client, app):
    orphan = UserFactory(role=Role.VENDOR, vendor=None)
    client.sign_in(orphan.email, TEST_PASSWORD)
    page = client.get("/vendor-portal/")
    assert page.status_code == 200 and "not linked to a vendor" in page.get_data(as_text=True)
