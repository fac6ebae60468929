"""The read-only JSON API for the city's BI tools (issue 16), under /api/v1, authenticated by personal tokens."""
