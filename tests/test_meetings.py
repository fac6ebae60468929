"""The monthly meeting (issue 15): action items recorded and updated by the city's staff, carried over while
open, checked, audited; the packet gathered from the city's data."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from contracts_app.meetings.packet import gather_packet
from contracts_app.meetings.services import meeting_items
from models import ActionItemStatus, AuditEvent, MeetingActionItem, Role, db

from .factories import TEST_PASSWORD, UserFactory
from .meeting_city import PERIOD, PREVIOUS, build_meeting_city

URL = f"/meetings/street-resurfacing/{PERIOD}"


@pytest.fixture
def city(app):
    return build_meeting_city()


def signed_in(app, user):
    client = app.test_client()
    assert client.sign_in(user.email, TEST_PASSWORD).status_code == 302
    return client


def post_item(client, url=URL, **fields):
    data = {"csrf_token": client.csrf_token(url), "text": "Call the vendor about Elm Street", "owner_user_id": "",
            "owner_name": "Dana Cobalt (vendor)", "due_on": "2026-07-20", **fields}
    return client.post(f"{url}/items", data=data)


def items_of(period):
    return list(db.session.scalars(select(MeetingActionItem).where(MeetingActionItem.period == period)
                                   .order_by(MeetingActionItem.id)))


def audit_count(action):
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


@pytest.mark.parametrize("role", [Role.FINANCE, Role.PROCUREMENT, Role.CONTRACT_MANAGER, Role.ADMIN])
def test_city_staff_record_an_item_and_it_is_audited(app, city, role):
    client = signed_in(app, UserFactory(role=role))
    response = post_item(client)
    assert response.status_code == 302 and response.location == URL
    [item] = items_of(PERIOD)
    assert (item.text, item.owner_name, item.owner_user_id, item.status) == (
        "Call the vendor about Elm Street", "Dana Cobalt (vendor)", None, ActionItemStatus.OPEN)
    assert audit_count("meeting_action_item_recorded") == 1
    page = client.get(URL).get_data(as_text=True)
    assert "recorded for the 2026-06 meeting" in page and "Call the vendor about Elm Street" in page


def test_an_item_owned_by_a_user(app, city):
    client = signed_in(app, city.finance)
    assert post_item(client, owner_user_id=str(city.finance.id), owner_name="").status_code == 302
    [item] = items_of(PERIOD)
    assert item.owner_user_id == city.finance.id and item.owner_name is None


def test_vendor_users_do_not_see_the_meeting(app, city):
    client = signed_in(app, UserFactory(role=Role.VENDOR))
    assert client.get(URL).status_code == 404
    assert client.get("/meetings/").status_code == 404


@pytest.mark.parametrize("fields, field, message", [
    ({"text": "  "}, "text", "Say what is to be done."),
    ({"owner_name": ""}, "owner_name", "Who owns it?"),
    ({"owner_user_id": "999999"}, "owner_user_id", "Choose an owner from the list"),
    ({"due_on": "next week"}, "due_on", "The due date as YYYY-MM-DD"),
    ({"due_on": ""}, "due_on", "When is it due? Give a date."),
    ({"text": "x" * 2001}, "text", "At most 2,000 characters (this has 2,001)"),
])
def test_bad_input_is_refused_with_the_field_named_and_kept(app, city, fields, field, message):
    client = signed_in(app, city.finance)
    response = post_item(client, **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page and "Nothing was stored" in page
    assert items_of(PERIOD) == [] and audit_count("meeting_action_item_recorded") == 0
    if field != "text":
        assert "Call the vendor about Elm Street" in page  # what was typed is kept


def test_both_owners_is_refused(app, city):
    client = signed_in(app, city.finance)
    page = post_item(client, owner_user_id=str(city.finance.id)).get_data(as_text=True)
    assert "one owner" in page and items_of(PERIOD) == []


def test_open_items_are_carried_to_the_next_meeting(app, city):
    items = meeting_items(city.category, PERIOD)
    assert items.previous_period == PREVIOUS
    assert [i.text for i in items.previous] == ["Send the corrected April sheet", "Audit ten Elm Street work orders"]
    assert {i.text for i in items.carried} == {"Audit ten Elm Street work orders", "Agree a winter patching protocol"}
    client = signed_in(app, city.finance)
    page = client.get(URL).get_data(as_text=True)
    assert "Agree a winter patching protocol" in page and "Send the corrected April sheet" not in page


def test_marking_an_item_done_stops_carrying_it_and_is_audited(app, city):
    client = signed_in(app, city.finance)
    item_url = f"{URL}/items/{city.open_item.id}"
    response = client.post(item_url, data={"csrf_token": client.csrf_token(URL), "status": "done"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(MeetingActionItem, city.open_item.id).status == ActionItemStatus.DONE
    assert {i.text for i in meeting_items(city.category, PERIOD).carried} == {"Agree a winter patching protocol"}
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "meeting_action_item_updated")).one()
    assert event.before["status"] == "open" and event.after["status"] == "done"


def test_editing_an_item_and_a_bad_status(app, city):
    client = signed_in(app, city.finance)
    item_url = f"{URL}/items/{city.old_open_item.id}"
    assert "Change action item" in client.get(f"{URL}?edit={city.old_open_item.id}").get_data(as_text=True)
    data = {"csrf_token": client.csrf_token(URL), "text": "Agree the winter protocol in writing", "owner_user_id": "",
            "owner_name": "Riverbend representative", "due_on": "2026-07-31", "status": "dropped"}
    assert client.post(item_url, data=data).status_code == 302
    db.session.expire_all()
    item = db.session.get(MeetingActionItem, city.old_open_item.id)
    assert (item.text, item.due_on.isoformat(), item.status) == ("Agree the winter protocol in writing", "2026-07-31",
                                                                  ActionItemStatus.DROPPED)
    refused = client.post(item_url, data={**data, "status": "maybe", "due_on": "soon"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "Choose a status" in page and "The due date as YYYY-MM-DD" in page
    db.session.expire_all()
    assert db.session.get(MeetingActionItem, city.old_open_item.id).status == ActionItemStatus.DROPPED


def test_another_categorys_item_is_not_found(app, city):
    from .factories import CategoryFactory

    other = CategoryFactory()
    client = signed_in(app, city.finance)
    response = client.post(f"/meetings/{other.slug}/{PERIOD}/items/{city.open_item.id}",
                           data={"csrf_token": client.csrf_token(URL), "status": "done"})
    assert response.status_code == 404
    assert client.get("/meetings/street-resurfacing/2026-13").status_code == 404


def test_the_packet_gathers_the_citys_month(app, city):
    packet = gather_packet(city.category, PERIOD)
    assert list(packet.rankings["Vendor"]) == ["Northgate Asphalt", "Riverbend Paving", "Cobalt Street Works"]
    assert packet.interval_chart is not None and "90 % interval" in str(packet.interval_chart)
    assert len(packet.trends) == 3 and all("<svg" in str(t.chart) for t in packet.trends)
    assert packet.composites.loc[packet.composites["Vendor"] == "Cobalt Street Works", PERIOD].item() == "58.0"
    [failed] = packet.failed_clauses.to_dict("records")
    assert failed["Vendor"] == "Cobalt Street Works" and failed["Value"] == "72.50 PCI"
    assert (failed["Target"], failed["Minimum"]) == ("90.00 PCI", "80.00 PCI")
    assert (failed["Short of target"], failed["Short of minimum"]) == ("17.50", "7.50")
    assert packet.disputes["Reason"].item().startswith("Readings on Elm Street")
    assert packet.plans["Milestone"].item() == "Retrain the rolling crew" and packet.plans["Due"].item() == "2026-07-15"
    assert list(packet.previous_items["Status"]) == ["done", "open"]
    assert list(packet.carried_items["What"]) == ["Agree a winter patching protocol"]
