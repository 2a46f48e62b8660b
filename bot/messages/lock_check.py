"""The check before a lock (pure builder): what a director must know, then **Lock** or **Cancel**.

Shown only to the director who typed `/soap list lock <round> [code]`. Nothing is locked until
**Lock** is pressed; the button carries the round and the code, so a press locks exactly what
was checked.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from bot.domain.lock_check import LockCheck
from bot.domain.wording import plural
from bot.messages.blocks import context, sections
from bot.messages.ids import ActionId, ListButton, button_value
from bot.messages.mrkdwn import escape, mention

MAX_SHOWN = 25


def _more(shown: int, total: int) -> list[str]:
    return [f"… and {total - shown} more."] if total > shown else []


def lock_check_message(check: LockCheck, *, changed: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of the check, with the Lock and Cancel buttons; `changed`: shown because the
    check a Lock button came with is out of date."""
    what = f"round {check.round}" + (f" ({escape(check.code)})" if check.code else "")
    lists = ", ".join(f"{escape(name)}: {plural(count, 'applicant')}" for name, count in check.lists)
    lines = [f":mag: *Before you lock {what}*, here is what the list holds. Nothing is locked until you press "
             f"*Lock*.", f"Lists: {lists}." if lists else "No list has anyone on it yet."]
    if changed:
        lines.insert(0, ":arrows_counterclockwise: *Nothing was locked:* the list changed since the check you "
                        "pressed Lock on (a vote, a note or an order). This is the check as it is now.")
    if check.after_deadline:
        lines.append(":warning: The round's deadline has passed: R3 may already have used the list it had.")
    if check.not_voted:
        shown = check.not_voted[:MAX_SHOWN]
        lines.append(":ballot_box_with_ballot: *Not voted yet:* " + ", ".join(
            f"{mention(user)} ({missing} of {check.listed_total})" for user, missing in shown)
            + "".join(" " + x for x in _more(len(shown), len(check.not_voted))))
    else:
        lines.append(":white_check_mark: Every committee member has voted on everyone listed.")
    if check.warnings:
        lines.append(":warning: *On the list, and an offer if R3 reaches them:*")
        for warning in check.warnings[:MAX_SHOWN]:
            where = f"{escape(warning.code)} " if warning.code else ""
            lines.append(f"• {where}#{warning.rank} {escape(warning.name)} ({escape(warning.aamc_id)}): "
                         f"{escape(warning.reason)}")
        lines.extend(_more(min(len(check.warnings), MAX_SHOWN), len(check.warnings)))
    for name, people in check.offers:
        who = ", ".join(escape(person) for person in people) if people else "nobody (no open position or no one "\
            "eligible)"
        lines.append(f":envelope_with_arrow: R3 would offer {escape(name)} to: {who}.")
    value = button_value(ListButton(check.round, check.code, check.fingerprint))
    buttons = ActionsBlock(elements=[
        ButtonElement(text="Lock", action_id=ActionId.LIST_LOCK_CONFIRM.value, value=value, style="primary"),
        ButtonElement(text="Cancel", action_id=ActionId.LIST_LOCK_CANCEL.value, value=value),
    ])
    blocks: list[Any] = [*sections(lines), buttons,
                         context(f"Or lock without this check: `/soap list lock {check.round}"
                                 f"{' ' + escape(check.code) if check.code else ''} confirm`.")]
    return "\n".join(lines), [block.to_dict() for block in blocks]
