"""Structured logs (one JSON object a line) with the Slack request's id.

Applicant data never reaches a log line: listeners log ids and counts only, and
`redact` strips Slack payload text from anything Bolt itself logs.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

_TEXT_FIELDS = re.compile(r"('?(?:text|value|name|real_name|first_name|last_name|payload)'?\s*[:=]\s*)"
                          r"('[^']*'|\"[^\"]*\"|\S+)")


def redact(message: str) -> str:
    return _TEXT_FIELDS.sub(r"\1<redacted>", message)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request": request_id.get(),
            "msg": redact(record.getMessage()),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["trace"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


_configured = False


def configure_logging(level: str = "INFO") -> None:
    global _configured
    root = logging.getLogger()
    root.setLevel(level)
    if _configured:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.handlers = [handler]
    _configured = True
