"""What people type about preference lists, read into values: a round number (`/soap list lock 1`),
a program code or its label (`1234140C0`, `categorical`), and the one list those words name.

Every refusal is a `ListWordsError` (a `ValueError`) that quotes what was typed as typed; whoever
shows it in Slack escapes it (the service or handler turns it into a `BadInput`).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.lists import CodeList, CurrentList
from bot.domain.program_codes import ProgramCode, matching


class ListWordsError(ValueError):
    """What was typed does not name a round, a code or a list; the message says what would."""


def _quoted(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_round(text: str | None) -> int:
    """`1` → 1: the round number a director typed."""
    if text is None or not text.strip().isdigit() or not text.isascii() or len(text.strip()) > 3:
        raise ListWordsError("Give the round number, like `/soap list lock 1`.")
    return int(text.strip())


def resolve_code(codes: Mapping[str, ProgramCode], text: str) -> ProgramCode:
    """The program code a person names by code or label; a clear refusal otherwise."""
    hits = matching(codes.values(), text)
    names = ", ".join(f"`{c}`" for c in codes.values()) or "none (the export has no program codes)"
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise ListWordsError(f"`{_quoted(text, 40)}` names several program codes ({names}); give the code itself.")
    raise ListWordsError(f"`{_quoted(text, 40)}` is not one of this program's codes: {names}.")


def pick_list(current: CurrentList, text: str) -> CodeList:
    """The one list `/soap list <code or label>` asks for."""
    coded = {c.code: ProgramCode(c.code, c.label, c.specialty) for c in current.lists if c.code}
    if not coded:
        raise ListWordsError("This program's export has no NRMP program codes, so it keeps one list: `/soap list`.")
    wanted = resolve_code(coded, text).code
    return next(c for c in current.lists if c.code == wanted)
