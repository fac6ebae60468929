"""Publishing a category's scorecard (issue 16): an admin opens or closes it to the public, and chooses which of
its context columns may be published. Every change is audited with who and when."""
from __future__ import annotations

from collections.abc import Iterable

from models import ServiceCategory, User, db, utcnow

from ..audit import record_event

PUBLISHING_FIELDS = ("published_at", "published_by_id", "publish_context_columns")


class PublishingRefused(ValueError):
    """The publishing form named something the category does not have; the message says what."""


def _state(category: ServiceCategory) -> dict:
    return {"published_at": category.published_at, "published_by_id": category.published_by_id,
            "publish_context_columns": list(category.publish_context_columns or [])}


def set_publishing(category: ServiceCategory, *, publish: bool, context_columns: Iterable[str],
                   actor: User) -> bool:
    """Publishes or unpublishes `category` and sets its published context columns; False when nothing changed.

    A context column not among the category's is refused (nothing stored), never silently dropped."""
    wanted = [c.strip() for c in context_columns if c and c.strip()]
    known = list(category.context_columns or [])
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise PublishingRefused(
            f"'{unknown[0][:60]}' is not a context column of {category.name}; its context columns are "
            f"{', '.join(known) or 'none'}.")
    columns = [c for c in known if c in wanted]  # the category's order, each once
    before = _state(category)
    if publish and category.published_at is None:
        category.published_at, category.published_by_id = utcnow(), actor.id
    elif not publish and category.published_at is not None:
        category.published_at, category.published_by_id = None, None
    category.publish_context_columns = columns
    after = _state(category)
    if after == before:
        return False
    if before["published_at"] is None and after["published_at"] is not None:
        action, summary = "category_published", f"published the scorecard of {category.slug}"
    elif before["published_at"] is not None and after["published_at"] is None:
        action, summary = "category_unpublished", f"unpublished the scorecard of {category.slug}"
    else:
        action, summary = "category_publishing_updated", f"published context columns of {category.slug}"
    summary += f" (context columns published: {', '.join(columns) or 'none'})"
    record_event(action, category, before=before, after=after, summary=summary, actor=actor)
    db.session.flush()  # flushed before the commit, so the commit bumps the data version (public ETags change)
    return True
