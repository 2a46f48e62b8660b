"""Slack's events, handled once each: Slack redelivers an event (same `event_id`) when it did not get
our answer in 3 seconds or got an error, and redelivers it up to three times.

A listener claims the event before acting on it; a redelivery whose first delivery was claimed is
dropped, and one whose first delivery never reached a listener (a deploy, a 5xx before the
acknowledgement) is handled, because nothing claimed it. The notes service records the event in the
transaction of the note instead (the same table), so a failed note store leaves it unclaimed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.database import Database
from storage.models import ProcessedEvent


def claim(database: Database, event_id: object, now: datetime) -> bool:
    """True for the first delivery of `event_id` to claim it; False for a redelivery already claimed.
    An event without an id (Socket Mode tests, old payloads) is always handled."""
    if not isinstance(event_id, str) or not event_id:
        return True
    insert = sqlite_insert if database.backend == "sqlite" else postgresql_insert
    with database.transaction() as session:
        added = session.execute(insert(ProcessedEvent).values(event_id=event_id[:64], received_at=now)
                                .on_conflict_do_nothing().returning(ProcessedEvent.event_id))
        return added.scalar() is not None
