"""A time in a message as Slack's date token: each reader sees it in their own time zone.

Faculty calling from another zone would otherwise convert "09:00 EST" by hand. Slack renders
`<!date^epoch^{date_short_pretty} {time}|fallback>` in the reader's zone and shows the fallback
where it cannot (notifications, old clients); the fallback stays in the program's zone, named.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.when import format_local
from bot.messages.mrkdwn import escape

DATE_FORMAT = "{date_short_pretty} {time}"


def local_time(at: datetime, tz: ZoneInfo) -> str:
    """`<!date^1773838500^{date_short_pretty} {time}|Wed 18 Mar 09:55 EDT>` for an aware datetime."""
    fallback = escape(format_local(at, tz)).replace("|", "/")
    return f"<!date^{int(at.timestamp())}^{DATE_FORMAT}|{fallback}>"
