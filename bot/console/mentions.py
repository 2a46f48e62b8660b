"""Committee members as a person names them in the console (`@eve.demoray`, `@Eve Demoray`, `eve`),
and mentions sent as the Slack client sends a picked one (`<@U…>`)."""

from __future__ import annotations

from bot.console.workspace import (
    Member,
)


def find_member(members: list[Member], who: str) -> Member | None:
    """A member by user id, handle, or a unique fragment of the name (case-insensitive)."""
    key = who.strip().lstrip("@").lower()
    if not key:
        return None
    for member in members:
        if key in (member.user_id.lower(), member.handle.lower(), member.real_name.lower()):
            return member
    matches = [m for m in members if key in m.real_name.lower() or key in m.handle.lower()]
    return matches[0] if len(matches) == 1 else None


def _aliases(member: Member) -> list[str]:
    names = [member.handle, member.real_name, member.user_id]
    if member.real_name.startswith("Dr. "):
        names.append(member.real_name.removeprefix("Dr. "))
    return [name for name in names if name]


def with_mentions(text: str, members: list[Member], *, labelled: bool = False) -> str:
    """`@handle` and `@Full Name` of a member as the Slack client sends a picked mention: `<@U…>` in a
    message, `<@U…|handle>` in a slash command (the manifest asks Slack to escape them). Anything
    else after an `@` is sent as typed, as Slack does."""
    aliases = sorted(((alias.lower(), member) for member in members for alias in _aliases(member)),
                     key=lambda pair: -len(pair[0]))
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "@" and (index == 0 or not (text[index - 1].isalnum() or text[index - 1] in "<|")):
            rest = text[index + 1:]
            for alias, member in aliases:
                end = len(alias)
                if rest[:end].lower() == alias and _ends_name(rest, end):
                    out.append(f"<@{member.user_id}|{member.handle}>" if labelled else f"<@{member.user_id}>")
                    index += 1 + end
                    break
            else:
                out.append(char)
                index += 1
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _ends_name(rest: str, end: int) -> bool:
    """The name ends at `end`: the text ends, or a space or punctuation follows (not more of a name)."""
    if end >= len(rest):
        return True
    following = rest[end]
    if following.isalnum() or following in "_-":
        return False
    return not (following == "." and end + 1 < len(rest) and rest[end + 1].isalnum())


def pick_member(members: list[Member], answer: str) -> Member | None:
    if answer.isdigit() and 1 <= int(answer) <= len(members):
        return members[int(answer) - 1]
    return find_member(members, answer)
