"""Corrective action plans (SPEC §9)."""
