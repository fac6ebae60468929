"""Concepts with one home: pages that show the same number get it from the same code."""
from __future__ import annotations

import pytest

from contracts_app.rankings.standings import period_composites
from contracts_app.vendors.services import _period_composites as vendor_page_composites
from scoring.rankings import vendor_period_composite
from tests.factories import CategoryFactory, ContractFactory, ContractPeriodScoreFactory, VendorFactory


def test_the_vendor_page_and_the_rankings_agree_on_a_vendors_period_composite(app):
    category, vendor = CategoryFactory(), VendorFactory()
    north, south = ContractFactory(vendor=vendor, category=category), ContractFactory(vendor=vendor, category=category)
    months = {"2026-01": [(north, 91.25, 37), (south, 62.5, 3)], "2026-02": [(north, 70.0, 10), (south, None, 0)]}
    for period, scores in months.items():
        for contract, composite, observations in scores:
            ContractPeriodScoreFactory(contract=contract, period=period, composite=composite, observations=observations)
    in_rankings = period_composites(category, "2026-01", "2026-02", {vendor.id})[vendor.id]
    on_vendor_page = vendor_page_composites(vendor, category, "2026-01", "2026-02")
    for period, scores in months.items():
        expected = vendor_period_composite([(composite, n) for _, composite, n in scores])
        assert in_rankings[period][0] == pytest.approx(expected, abs=1e-9)
        assert on_vendor_page[period] == pytest.approx(expected, abs=1e-9)
