"""The clause library: the seeded templates, and reading, creating, editing, retiring and restoring them."""
from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from contracts_app.library.templates_seed import CATEGORIES, TEMPLATES, seed_clause_library
from models import Aggregation, AuditEvent, ClauseTemplate, Direction, Role, ServiceCategory
from scoring.clause_rules import clause_problems
from tests.factories import TEST_PASSWORD, CategoryFactory, ClauseTemplateFactory, UserFactory

FIVE_CATEGORIES = ["asphalt-resurfacing", "pothole-repair", "street-light-repair", "snow-removal", "refuse-collection"]
FORM_FIELDS = [
    "category_id", "key", "label", "unit", "direction", "aggregation", "curve", "target", "minimum", "weight",
    "incentive_pct", "penalty_pct", "valid_min", "valid_max", "aliases", "row_standard", "row_direction",
    "denominator", "scale", "cap", "language",
]


# --- helpers ------------------------------------------------------------------------------------

def _text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _text(response) -> str:
    return _text_of(response.get_data(as_text=True))


def _field_tag(html: str, name: str) -> re.Match:
    match = re.search(rf'<(input|select|textarea)\b[^>]*\bname="{name}"[^>]*>', html)
    assert match, f"no form field named {name}"
    return match


def _field_block(html: str, name: str) -> str:
    """The markup from the field's own tag to the start of the next field's block: its errors and help."""
    tag = _field_tag(html, name)
    rest = html[tag.start():]
    end = re.search(r'<div class="mb-3">|</fieldset>', rest[1:])
    return rest[: end.start() + 1] if end else rest


def _field_errors(html: str, name: str) -> list[str]:
    return [unescape(m).strip() for m in re.findall(r'<div class="invalid-feedback">(.*?)</div>', _field_block(html, name))]


def _field_marked_invalid(html: str, name: str) -> bool:
    classes = re.search(r'\bclass="([^"]*)"', _field_tag(html, name).group(0))
    return bool(classes) and "is-invalid" in classes.group(1).split()


def _field_value(html: str, name: str) -> str | None:
    tag = _field_tag(html, name)
    kind = tag.group(1)
    if kind == "input":
        value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
        return unescape(value.group(1)) if value else ""
    closing = html.index(f"</{kind}>", tag.end())
    inner = html[tag.end():closing]
    if kind == "textarea":
        return unescape(inner).strip()
    selected = re.search(r'<option\b[^>]*\bselected[^>]*\bvalue="([^"]*)"|<option\b[^>]*\bvalue="([^"]*)"[^>]*\bselected', inner)
    if selected is None:
        return None
    return unescape(selected.group(1) if selected.group(1) is not None else selected.group(2))


def _count(session, model=ClauseTemplate, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _form(category: ServiceCategory, **overrides) -> dict:
    data = {
        "category_id": str(category.id),
        "key": "repaired_48h",
        "label": "Potholes repaired within 48 hours of the report",
        "unit": "%",
        "direction": "higher",
        "aggregation": "percent_true",
        "curve": "linear",
        "target": "90",
        "minimum": "75",
        "weight": "35",
        "incentive_pct": "1.5",
        "penalty_pct": "2",
        "valid_min": "",
        "valid_max": "",
        "aliases": "within 48h, repaired within 48 hours",
        "row_standard": "",
        "row_direction": "",
        "denominator": "",
        "scale": "1",
        "cap": "1",
        "language": "At least 90% of potholes shall be repaired within 48 hours.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def procurement(session, client):
    user = UserFactory(role=Role.PROCUREMENT, email="pat.procurement@springfield.gov")
    session.flush()  # the password is set after the factory's own flush
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    return user


@pytest.fixture
def category(session):
    return CategoryFactory(slug="pothole-repair", name="Pothole repair", unit="work order")


# --- the seeded library ---------------------------------------------------------------------------

def test_seeding_gives_at_least_four_sound_templates_per_category_weighing_100(session):
    report = seed_clause_library()

    assert report.templates_created == sum(len(t) for t in TEMPLATES.values())
    for slug in FIVE_CATEGORIES:
        category = session.scalars(select(ServiceCategory).where(ServiceCategory.slug == slug)).one()
        assert category.unit and category.date_column and category.context_columns
        assert category.row_key == ("route_run_id" if slug == "refuse-collection" else "work_order_id")
        templates = list(session.scalars(select(ClauseTemplate).where(ClauseTemplate.category_id == category.id)))
        assert len(templates) >= 4, slug
        assert sum(t.weight for t in templates) == Decimal("100"), slug
        for template in templates:
            assert clause_problems(template.plain_terms()) == [], f"{slug}/{template.key}"
            assert template.label and template.unit and template.aliases and template.language
            assert template.weight > 0 and not template.retired
        assert any(t.incentive_pct > 0 for t in templates) and all(t.penalty_pct >= 0 for t in templates)
    # the kinds of clause the brief asks for are there
    keys = {(t.category.slug, t.key): t
            for t in session.scalars(select(ClauseTemplate).options(joinedload(ClauseTemplate.category)))}
    assert keys[("pothole-repair", "repaired_48h")].aggregation.value == "percent_true"
    assert keys[("snow-removal", "routes_cleared_12h")].target == 95
    assert ("snow-removal", "bike_lanes_cleared") in keys
    missed = keys[("refuse-collection", "missed_pickups")]
    assert missed.aggregation.value == "ratio" and missed.denominator == "households" and missed.scale == 10000
    assert ("refuse-collection", "complaints_resolved_2d") in keys
    assert ("street-light-repair", "repaired_72h") in keys and ("street-light-repair", "repeat_failure") in keys
    # each creation is audited with what was created
    created = _events(session, "clause_template_created")
    assert len(created) == report.templates_created
    assert all(e.after and e.after["key"] for e in created)


def test_seeding_twice_adds_nothing(session):
    seed_clause_library()
    counts = (_count(session), _count(session, ServiceCategory), _count(session, AuditEvent))

    report = seed_clause_library()

    assert not report.changed
    assert (_count(session), _count(session, ServiceCategory), _count(session, AuditEvent)) == counts


def test_seeding_never_overwrites_an_edited_or_retired_template_nor_an_existing_category(session):
    existing = CategoryFactory(slug="snow-removal", name="Snow and ice control", unit="route")
    ClauseTemplateFactory(category=existing, key="routes_cleared_12h", target=Decimal("85"), minimum=Decimal("60"))
    seed_clause_library()
    pothole = session.scalars(select(ClauseTemplate).join(ServiceCategory)
                              .where(ServiceCategory.slug == "pothole-repair", ClauseTemplate.key == "repaired_48h")).one()
    pothole.target = Decimal("93")
    pothole.retired = True
    session.flush()

    seed_clause_library()

    session.refresh(pothole)
    assert pothole.target == Decimal("93") and pothole.retired
    assert (existing.name, existing.unit) == ("Snow and ice control", "route")
    kept = session.scalars(select(ClauseTemplate).where(ClauseTemplate.category_id == existing.id,
                                                        ClauseTemplate.key == "routes_cleared_12h")).one()
    assert kept.target == Decimal("85")
    # the templates missing from the existing category were added beside it
    assert _count(session, ClauseTemplate, ClauseTemplate.category_id == existing.id) == len(TEMPLATES["snow-removal"])


def test_seed_categories_match_the_demo_city_where_both_define_them():
    from contracts_app.demo.city import demo_contracts_file

    ours = {c["slug"]: c for c in CATEGORIES}
    for theirs in demo_contracts_file()["categories"]:
        assert ours[theirs["slug"]] == theirs


def test_seed_demo_fills_the_library(cli, session):
    assert cli.invoke(args=["seed-demo"]).exit_code == 0
    for slug in FIVE_CATEGORIES:
        assert _count(session, ClauseTemplate, ClauseTemplate.category.has(ServiceCategory.slug == slug)) >= 4


# --- reading the library -----------------------------------------------------------------------------

def test_everyone_signed_in_reads_the_library_grouped_by_category(session, client):
    seed_clause_library()
    finance = UserFactory(role=Role.FINANCE)
    session.flush()
    client.sign_in(finance.email, TEST_PASSWORD)

    response = client.get("/library/")

    assert response.status_code == 200
    text = _text(response)
    for values in CATEGORIES:
        assert values["name"] in text
    assert "missed_pickups" in text and "bike_lanes_cleared" in text
    assert "New template" not in text and "Retire" not in text, "finance reads but does not change the library"
    html = response.get_data(as_text=True)
    assert " style=" not in html and "<script>" not in html, "the CSP allows no inline style or script"


def test_category_filter_shows_only_that_category(session, client, procurement):
    seed_clause_library()

    text = _text(client.get("/library/?category=snow-removal"))

    assert "routes_cleared_12h" in text
    assert "missed_pickups" not in text and "repaired_48h" not in text
    assert client.get("/library/?category=no-such-thing").status_code == 404


# --- creating ----------------------------------------------------------------------------------------

def test_procurement_creates_a_template_through_the_form(session, client, procurement, category):
    form = client.get("/library/new")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    for name in FORM_FIELDS:
        _field_tag(html, name)
        assert f'id="{name}-help"' in html, f"{name} has no help text"
    assert " style=" not in html

    response = client.post_form("/library/new", _form(category))

    assert response.status_code == 302
    template = session.scalars(select(ClauseTemplate).where(ClauseTemplate.key == "repaired_48h")).one()
    assert template.category_id == category.id
    assert (template.target, template.minimum, template.weight) == (Decimal("90"), Decimal("75"), Decimal("35"))
    assert (template.incentive_pct, template.penalty_pct) == (Decimal("1.5"), Decimal("2"))
    assert template.aliases == ["within 48h", "repaired within 48 hours"]
    assert template.direction.value == "higher" and template.aggregation.value == "percent_true"
    assert template.row_direction is None and template.denominator is None and not template.retired
    [event] = _events(session, "clause_template_created")
    assert event.before is None
    assert event.after["key"] == "repaired_48h" and Decimal(event.after["target"]) == 90
    assert event.user_id == procurement.id and event.object_id == str(template.id)
    page = _text(client.get(response.headers["Location"]))
    assert "added to the Pothole repair library" in page
    assert "repaired_48h" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param({"direction": "higher", "target": "90", "minimum": "95"}, "minimum",
                     "must be below the target 90 when higher is better, not 95", id="minimum-wrong-side-higher"),
        pytest.param({"direction": "lower", "aggregation": "median", "target": "48", "minimum": "24",
                      "valid_min": "0", "valid_max": "2000"}, "minimum",
                     "must be above the target 48 when lower is better, not 24", id="minimum-wrong-side-lower"),
        pytest.param({"aggregation": "ratio", "denominator": ""}, "denominator",
                     "is required for the ratio aggregation", id="ratio-without-denominator"),
        pytest.param({"aggregation": "percent_meeting", "row_standard": "", "row_direction": "lower"}, "row_standard",
                     "is required for percent_meeting", id="percent-meeting-without-row-standard"),
        pytest.param({"aggregation": "percent_meeting", "row_standard": "95", "row_direction": ""}, "row_direction",
                     "is required for percent_meeting", id="percent-meeting-without-row-direction"),
        pytest.param({"curve": "linear", "minimum": ""}, "minimum",
                     "is required for the linear curve", id="linear-without-minimum"),
        pytest.param({"weight": "0"}, "weight", "must be more than 0", id="zero-weight"),
        pytest.param({"curve": "ratio", "target": "0", "minimum": ""}, "target",
                     "must be more than 0 for the ratio curve", id="ratio-curve-target-zero"),
        pytest.param({"target": "ninety"}, "target", "is not a number", id="target-not-a-number"),
        pytest.param({"key": "Repaired 48h"}, "key", "lower-case letters", id="key-not-a-slug"),
        pytest.param({"aggregation": "mean", "valid_min": "0", "valid_max": "80"}, "target",
                     "above the valid range maximum 80", id="target-outside-valid-range"),
    ],
)
def test_an_unsound_template_is_refused_next_to_the_field_with_the_typed_values_kept(
    session, client, procurement, category, overrides, field, message
):
    data = _form(category, **overrides)
    before = _count(session)

    response = client.post_form("/library/new", data)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert any(message in error for error in _field_errors(html, field)), (field, _field_errors(html, field))
    assert _field_marked_invalid(html, field)
    assert "not saved" in _text(response)
    for name, value in data.items():
        assert _field_value(html, name) == value, f"{name}: the typed value was not kept"
    assert _count(session) == before
    assert _events(session, "clause_template_created") == []


def test_a_key_already_in_the_category_is_refused_but_other_categories_may_use_it(session, client, procurement, category):
    ClauseTemplateFactory(category=category, key="repaired_48h")
    other = CategoryFactory(slug="street-light-repair", name="Street-light repair")

    refused = client.post_form("/library/new", _form(category))
    assert refused.status_code == 200
    assert any("already has a template with the key repaired_48h" in e
               for e in _field_errors(refused.get_data(as_text=True), "key"))
    assert _count(session, ClauseTemplate, ClauseTemplate.key == "repaired_48h") == 1

    accepted = client.post_form("/library/new", _form(other))
    assert accepted.status_code == 302
    assert _count(session, ClauseTemplate, ClauseTemplate.key == "repaired_48h") == 2


def test_a_template_needs_a_category(session, client, procurement, category):
    response = client.post_form("/library/new", _form(category, category_id=""))
    assert response.status_code == 200
    assert _field_errors(response.get_data(as_text=True), "category_id")
    assert _count(session) == 0


def test_the_new_form_starts_in_the_category_being_browsed(session, client, procurement, category):
    html = client.get("/library/new?category=pothole-repair").get_data(as_text=True)
    assert _field_value(html, "category_id") == str(category.id)


# --- editing, retiring, restoring ---------------------------------------------------------------------

def test_editing_records_before_and_after(session, client, procurement, category):
    template = ClauseTemplateFactory(category=category, key="repair_hours", label="Median hours to repair",
                                     unit="hours", direction=Direction.LOWER, aggregation=Aggregation.MEDIAN,
                                     target=Decimal("48"),
                                     minimum=Decimal("96"), weight=Decimal("20"), valid_min=Decimal("0"),
                                     valid_max=Decimal("2000"), aliases=["hours to repair"])
    session.flush()
    page = client.get(f"/library/{template.id}/edit").get_data(as_text=True)
    assert _field_value(page, "target") == "48" and _field_value(page, "aliases") == "hours to repair"
    assert _field_value(page, "direction") == "lower" and _field_value(page, "aggregation") == "median"
    data = {name: _field_value(page, name) or "" for name in FORM_FIELDS}

    response = client.post_form(f"/library/{template.id}/edit", {**data, "target": "36", "minimum": "72"})

    assert response.status_code == 302
    session.refresh(template)
    assert (template.target, template.minimum) == (Decimal("36"), Decimal("72"))
    [event] = _events(session, "clause_template_updated")
    assert Decimal(event.before["target"]) == 48 and Decimal(event.after["target"]) == 36
    assert Decimal(event.before["minimum"]) == 96 and Decimal(event.after["minimum"]) == 72
    assert event.before["key"] == event.after["key"] == "repair_hours"
    assert event.user_id == procurement.id
    assert "saved" in _text(client.get(response.headers["Location"]))

    # saving the form unchanged records nothing
    unchanged = client.post_form(f"/library/{template.id}/edit", {**data, "target": "36", "minimum": "72"})
    assert unchanged.status_code == 302
    assert len(_events(session, "clause_template_updated")) == 1
    assert "Nothing changed" in _text(client.get(unchanged.headers["Location"]))


def test_an_invalid_edit_changes_nothing(session, client, procurement, category):
    template = ClauseTemplateFactory(category=category, key="pci_after")
    session.flush()
    page = client.get(f"/library/{template.id}/edit").get_data(as_text=True)
    data = {name: _field_value(page, name) or "" for name in FORM_FIELDS}

    response = client.post_form(f"/library/{template.id}/edit", {**data, "minimum": "95"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert any("must be below the target 90" in e for e in _field_errors(html, "minimum"))
    assert _field_value(html, "minimum") == "95"
    session.refresh(template)
    assert template.minimum == Decimal("80")
    assert _events(session, "clause_template_updated") == []


def test_retiring_hides_a_template_from_the_default_list_and_restoring_brings_it_back(session, client, procurement, category):
    ClauseTemplateFactory(category=category, key="site_cleared", weight=Decimal("10"))
    retired = ClauseTemplateFactory(category=category, key="repeat_pothole", weight=Decimal("10"))
    session.flush()

    response = client.post_form(f"/library/{retired.id}/retire", {}, token_from="/library/")

    assert response.status_code == 302
    session.refresh(retired)
    assert retired.retired
    [event] = _events(session, "clause_template_retired")
    assert event.before["retired"] is False and event.after["retired"] is True
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Clause template repeat_pothole retired" in _text_of(listing)
    assert 'data-template="repeat_pothole"' not in listing and 'data-template="site_cleared"' in listing
    default = client.get("/library/").get_data(as_text=True)
    assert 'data-template="repeat_pothole"' not in default and 'data-template="site_cleared"' in default
    assert "1 retired template hidden" in _text_of(default)

    with_retired = client.get("/library/?retired=1").get_data(as_text=True)
    row = re.search(r'<tr class="([^"]*)" data-template="repeat_pothole">(.*?)</tr>', with_retired, re.S)
    assert row, "the retired template is listed with ?retired=1"
    assert "table-secondary" in row.group(1), "retired templates are greyed"
    assert "Retired" in row.group(2) and "Restore" in row.group(2)

    restored = client.post_form(f"/library/{retired.id}/restore", {}, token_from="/library/")
    assert restored.status_code == 302
    session.refresh(retired)
    assert not retired.retired
    [event] = _events(session, "clause_template_restored")
    assert event.before["retired"] is True and event.after["retired"] is False
    assert 'data-template="repeat_pothole"' in client.get("/library/").get_data(as_text=True)


# --- who may change it ----------------------------------------------------------------------------------

def test_finance_cannot_create_edit_or_retire_and_nothing_is_stored(session, client, category):
    finance = UserFactory(role=Role.FINANCE)
    template = ClauseTemplateFactory(category=category, key="pci_after")
    session.flush()
    client.sign_in(finance.email, TEST_PASSWORD)
    before = (_count(session), _count(session, AuditEvent, AuditEvent.action.like("clause_template_%")))

    assert client.get("/library/new").status_code == 403
    assert client.post_form("/library/new", _form(category), token_from="/library/").status_code == 403
    assert client.get(f"/library/{template.id}/edit").status_code == 403
    edit = client.post_form(f"/library/{template.id}/edit", _form(category, key="pci_after", target="99"),
                            token_from="/library/")
    assert edit.status_code == 403
    assert client.post_form(f"/library/{template.id}/retire", {}, token_from="/library/").status_code == 403

    assert (_count(session), _count(session, AuditEvent, AuditEvent.action.like("clause_template_%"))) == before
    session.refresh(template)
    assert template.target == Decimal("90") and not template.retired


def test_admin_may_change_the_library(session, client, category):
    admin = UserFactory(role=Role.ADMIN)
    session.flush()
    client.sign_in(admin.email, TEST_PASSWORD)
    assert client.post_form("/library/new", _form(category)).status_code == 302
    assert _count(session) == 1


def test_unknown_template_is_404(session, client, procurement):
    assert client.get("/library/999999/edit").status_code == 404
    assert client.post_form("/library/999999/retire", {}, token_from="/library/").status_code == 404
