"""The audit log shows each event's before/after as the fields that changed (field: before → after), not JSON."""
from __future__ import annotations

from html import unescape

from contracts_app.admin.audit_diff import field_changes
from models import Role

from .factories import TEST_PASSWORD, AuditEventFactory, UserFactory


def test_only_changed_fields_are_listed_with_nested_names_and_readable_values():
    before = {"status": "draft", "value": "1500000", "capacity": None, "terms": {"target": "90", "unit": "PCI"},
              "aliases": ["PCI"], "enabled": True}
    after = {"status": "active", "value": "1500000", "capacity": "30", "terms": {"target": "93", "unit": "PCI"},
             "aliases": ["PCI", "Pavement condition"], "enabled": False, "reason": "Closed by mistake"}
    changes = {c.field: (c.before, c.after, c.kind) for c in field_changes(before, after)}
    assert changes == {
        "status": ("draft", "active", "changed"),
        "capacity": ("(empty)", "30", "changed"),
        "terms.target": ("90", "93", "changed"),
        "aliases": ("PCI", "PCI, Pavement condition", "changed"),
        "enabled": ("yes", "no", "changed"),
        "reason": (None, "Closed by mistake", "added"),
    }
    assert [(c.field, c.kind) for c in field_changes({"email": "a@b.c"}, None)] == [("email", "removed")]
    assert field_changes(None, None) == [] and field_changes({"a": 1}, {"a": 1}) == []


def test_a_very_long_value_is_cut_for_the_log():
    [change] = field_changes(None, {"language": "x" * 1000})
    assert len(change.after) == 160 and change.after.endswith("…")


def test_the_audit_log_page_shows_differences_not_json(client):
    admin = UserFactory(role=Role.ADMIN)
    AuditEventFactory(action="contract_closed", object_type="Contract", object_id=7,
                      before={"status": "active", "title": "Resurfacing"},
                      after={"status": "closed", "title": "Resurfacing"})
    assert client.sign_in(admin.email, TEST_PASSWORD).status_code == 302
    html = unescape(client.get("/admin/audit?action=contract_closed").get_data(as_text=True))
    cell = html.split('data-testid="audit-changes"', 1)[1].split("</ul>", 1)[0]
    assert "status</span>:" in cell
    assert "<del>active</del>" in cell and "<ins>closed</ins>" in cell and "→" in cell
    assert "title" not in cell  # unchanged
    assert '"status": "active"' not in html and "audit-json" not in html
