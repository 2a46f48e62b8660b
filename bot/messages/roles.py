"""What a role change did, in the committee's words (pure builder over `RoleChange`)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.role_change import ListedCandidate, RoleChange
from bot.domain.wording import plural
from bot.messages.mrkdwn import clip, escape, mention

NAMES_SHOWN = 10
_ARTICLE = {"director": "a director", "observer": "an observer", "member": "a member"}


def a_role(value: str) -> str:
    return _ARTICLE.get(value, value)


def _names(candidates: Sequence[ListedCandidate]) -> str:
    shown = ", ".join(f"{escape(c.name)} ({escape(c.aamc_id)})" for c in candidates[:NAMES_SHOWN])
    return shown + (f" and {len(candidates) - NAMES_SHOWN} more" if len(candidates) > NAMES_SHOWN else "")


def ballot_text(change: RoleChange) -> str:
    """Which ballot is kept, dropped or counted again, and what that changed in the list."""
    who = mention(change.user_id)
    if not change.has_ballot:
        ballot = f"{who} has no votes or ordering, so no ballot changed."
    else:
        parts = [plural(change.votes, "vote")] if change.votes else []
        if change.ranked:
            parts.append(f"an ordering of {plural(change.ranked, 'candidate')}")
        held = " and ".join(parts)
        if change.counted_before and not change.counted_after:
            ballot = f"Their {held} are kept but no longer count while they are an observer."
        elif change.counted_after and not change.counted_before:
            ballot = f"Their {held} count again."
        else:
            ballot = f"Their {held} still count."
    effects = []
    if change.left_list:
        effects.append(f"left the list: {_names(change.left_list)}")
    if change.joined_list:
        effects.append(f"joined the list: {_names(change.joined_list)}")
    if change.moved:
        effects.append(f"{plural(change.moved, 'candidate')} changed place")
    listed = ("The preference list changed: " + "; ".join(effects) + " (`/soap list`)."
              if effects else "The preference list is unchanged.")
    return f"{ballot} {listed}"


def role_change_post(actor: str, change: RoleChange) -> str:
    return clip(f"{mention(actor)} made {mention(change.user_id)} {a_role(change.after)} "
                f"(was {a_role(change.before)}). {ballot_text(change)}", 3900)


def role_change_answer(change: RoleChange) -> str:
    return clip(f"{mention(change.user_id)} is now {a_role(change.after)}. {ballot_text(change)}", 3900)
