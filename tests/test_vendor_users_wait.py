"""Vendor users exist (SPEC §1) but the vendor portal does not yet: they reach their own account, nothing else."""
from __future__ import annotations

from models import Role
from tests.factories import TEST_PASSWORD, UserFactory, VendorFactory


def test_a_vendor_user_sees_no_city_page_until_the_portal_opens(client, app):
    vendor_user = UserFactory(role=Role.VENDOR, vendor=VendorFactory(name="Harbor Paving Co"))
    client.sign_in(vendor_user.email, TEST_PASSWORD)
    assert client.get("/auth/account").status_code == 200
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/auth/account")
    for path in ("/contracts/", "/vendors/", "/rankings/", "/payments/", "/categories/", "/library/"):
        response = client.get(path)
        assert response.status_code == 404, path
