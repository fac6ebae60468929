"""Stored scores: recomputed where data changed (recompute), and the commands that print them."""
