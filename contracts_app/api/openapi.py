"""The OpenAPI 3.1 description of /api/v1, written as one Python structure (served at /api/v1/openapi.json)."""
from __future__ import annotations

from functools import cache

NUM = {"type": ["number", "null"]}
INT = {"type": "integer"}
STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
MONEY = {"type": ["string", "null"], "pattern": r"^-?[0-9]+\.[0-9]{2}$", "description": "money, two decimals"}
REVIEW = {"type": "string", "enum": ["provisional", "disputed", "final"]}
PERIOD = {"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$"}
SLUG = {"type": "string", "pattern": r"^[a-z0-9-]{1,80}$"}
TEXT = {"type": "string", "pattern": r"^[^\u0000-\u001f\u007f]{1,100}$", "description": "no control characters"}


def _obj(properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": properties, "required": required or list(properties)}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(item: str, **meta) -> dict:
    return _obj({"data": {"type": "array", "items": _ref(item)},
                 "meta": _obj({"total": INT, "page": INT, "per_page": INT, "pages": INT, **meta}),
                 "links": _ref("Links")})


def _param(name: str, description: str, schema: dict, where: str = "query", required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required, "description": description, "schema": schema}


PAGING = [_param("page", "Page number, from 1.", {"type": "integer", "minimum": 1, "maximum": 100000}),
          _param("per_page", "Records per page, 1 to 200 (default 50).", {"type": "integer", "minimum": 1,
                                                                              "maximum": 200})]
MONTHS = [_param("period", "One month, YYYY-MM.", PERIOD), _param("from", "First month, YYYY-MM.", PERIOD),
          _param("to", "Last month, YYYY-MM.", PERIOD)]
CATEGORY = _param("category", "A service category's slug.", SLUG)


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


ERRORS = {"400": _error("A parameter is invalid; the message names it."),
          "401": _error("No token, or the token is invalid, expired or revoked."),
          "403": _error("The token's role or scope does not allow this."),
          "404": _error("Not found, or not yours to see."), "405": _error("The API is read-only.")}


def _get(summary: str, schema: dict, parameters: list | None = None, etag: bool = True) -> dict:
    responses = {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}, **ERRORS}
    if etag:
        responses["200"]["headers"] = {"ETag": {"schema": STR, "description": "Weak ETag of the data version."}}
        responses["304"] = {"description": "Not modified since the ETag sent in If-None-Match."}
    params = list(parameters or [])
    if etag:
        params.append({"name": "If-None-Match", "in": "header", "required": False, "schema": STR})
    return {"get": {"summary": summary, "parameters": params, "responses": responses}}


SCHEMAS = {
    "Error": _obj({"error": _obj({"code": STR, "message": STR})}),
    "Links": _obj({"self": STR, "next": NSTR, "prev": NSTR}),
    "Category": _obj({"id": INT, "slug": STR, "name": STR, "unit": STR, "row_key": STR, "review_days": INT}),
    "Vendor": _obj({"id": INT, "name": STR}),
    "ClauseVersion": _obj({"effective_from": PERIOD, "retired": {"type": "boolean"}, "label": STR, "unit": STR,
                           "direction": STR, "aggregation": STR, "curve": STR, "aliases": {"type": "array"},
                           "language": STR, "amendment_reason": NSTR, "target": NUM, "minimum": NUM, "weight": NUM,
                           "incentive_pct": NUM, "penalty_pct": NUM, "valid_min": NUM, "valid_max": NUM,
                           "row_standard": NUM, "scale": NUM, "cap": NUM}),
    "Contract": _obj({"id": INT, "number": STR, "title": STR, "vendor": _ref("Vendor"), "category": STR,
                      "start_date": STR, "end_date": STR, "value": MONEY, "status": STR, "capacity": NUM,
                      "incentive_cap": NUM, "penalty_cap": NUM,
                      "clauses": {"type": "array", "items": _obj({"key": STR, "versions": {
                          "type": "array", "items": _ref("ClauseVersion")}})}}),
    "ClauseResult": _obj({"key": STR, "value": NUM, "attainment": NUM, "status": STR, "observations": INT}),
    "Score": _obj({"contract": STR, "contract_id": INT, "period": PERIOD, "composite": NUM, "coverage": NUM,
                   "observations": INT, "review": REVIEW, "review_closes_at": NSTR, "open_disputes": INT,
                   "clauses": {"type": "array", "items": _ref("ClauseResult")}}),
    "Ranking": _obj({"vendor": STR, "vendor_id": {"type": ["integer", "null"]}, "score": NUM,
                     "rank": {"type": ["integer", "null"]}, "insufficient_data": {"type": "boolean"},
                     "probation": {"type": "boolean"}, "periods": INT, "observations": INT, "met": INT,
                     "partial": INT, "failed": INT, "reasons": {"type": "array", "items": STR},
                     "shrunk_score": NUM, "interval_low": NUM, "interval_high": NUM,
                     "comparison": {"type": ["string", "null"], "enum": ["above", "within", "below", None]},
                     "rank_range": {"type": ["array", "null"], "items": INT}, "review": REVIEW,
                     "months_not_final": {"type": "array", "items": STR}}),
    "RecommendationLine": _obj({"vendor": STR, "vendor_id": INT, "score": NUM, "rank": {"type": ["integer", "null"]},
                                "insufficient_data": {"type": "boolean"}, "probation": {"type": "boolean"},
                                "share_before": NUM, "share": NUM, "volume": NUM, "capacity": NUM, "reason": STR}),
    "Recommendation": _obj({"id": INT, "category": STR, "period": PERIOD, "volume": NUM, "window": INT,
                            "floor": NUM, "gamma": NUM, "basis": STR, "unallocated": NUM, "approved_at": NSTR,
                            "lines": {"type": "array", "items": _ref("RecommendationLine")}}),
    "Payment": _obj({"contract": STR, "contract_id": INT, "vendor": STR, "category": STR, "period": PERIOD,
                     "state": {"type": "string", "enum": ["adjusted", "awaiting_invoice", "no_sheet"]},
                     "invoice": MONEY, "bonus": MONEY, "penalty": MONEY, "net": MONEY, "held": {"type": "boolean"},
                     "review": REVIEW, "composite": NUM, "coverage": NUM, "observations": INT}),
}

PATHS = {
    "/api/v1/categories": _get("Service categories (a vendor user: those it has contracts in).",
                               _list_of("Category"), PAGING),
    "/api/v1/vendors": _get("Vendors (a vendor user: only its own).", _list_of("Vendor"), PAGING),
    "/api/v1/vendors/{vendor_id}": _get("One vendor.", _obj({"data": _ref("Vendor")}),
                                        [_param("vendor_id", "Vendor id.", INT, "path", True)]),
    "/api/v1/contracts": _get("Contracts with their clauses and every clause version.", _list_of("Contract"),
                              PAGING + [CATEGORY]),
    "/api/v1/contracts/{contract_id}": _get("One contract.", _obj({"data": _ref("Contract")}),
                                            [_param("contract_id", "Contract id.", INT, "path", True)]),
    "/api/v1/scores": _get("Contract-month scores with clause results and review state (SPEC §3, §8).",
                           _list_of("Score"), PAGING + MONTHS + [_param("contract", "A contract number.", TEXT)]),
    "/api/v1/rankings": _get("Vendor ranking in a category with the §3b figures; a vendor user sees the others "
                             "anonymised.",
                             _list_of("Ranking", inputs=_obj({"category": STR, "period": NSTR, "window": INT}),
                                      category_mean=NUM, within_variance=NUM, between_variance=NUM,
                                      no_intervals=NSTR),
                             PAGING + [CATEGORY, _param("period", "The month ranked as of, YYYY-MM.", PERIOD),
                                       _param("window", "Months in the window, 1 to 60.",
                                              {"type": "integer", "minimum": 1, "maximum": 60})]),
    "/api/v1/recommendations": _get("Approved work-reallocation recommendations with their lines (finance).",
                                    _list_of("Recommendation"), PAGING + MONTHS + [CATEGORY]),
    "/api/v1/payments": _get("Invoices, bonuses, penalties, net and holds per contract month (finance, admin; "
                             "token scope read:payments). Default: the latest month with a committed sheet.",
                             _list_of("Payment"), PAGING + MONTHS + [CATEGORY]),
    "/api/v1/openapi.json": {"get": {"summary": "This document.", "security": [], "responses": {
        "200": {"description": "The OpenAPI document.", "content": {"application/json": {"schema": {
            "type": "object"}}}}}}},
}


@cache
def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Outcome tracker read-only API", "version": "1",
                 "description": "Read-only JSON for BI tools. Authenticate with a personal API token "
                                "(Account, API tokens): Authorization: Bearer <token>. Money is a string with "
                                "two decimals; months are YYYY-MM."},
        "servers": [{"url": "/"}],
        "security": [{"bearerToken": []}],
        "components": {"securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer",
                                                           "description": "A personal API token, ct_…"}},
                       "schemas": SCHEMAS},
        "paths": PATHS,
    }
