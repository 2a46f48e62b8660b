"""Text that came from a file or a person, made safe for Slack mrkdwn.

Slack reads `<…>` as mentions and links (`<!channel>`, `<@U123>`, `<https://x|click>`)
and `&` as the start of an entity. Escaping exactly these three characters, as
Slack documents, shows such text literally and pings no one.
"""

from __future__ import annotations


def escape(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut (never cuts an escape in half)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def mention(user_id: str) -> str:
    """A user mention, only for ids that look like Slack user ids."""
    if user_id and user_id[0] in "UW" and user_id.isalnum():
        return f"<@{user_id}>"
    if user_id.startswith("cli:"):  # a soapbot command run on the server, as that server account
        return f"`soapbot` on the server (as {escape(user_id.removeprefix('cli:'))})"
    return escape(user_id)
