"""Every write records who did what to which target, with before and after values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AuditEvent


def record(session: Session, *, program_id: int | None, actor: str, action: str, target: str | None = None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditEvent:
    clock = session.info.get("clock")  # the room's clock (storage.database.Database); else the model's now
    event = AuditEvent(program_id=program_id, actor=actor, action=action, target=target,
                       before=before, after=after, **({"at": clock()} if clock else {}))
    session.add(event)
    return event


def recent(session: Session, program_id: int, target: str | None = None, limit: int = 20) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.program_id == program_id)
    if target is not None:
        query = query.where(AuditEvent.target == target)
    return list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))
