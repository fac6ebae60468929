"""A committed month's review state (SPEC §8), computed in one place so that no two pages disagree.

A month is provisional while its committed upload's review window is open, disputed while a dispute on it
is open, and final when the window has closed and no dispute is open. `month_reviews` gives the state of
many months in two queries.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, cast, func, literal, null, select, union_all

from models import Dispute, DisputeStatus, ServiceCategory, Upload, UploadStatus, db, utcnow

DEFAULT_REVIEW_DAYS = 14
MonthKey = tuple[int, str]  # (contract id, period)


class ReviewState(str, enum.Enum):
    PROVISIONAL = "provisional"
    DISPUTED = "disputed"
    FINAL = "final"


@dataclass(frozen=True)
class MonthReview:
    state: ReviewState
    closes_at: datetime | None  # when the committed upload's window closes (or closed)
    open_disputes: int = 0

    @property
    def window_open(self) -> bool:
        return self.closes_at is not None and utcnow() < self.closes_at

    @property
    def on_hold(self) -> bool:
        """A disputed month's bonus and penalty are not payable until the dispute is resolved."""
        return self.state == ReviewState.DISPUTED

    @property
    def marked(self) -> bool:
        return self.state != ReviewState.FINAL


FINAL = MonthReview(ReviewState.FINAL, None)


_WINDOW_ROW = -1  # month_reviews: marks a review-window row in the union (a disputes row holds a count)


def review_state(closes_at: datetime | None, open_disputes: int, now: datetime) -> ReviewState:
    """The one rule: disputed while a dispute is open, provisional while the window is open, final after."""
    if open_disputes:
        return ReviewState.DISPUTED
    if closes_at is not None and now < closes_at:
        return ReviewState.PROVISIONAL
    return ReviewState.FINAL


def window_closes_at(committed_at: datetime, category: ServiceCategory) -> datetime:
    return committed_at + timedelta(days=category.review_days or DEFAULT_REVIEW_DAYS)


def month_reviews(contract_ids: Iterable[int], periods: Iterable[str] | None = None,
                  open_counts: dict[MonthKey, int] | None = None) -> dict[MonthKey, MonthReview]:
    """The review of every committed month of these contracts (optionally only these periods): one statement,
    the review windows and the open disputes' counts in one UNION ALL (a round trip less on every page that
    shows review states). A caller that already read the disputes passes their open counts (only months with one
    or more), and only the windows are read.

    A month missing from the answer has no committed data; `review_of` reads it as final."""
    ids = sorted(set(contract_ids))
    if not ids:
        return {}
    wanted = sorted(set(periods)) if periods is not None else None
    # A window row carries WINDOW_ROW where a disputes row carries its count (always 1 or more).
    windows = select(Upload.contract_id, Upload.period, Upload.review_closes_at,
                     literal(_WINDOW_ROW, Integer)).where(
        Upload.contract_id.in_(ids), Upload.status == UploadStatus.COMMITTED)
    disputes = (select(Dispute.contract_id, Dispute.period, cast(null(), Upload.review_closes_at.type),
                       func.count(Dispute.id))
                .where(Dispute.contract_id.in_(ids), Dispute.status == DisputeStatus.OPEN)
                .group_by(Dispute.contract_id, Dispute.period))
    if wanted is not None:
        windows = windows.where(Upload.period.in_(wanted))
        disputes = disputes.where(Dispute.period.in_(wanted))
    found: list[tuple[int, str, datetime | None]] = []
    if open_counts is None:
        open_counts = {}
        for cid, period, closes_at, marker in db.session.execute(union_all(windows, disputes)):
            if marker == _WINDOW_ROW:
                found.append((cid, period, closes_at))
            else:
                open_counts[(cid, period)] = marker
    else:
        found = [(cid, period, closes_at) for cid, period, closes_at, _ in db.session.execute(windows)]
    now = utcnow()
    reviews = {}
    for cid, period, closes_at in found:
        count = open_counts.get((cid, period), 0)
        reviews[(cid, period)] = MonthReview(review_state(closes_at, count, now), closes_at, count)
    for key, count in open_counts.items():  # a dispute outlives a month whose data was withdrawn
        reviews.setdefault(key, MonthReview(ReviewState.DISPUTED, None, count))
    return reviews


def review_of(reviews: dict[MonthKey, MonthReview], contract_id: int, period: str) -> MonthReview:
    return reviews.get((contract_id, period), FINAL)


def month_review(contract_id: int, period: str) -> MonthReview:
    return review_of(month_reviews([contract_id], [period]), contract_id, period)


@dataclass(frozen=True)
class UnsettledMonth:
    """A month that is not final yet, named as pages and approvals name it."""

    contract_id: int
    contract_number: str
    period: str
    review: MonthReview

    @property
    def label(self) -> str:
        return f"{self.contract_number} {self.period}"


def worst_review(months: Iterable[UnsettledMonth]) -> MonthReview:
    """Disputed over provisional over final: the mark a vendor's window gets from its months."""
    reviews = [m.review for m in months]
    for state in (ReviewState.DISPUTED, ReviewState.PROVISIONAL):
        for review in reviews:
            if review.state == state:
                return review
    return FINAL


def unsettled_months(contracts: Iterable[tuple[int, str]], periods: Iterable[str]) -> list[UnsettledMonth]:
    """The provisional and disputed months among these contracts (id, number) and periods, in order."""
    numbers = dict(contracts)
    wanted = list(periods)
    reviews = month_reviews(numbers, wanted)
    return sorted((UnsettledMonth(cid, numbers[cid], period, review)
                   for (cid, period), review in reviews.items() if review.marked),
                  key=lambda m: (m.contract_number, m.period))


def next_window_close() -> datetime | None:
    """When the next open review window closes: a page cached on committed data must not outlive it."""
    return db.session.scalar(select(func.min(Upload.review_closes_at)).where(
        Upload.status == UploadStatus.COMMITTED, Upload.review_closes_at > utcnow()))
