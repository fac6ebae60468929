"""Peer cities' benchmark files (issue 16), one stored per city and category: the newest export replaces."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Model, utcnow
from .types import JSONType, UTCDateTime


class PeerBenchmark(Model):
    """A peer city's "outcomes-benchmark" file as imported: the checked document and what identifies it."""

    __tablename__ = "peer_benchmarks"
    __table_args__ = (UniqueConstraint("city_name", "category_slug", name="uq_peer_benchmarks_city_category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_name: Mapped[str] = mapped_column(String(200))
    category_slug: Mapped[str] = mapped_column(String(80), index=True)
    format_version: Mapped[int] = mapped_column(Integer)
    exported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict] = mapped_column(JSONType)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
