"""Action items of a category's monthly data meeting ("stat" meeting): who does what by when."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model, utcnow
from .contracts import PERIOD_CHECK
from .types import UTCDateTime, enum_column

if TYPE_CHECKING:
    from .catalog import ServiceCategory
    from .users import User


class ActionItemStatus(str, enum.Enum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class MeetingActionItem(Model):
    """One item agreed at the meeting of `period`; while open it is carried to every later meeting's packet.

    The owner is a user of ours or a free-text name (a vendor's representative), exactly one of the two.
    """

    __tablename__ = "meeting_action_items"
    __table_args__ = (
        CheckConstraint(PERIOD_CHECK.format(col="period"), name="period_format"),
        CheckConstraint("(owner_user_id IS NULL) <> (owner_name IS NULL)", name="one_owner"),
        Index("ix_meeting_action_items_category_period", "category_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("service_categories.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))  # the meeting's month, YYYY-MM
    text: Mapped[str] = mapped_column(Text)
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    owner_name: Mapped[str | None] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ActionItemStatus] = mapped_column(enum_column(ActionItemStatus, "action_item_status"),
                                                     default=ActionItemStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    category: Mapped[ServiceCategory] = relationship(lazy="raise_on_sql")
    owner_user: Mapped[User | None] = relationship(foreign_keys=[owner_user_id], lazy="raise_on_sql")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="raise_on_sql")

    @property
    def owner_label(self) -> str:
        if self.owner_user is not None:
            return self.owner_user.name or self.owner_user.email
        return self.owner_name or ""
