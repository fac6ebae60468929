"""The Open Contracting Data Standard export (README "Open Contracting (OCDS) export")."""
