"""Action items of a category's monthly meeting: record, update, and carry the open ones to the next meeting.

Who may do what is checked by the views; this is the work, its checks and its audit entries.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from models import ActionItemStatus, MeetingActionItem, Role, ServiceCategory, User, db, utcnow
from scoring.periods import add_months, is_period

from ..audit import record_event, snapshot

TEXT_LIMIT = 2000
OWNER_NAME_LIMIT = 200
MEETING_ROLES = (Role.FINANCE, Role.PROCUREMENT, Role.CONTRACT_MANAGER, Role.ADMIN)
"""Who records and updates a meeting's action items (everyone of the city staff)."""


class ActionItemRefused(ValueError):
    """What was typed cannot be stored; `problems` pairs a form field (or None) with a message."""

    def __init__(self, problems: list[tuple[str | None, str]]):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


@dataclass(frozen=True)
class ActionItemInput:
    """What the form sent, as typed."""

    text: str
    owner_user_id: str  # a city user's id, or "" for a free-text name
    owner_name: str
    due_on: str  # YYYY-MM-DD


@dataclass
class MeetingItems:
    """What the meeting of `period` sees: its own items and the open ones carried from earlier meetings."""

    period: str
    recorded: list[MeetingActionItem]
    carried: list[MeetingActionItem]
    previous_period: str | None  # the last earlier meeting with items
    previous: list[MeetingActionItem]  # that meeting's items, whatever their status


def id_of(text: str | None) -> int | None:
    """A row id typed in a form or a query string; None for anything else (letters, 20 digits)."""
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= 9 else None


def meeting_owners() -> list[User]:
    """The city users an item may be given to (enabled staff, not vendor users)."""
    return list(db.session.scalars(select(User).where(User.role != Role.VENDOR, User.is_enabled.is_(True))
                                   .order_by(User.name, User.email)))


def _loaded(query):
    return query.options(joinedload(MeetingActionItem.owner_user), joinedload(MeetingActionItem.created_by)) \
        .order_by(MeetingActionItem.due_on, MeetingActionItem.id)


def meeting_items(category: ServiceCategory, period: str) -> MeetingItems:
    """The items recorded at `period`'s meeting, the open items of earlier meetings (carried over), and the
    last earlier meeting's items with their status (what the packet reports back on)."""
    base = select(MeetingActionItem).where(MeetingActionItem.category_id == category.id)
    recorded = list(db.session.scalars(_loaded(base.where(MeetingActionItem.period == period))))
    previous_period = db.session.scalar(
        select(MeetingActionItem.period).where(MeetingActionItem.category_id == category.id,
                                               MeetingActionItem.period < period)
        .order_by(MeetingActionItem.period.desc()).limit(1))
    earlier = list(db.session.scalars(_loaded(base.where(
        MeetingActionItem.period < period,
        or_(MeetingActionItem.status == ActionItemStatus.OPEN, MeetingActionItem.period == previous_period)))))
    carried = [item for item in earlier if item.status == ActionItemStatus.OPEN]
    previous = [item for item in earlier if item.period == previous_period]
    return MeetingItems(period=period, recorded=recorded, carried=carried, previous_period=previous_period,
                        previous=previous)


def item_of(category: ServiceCategory, item_id: int) -> MeetingActionItem | None:
    return db.session.scalars(_loaded(select(MeetingActionItem).where(
        MeetingActionItem.id == item_id, MeetingActionItem.category_id == category.id))).first()


def _check(typed: ActionItemInput) -> tuple[str, User | None, str | None, date]:
    problems: list[tuple[str | None, str]] = []
    text = (typed.text or "").strip()
    if not text:
        problems.append(("text", "Say what is to be done."))
    elif len(text) > TEXT_LIMIT:
        problems.append(("text", f"At most {TEXT_LIMIT:,} characters (this has {len(text):,})."))
    owner_user, owner_name = None, (typed.owner_name or "").strip() or None
    if typed.owner_user_id:
        owner_id = id_of(typed.owner_user_id)
        owner_user = db.session.get(User, owner_id) if owner_id is not None else None
        if owner_user is None or owner_user.role == Role.VENDOR or not owner_user.is_enabled:
            problems.append(("owner_user_id", "Choose an owner from the list, or type a name."))
        elif owner_name:
            problems.append(("owner_name", "Give the item one owner: a user from the list or a typed name, not both."))
    elif not owner_name:
        problems.append(("owner_name", "Who owns it? Choose a user, or type a name (e.g. the vendor's representative)."))
    elif len(owner_name) > OWNER_NAME_LIMIT:
        problems.append(("owner_name", f"The owner's name: at most {OWNER_NAME_LIMIT} characters."))
    due_on, due_text = None, (typed.due_on or "").strip()
    try:
        due_on = date.fromisoformat(due_text) if due_text else None
    except ValueError:
        problems.append(("due_on", "The due date as YYYY-MM-DD, e.g. 2026-07-15."))
    if not due_text:
        problems.append(("due_on", "When is it due? Give a date."))
    if problems or due_on is None:
        raise ActionItemRefused(problems)
    return text, owner_user, owner_name if owner_user is None else None, due_on


def record_item(category: ServiceCategory, period: str, typed: ActionItemInput, actor: User) -> MeetingActionItem:
    """A new open item of `period`'s meeting; refused (nothing stored) when a field is wrong."""
    if not is_period(period):
        raise ActionItemRefused([(None, f"{period!r} is not a month (YYYY-MM).")])
    text, owner_user, owner_name, due_on = _check(typed)
    item = MeetingActionItem(category_id=category.id, period=period, text=text, owner_user=owner_user,
                             owner_user_id=owner_user.id if owner_user else None, owner_name=owner_name,
                             due_on=due_on, status=ActionItemStatus.OPEN, created_by_id=actor.id)
    db.session.add(item)
    db.session.flush()
    record_event("meeting_action_item_recorded", item, after=snapshot(item), actor=actor,
                 summary=f"Action item #{item.id} recorded at the {category.name} meeting of {period}: {text[:80]}")
    return item


def update_item(item: MeetingActionItem, typed: ActionItemInput, status: str, actor: User) -> MeetingActionItem:
    """Changes an item's text, owner, due date or status (open, done, dropped); audited before and after."""
    problems = []
    try:
        new_status = ActionItemStatus(status)
    except ValueError:
        problems.append(("status", "Choose a status: open, done or dropped."))
    try:
        text, owner_user, owner_name, due_on = _check(typed)
    except ActionItemRefused as refused:
        problems = refused.problems + problems
    if problems:
        raise ActionItemRefused(problems)
    before = snapshot(item)
    item.text, item.owner_user, item.owner_name, item.due_on = text, owner_user, owner_name, due_on
    item.owner_user_id = owner_user.id if owner_user else None
    item.status = new_status
    item.updated_at = utcnow()
    db.session.flush()
    after = snapshot(item)
    changed = [key for key in after if key != "updated_at" and before.get(key) != after[key]]
    record_event("meeting_action_item_updated", item, before=before, after=after, actor=actor,
                 summary=f"Action item #{item.id} ({item.period}) updated: {', '.join(changed) or 'nothing changed'}")
    return item


def meeting_months(period: str) -> tuple[str, str]:
    """The months before and after, for the page's navigation."""
    return add_months(period, -1), add_months(period, 1)
