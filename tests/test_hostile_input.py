"""Input anyone can type never makes a server error: every route, every role, hostile values everywhere.

The walk is built from `app.url_map`: each URL variable, each query parameter a page reads and each
field of each form a page shows gets values that used to end in a 500 (ids past the database's
integer range, a NUL byte, `1e308`, years outside 1900-2999). Every answer must be a page, a
redirect, a 404 or a 400 with a message; on PostgreSQL (TEST_DATABASE_URL) too.
"""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode, urlsplit

import lxml.html
import pytest
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

from models import Role
from tests.factories import TEST_PASSWORD, ContractPeriodScoreFactory
from tests.test_access import ENDPOINT_ARGUMENTS, QUERY_STRINGS, URL_ARGUMENTS, World, world  # noqa: F401  (the fixture)

SKIPPED_ENDPOINTS = {"static", "bootstrap.static"}
HOSTILE_INTEGERS = ["2147483648", "9223372036854775808", "99999999999999999999999"]
HOSTILE_TEXT = ["a\x00b", "0001-01", "9999-12", "1e308", "x" * 300]
HOSTILE_VALUES = ["a\x00b", "2147483648", "99999999999999999999999", "1e308", "nan", "0001-01", "9999-12", "-1",
                  "x" * 300]
# A parameter no view reads can't break it: each page's are found by recording what it asks for.
EXPECTED_PARAMETERS = {"page", "period", "volume", "window", "category", "months", "floor", "gamma", "template"}
RECOMMENDATION_QUERY = {"category": "", "period": "2026-07", "volume": "100", "window": "6", "floor": "0.1",
                        "gamma": "2"}


def _allowed(app, rule) -> tuple[Role, ...]:
    return tuple(getattr(app.view_functions[rule.endpoint], "required_roles", tuple(Role)))


def _rules(app):
    return [rule for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
            if rule.endpoint not in SKIPPED_ENDPOINTS]


def _path(rule, world, **replace) -> str:
    defaults = {**{arg: URL_ARGUMENTS[arg](world) for arg in rule.arguments}, **ENDPOINT_ARGUMENTS.get(rule.endpoint, {})}
    values = {arg: replace.get(arg, defaults[arg]) for arg in rule.arguments}
    _domain, path = rule.build(values, append_unknown=False)
    return path


def _baseline_query(rule, world) -> dict:
    if rule.endpoint.startswith("recommendations.new"):
        return {**RECOMMENDATION_QUERY, "category": world.contract.category.slug}
    query = QUERY_STRINGS.get(rule.endpoint, "").lstrip("?")
    return dict(pair.split("=", 1) for pair in query.split("&") if pair)


READ: set[str] = set()


class RecordingParameters(ImmutableMultiDict):
    """Query and form parameters that note each name a view asks for, so the walk tries exactly those."""

    def __getitem__(self, key):
        READ.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):
        READ.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        READ.add(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        READ.add(key)
        return super().__contains__(key)


class RecordingRequest(Request):
    parameter_storage_class = RecordingParameters


class Walk:
    """Sends requests and collects every one that ended in a server error."""

    def __init__(self):
        self.errors: list[str] = []
        self.count = 0

    def send(self, client, method: str, path: str, what: str, **kwargs):
        self.count += 1
        try:
            response = client.open(path, method=method, **kwargs)
        except Exception as exc:  # TESTING propagates what would be a 500
            self.errors.append(f"{what}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
            return None
        if response.status_code >= 500:
            self.errors.append(f"{what}: answered {response.status_code}")
        return response


@pytest.fixture
def signed_in(app, world):
    ContractPeriodScoreFactory(contract=world.contract, period="2026-01", invoice_amount=Decimal("1000.00"))
    clients = {}
    for role, user in world.users.items():
        client = app.test_client()
        assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
        clients[role] = client
    return clients


def test_hostile_url_variables_never_make_a_server_error(app, client, world, signed_in):
    walk = Walk()
    tokens = {role: c.csrf_token("/auth/account") for role, c in signed_in.items()} | {"anonymous": client.csrf_token()}
    for rule in _rules(app):
        for arg in rule.arguments:
            hostile = HOSTILE_INTEGERS if "int" in type(rule._converters[arg]).__name__.lower() else HOSTILE_TEXT
            for value in hostile:
                try:
                    path = _path(rule, world, **{arg: value})
                except Exception:
                    continue  # the converter itself refuses to build it: the router can't receive it either
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    for role, role_client in [("anonymous", client), *signed_in.items()]:
                        kwargs = {"data": {"csrf_token": tokens[role]}} if method == "POST" else {}
                        walk.send(role_client, method, path, f"{getattr(role, 'value', role)} {method} {path!r}",
                                  **kwargs)
    assert walk.count > 100
    assert not walk.errors, f"{len(walk.errors)} server errors:\n" + "\n".join(walk.errors)


def test_a_nul_byte_anywhere_in_the_path_is_refused_with_a_message(client, signed_in):
    for path in ("/contracts/%00", "/auth/sign-in%00", "/vendors/1%00"):
        for who in (client, signed_in[Role.ADMIN]):
            response = who.get(path)
            assert response.status_code in (400, 404), path
    response = signed_in[Role.ADMIN].get("/contracts/%00")
    assert response.status_code == 400
    assert "control character" in response.get_data(as_text=True)


def test_hostile_query_parameters_never_make_a_server_error(app, world, signed_in, monkeypatch):
    monkeypatch.setattr(app, "request_class", RecordingRequest)
    walk = Walk()
    tried: set[str] = set()
    for rule in _rules(app):
        if "GET" not in rule.methods or rule.endpoint == "auth.sign_in":
            continue
        allowed = _allowed(app, rule)
        role = Role.CONTRACT_MANAGER if Role.CONTRACT_MANAGER in allowed else allowed[0]
        path = _path(rule, world)
        baseline = _baseline_query(rule, world)
        READ.clear()
        walk.send(signed_in[role], "GET", f"{path}?{urlencode(baseline)}", f"{role.value} GET {path} (baseline)")
        names = sorted((READ | set(baseline)) - {"csrf_token"})
        tried.update(names)
        for name in names:
            for value in HOSTILE_VALUES:
                query = urlencode({**baseline, name: value})
                walk.send(signed_in[role], "GET", f"{path}?{query}", f"{role.value} GET {path}?{name}={value[:20]!r}")
    for value in HOSTILE_VALUES:  # the sign-in page, before anyone signs in
        walk.send(app.test_client(), "GET", "/auth/sign-in?" + urlencode({"next": value}), f"anonymous next={value!r}")
    assert EXPECTED_PARAMETERS <= tried, f"parameters the pages read were not found: {EXPECTED_PARAMETERS - tried}"
    assert not walk.errors, f"{len(walk.errors)} server errors:\n" + "\n".join(walk.errors)


def _forms(html: str, page: str) -> list[tuple[str, dict]]:
    """(action path, baseline fields) of every POST form on a page, as a browser would send them."""
    out = []
    for form in lxml.html.fromstring(html).forms:
        if (form.method or "GET").upper() != "POST":
            continue
        fields = {}
        for element in form.inputs:
            name = element.get("name")
            if not name or element.get("type") in ("file", "submit"):
                continue
            if element.tag == "select":
                options = element.value_options
                fields[name] = element.value if element.value else (options[0] if options else "")
            elif element.get("type") in ("checkbox", "radio"):
                if element.checked:
                    fields[name] = element.get("value", "on")
            else:
                fields[name] = element.value or ""
        out.append((urlsplit(form.action or page).path or page, fields))
    return out


def test_hostile_form_fields_never_make_a_server_error(app, world, signed_in):
    walk = Walk()
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for rule in _rules(app):
        if "GET" not in rule.methods or rule.endpoint == "auth.sign_in":
            continue
        allowed = _allowed(app, rule)
        role = Role.CONTRACT_MANAGER if Role.CONTRACT_MANAGER in allowed else allowed[0]
        page = _path(rule, world)
        response = signed_in[role].get(page)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        for action, fields in _forms(response.get_data(as_text=True), page):
            if action == "/auth/sign-out" or (action, tuple(sorted(fields))) in seen:
                continue
            seen.add((action, tuple(sorted(fields))))
            for name in fields:
                if name == "csrf_token":
                    continue
                for value in HOSTILE_VALUES:
                    walk.send(signed_in[role], "POST", action, f"{role.value} POST {action} {name}={value[:20]!r}",
                              data={**fields, name: value})
    assert len(seen) >= 8, f"too few forms found: {sorted(seen)}"
    anonymous = app.test_client()
    token = anonymous.csrf_token()
    for name in ("email", "password", "next"):
        for value in HOSTILE_VALUES:
            data = {"email": "nobody@city.test", "password": "wrong", "next": "/", "csrf_token": token, name: value}
            walk.send(anonymous, "POST", "/auth/sign-in", f"anonymous sign-in {name}={value[:20]!r}", data=data)
    assert not walk.errors, f"{len(walk.errors)} server errors:\n" + "\n".join(walk.errors)
