"""The scores a reallocation can weigh (SPEC §4, §3b); light, for the command line's --help."""
from __future__ import annotations

BASES = ("score", "shrunk")
BASIS_WORDS = {"score": "vendor score", "shrunk": "shrunk score"}
