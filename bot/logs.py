"""Structured logs (one JSON object a line) with the Slack request's id.

Applicant data never reaches a log line. Our own code logs ids and counts only; what libraries
write is cleaned by `redact`, because they do put payloads in their messages:

- slack_sdk at DEBUG logs every Web API request and response body (message text, blocks, views);
- Bolt logs the whole body of a request no listener handles ("Unhandled request ({...})") and of a
  request with a bad signature ("... body: token=...&text=...");
- SQLAlchemy puts the statement's parameters in its exceptions ("[parameters: ('Avery', ...)]");
- pydantic puts the rejected value in validation errors ("input_value='Avery'").

`redact` therefore (1) masks Slack tokens and bearer credentials, (2) drops SQL parameters,
(3) cuts every dumped structure (`{...}`, `[{...}]`, `({...})`) from its opening bracket to the end
of the line, (4) masks the value after payload-like keys (`text=`, `'value':`, `body:`,
`input_value=`...). Tracebacks keep their frames and each exception's type, never its message (a
`ValueError` quotes the value it refused, an `IntegrityError` the key that collided: an AAMC ID),
and go through the same function. The price: a library's debug line
keeps its description ("Sending a request - url: …/chat.postMessage") but loses its data. A test
(tests/adversarial/test_logs.py) runs a full scenario at DEBUG and searches every line.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

REDACTED = "<redacted>"
_TOKENS = re.compile(r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]+")
_BEARER = re.compile(r"(Bearer\s+)\S+")
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*")
# A dumped dict or list (Python repr or JSON): from its opening bracket to the end of the line.
_STRUCTURE = re.compile(r"[\[({]\s*[\[{'\"][^\n]*")
_KEYS = ("text", "value", "values", "name", "real_name", "display_name", "first_name", "last_name", "middle_name",
         "title", "email", "payload", "body", "blocks", "view", "input_value", "initial_comment",
         "private_metadata", "content", "query", "state", "message", "user_name", "channel_name", "school")
_KEYED = re.compile(r"""(['"]?\b(?:""" + "|".join(_KEYS) + r""")\b['"]?\s*[:=]\s*)"""
                    r"""('(?:[^'\\\n]|\\.)*'?|"(?:[^"\\\n]|\\.)*"?|[^\s,)}\]]+)""")


def redact(message: str) -> str:
    """The message without Slack tokens, SQL parameters, dumped payloads or values of payload keys."""
    message = _TOKENS.sub(lambda m: f"{m.group(1)}-{REDACTED}", message)
    message = _BEARER.sub(rf"\1{REDACTED}", message)
    message = _SQL_PARAMETERS.sub(f"[parameters: {REDACTED}]", message)
    message = _STRUCTURE.sub(REDACTED, message)
    return _KEYED.sub(rf"\1{REDACTED}", message)


WITHHELD = "(message withheld: it may quote applicant data)"


def trace(error: BaseException) -> str:
    """The traceback of `error` and of the exceptions it was raised from, each with its type, never its
    message."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    parts: list[str] = []
    for number, exception in enumerate(reversed(chain)):
        if number:
            parts.append("\nDuring the handling of the exception above, another was raised:\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(exception.__traceback__))
        kind = type(exception)
        parts.append(f"{kind.__module__}.{kind.__qualname__}: {WITHHELD}\n")
    return "".join(parts)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request": request_id.get(),
            "msg": redact(record.getMessage()),
        }
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = type(record.exc_info[1]).__name__
            entry["trace"] = redact(trace(record.exc_info[1]))
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
