"""Pure functions of the scoring method (docs/scoring.md, docs/reallocation.md): plain values in and out."""
