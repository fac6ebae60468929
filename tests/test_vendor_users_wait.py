"""Vendor users (SPEC §1) reach their account, the vendor portal and the pages marked open to vendors; to them
every other city page does not exist (404, not 403: they learn nothing of what is there)."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

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
    for path in ("/notifications/", "/action-plans/"):
        assert client.get(path).status_code == 200, path
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


def test_the_database_refuses_a_vendor_user_without_a_vendor_and_a_city_user_with_one(session):
    vendor_user = UserFactory(role=Role.VENDOR, vendor=VendorFactory(name="Harbor Paving Co"))
    city_user = UserFactory(role=Role.FINANCE)
    for user_id, vendor_id in ((vendor_user.id, None), (city_user.id, vendor_user.vendor_id)):
        with pytest.raises(IntegrityError):
            with session.begin_nested():
                session.execute(text("UPDATE users SET vendor_id = :v WHERE id = :id"), {"v": vendor_id, "id": user_id})


def test_single_sign_on_cannot_make_vendor_users(tmp_path):
    """A city group says nothing of which vendor a person works for: mapping one to the vendor role stops the app."""
    from contracts_app import create_app

    with pytest.raises(ValueError, match="maps a city group to the vendor role"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
                    "OIDC_ISSUER": "https://login.city.example", "OIDC_GROUP_ROLES": "contractors=vendor"})
