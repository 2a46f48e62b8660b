"""One recorded change as `/soap audit` shows it, as a plain value (the records service reads the
audit trail; `bot.messages.records` draws it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    actor: str  # a Slack user id, or what acted for nobody ("clock", "bot", "cli:…")
    action: str
    target: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
