"""Form fields that refuse numbers the database cannot store, instead of failing when they are compared or saved."""
from __future__ import annotations

from decimal import Decimal

from wtforms import DecimalField

LARGEST_NUMBER = Decimal("1e12")  # amounts and terms are NUMERIC(18, 6): twelve digits before the point


class FiniteDecimalField(DecimalField):
    """A DecimalField without NaN, infinity or numbers of more than twelve digits before the point."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if not valuelist or not isinstance(self.data, Decimal):
            return  # nothing typed: the field keeps its default
        if not self.data.is_finite():
            self.data = None
            raise ValueError("Not a number: write digits, e.g. 90 or 12.5.")
        if abs(self.data) >= LARGEST_NUMBER:
            self.data = None
            raise ValueError(f"Too large: at most {LARGEST_NUMBER - 1:,} (twelve digits before the point).")
