"""Is the reminder clock alive? Rules on plain values: when it was last seen, now, what is ahead.

Every tick of a clock (`soapbot clock`, or the clock inside `soapbot socket`) records when it ran.
From the latest tick of any clock:
- reminders are *not being sent* when no clock was ever seen, or none for `SEEN_WITHIN` while
  something the reminders are about (a deadline, an offer time, an expiry) is still ahead;
- the war room gets one alarm when the clock has been silent for `ALARM_AFTER` with something ahead:
  one per silence, a silence being known by when it began (the last tick, or for a clock never seen
  the moment the program was set up), so every process that looks names the same silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# A clock ticks every 20 s (CLOCK_TICK_SECONDS) and a slow tick takes seconds: 3 min is many missed ticks.
SEEN_WITHIN = timedelta(minutes=3)
ALARM_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class ClockSight:
    """What a process knows about the clock when it looks."""

    last_tick: datetime | None  # the latest tick of any clock; None: never seen
    now: datetime
    next_due: datetime | None  # the program's next deadline, offer time or expiry; None: nothing ahead

    @property
    def never_seen(self) -> bool:
        return self.last_tick is None

    @property
    def silent_for(self) -> timedelta | None:
        return None if self.last_tick is None else max(self.now - self.last_tick, timedelta(0))

    @property
    def reminders_stopped(self) -> bool:
        """True when the committee must be told that reminders are not being sent."""
        if self.last_tick is None:
            return True
        return self.next_due is not None and self.now - self.last_tick >= SEEN_WITHIN


def silence_to_alarm(sight: ClockSight, program_set_up_at: datetime) -> datetime | None:
    """When the silence began, if it calls for the war room's alarm now; None otherwise."""
    if sight.next_due is None:
        return None
    began = sight.last_tick if sight.last_tick is not None else program_set_up_at
    return began if sight.now - began >= ALARM_AFTER else None
