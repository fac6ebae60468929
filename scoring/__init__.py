"""Pure functions of the scoring method (SPEC §3, §4): plain values in, plain values out."""
