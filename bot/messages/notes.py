"""Reference-call notes: the modal, the thread post, the ephemeral list and the card's summary line.

Pure builders over plain values (`NoteLine`). Every text that a person typed (the note, who was
called, their institution…) and every applicant name goes through `escape`; the author is shown
with `mention`, the only way this project makes a mention. Section texts are split or clipped so a
message stays within Slack's limits (3,000 characters a section, 50 blocks a message) whatever
the note holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from bot.domain.cards import CardButton, CardSection
from bot.domain.notes import MAX_FIELD_CHARS, MAX_NOTE_CHARS, NOTES_PER_PAGE, NoteField, NoteLine, NoteSource, Sentiment
from bot.domain.thread_replies import gist
from bot.messages.ids import ActionId, BlockId, CallbackId, NotesPageButton, button_value, read_button
from bot.messages.mrkdwn import clip, escape, mention

PAGE_BLOCK_ID = BlockId.NOTES_PAGE.value  # the list's pager: ActionId.PAGE is shared, the block id is ours
_SECTION_LIMIT = 2900  # a little under Slack's 3,000 so an escape is never cut


# label, plural (for "2 strong advocates"), emoji. Order: from most for to most against.
_SENTIMENTS: dict[Sentiment, tuple[str, str, str]] = {
    Sentiment.STRONG_ADVOCATE: ("Strong advocate", "strong advocates", ":large_green_circle:"),
    Sentiment.POSITIVE: ("Positive", "positive", ":white_check_mark:"),
    Sentiment.NEUTRAL: ("Neutral", "neutral", ":white_circle:"),
    Sentiment.CONCERN: ("Concern", "concerns", ":warning:"),
    Sentiment.ADVISES_AGAINST: ("Advises against", "advise against", ":red_circle:"),
}


def sentiment_label(value: str | None) -> str:
    try:
        return _SENTIMENTS[Sentiment(value or "")][0]
    except ValueError:
        return "No sentiment given"


FIELD_ACTION = ActionId.FIELD.value


# --- summary (the card) -----------------------------------------------------------------------


def sentiment_summary(counts: Mapping[str | None, int]) -> str:
    """"2 strong advocates, 1 concern" (spectrum order; notes without a sentiment count as unrated)."""
    parts = []
    for sentiment, (label, plural, _) in _SENTIMENTS.items():
        n = counts.get(sentiment.value, 0)
        if n:
            parts.append(f"{n} {label.lower() if n == 1 else plural}")
    unrated = sum(n for key, n in counts.items() if key not in {s.value for s in Sentiment})
    if unrated:
        parts.append(f"{unrated} unrated")
    return ", ".join(parts)


def gist_line(note: NoteLine) -> str:
    """One note in a line: who called whom, the sentiment, the first words (`_Neutral_` when rated)."""
    called = escape(note.called_name) if note.called_name else ""
    about = ", ".join(escape(x) for x in (note.role, note.institution) if x)
    if note.source == NoteSource.PLAN:
        who = "the pre-SOAP plan"  # written weeks before SOAP, not by the person who imported the file
    elif called:
        who = f"{mention(note.author)} called {called}" + (f" ({about})" if about else "")
    else:
        who = mention(note.author) + (f" ({about})" if about else "")
    try:
        label, _, emoji = _SENTIMENTS[Sentiment(note.sentiment or "")]
        rated = f" {emoji} _{label}_"
    except ValueError:
        rated = ""
    return clip(f"• {who}{rated}: “{escape(gist(note.text))}”", 400)


def card_lines(counts: Mapping[str | None, int], latest: Sequence[NoteLine] = ()) -> tuple[str, ...]:
    total = sum(counts.values())
    if total == 0:
        return ("No reference notes yet.",)
    noun = "note" if total == 1 else "notes"
    heading = f"*{total}* reference {noun}: {sentiment_summary(counts)}"
    if latest:
        heading += "; latest first:" if len(latest) > 1 else ":"
    return (heading, *(gist_line(note) for note in latest))


# --- the modal --------------------------------------------------------------------------------


def note_modal(*, candidate_name: str, aamc_id: str, private_metadata: str) -> dict[str, Any]:
    """The "Add reference note" modal (callback CallbackId.NOTE_MODAL)."""

    def short(block_id: NoteField, label: str, placeholder: str) -> InputBlock:
        return InputBlock(block_id=block_id.value, label=PlainTextObject(text=label), optional=True,
                          element=PlainTextInputElement(action_id=FIELD_ACTION, max_length=MAX_FIELD_CHARS,
                                                        placeholder=PlainTextObject(text=placeholder)))

    options = [Option(value=s.value, text=PlainTextObject(text=f"{label}")) for s, (label, _, _) in
               _SENTIMENTS.items()]
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=clip(
            f"Reference call about *{escape(candidate_name)}* (AAMC ID {escape(aamc_id)}). "
            "The note is posted in the candidate's thread in the war room only.", _SECTION_LIMIT))),
        short(NoteField.CALLED_NAME, "Who was called", "Dr. Jordan Example"),
        short(NoteField.INSTITUTION, "Their institution", "Mercy General, Department of Medicine"),
        short(NoteField.ROLE, "Their role", "Program director, letter writer…"),
        short(NoteField.RELATIONSHIP, "Relationship to the applicant", "Supervised them on a sub-internship"),
        InputBlock(block_id=NoteField.SENTIMENT.value, label=PlainTextObject(text="Sentiment"),
                   element=StaticSelectElement(action_id=FIELD_ACTION, options=options,
                                               placeholder=PlainTextObject(text="How did they sound?"))),
        InputBlock(block_id=NoteField.TEXT.value, label=PlainTextObject(text="Note"),
                   hint=PlainTextObject(text=f"Up to {MAX_NOTE_CHARS:,} characters. Record what was said; "
                                             "never promises about ranking."),
                   element=PlainTextInputElement(action_id=FIELD_ACTION, multiline=True,
                                                 max_length=MAX_NOTE_CHARS)),
    ]
    return {
        "type": "modal",
        "callback_id": CallbackId.NOTE_MODAL.value,
        "title": {"type": "plain_text", "text": "Reference note"},
        "submit": {"type": "plain_text", "text": "Save note"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": private_metadata,
        "blocks": [block.to_dict() for block in blocks],
    }


def read_modal(values: Mapping[str, Mapping[str, Any]]) -> dict[str, str | None]:
    """The submitted modal's values by field (None when empty), from `view.state.values`."""
    out: dict[str, str | None] = {}
    for field in NoteField:
        state = (values.get(field.value) or {}).get(FIELD_ACTION) or {}
        if field is NoteField.SENTIMENT:
            value = (state.get("selected_option") or {}).get("value")
        else:
            value = state.get("value")
        out[field.value] = value if isinstance(value, str) and value.strip() else None
    return out


# --- the thread -------------------------------------------------------------------------------


def _split(text: str, limit: int = _SECTION_LIMIT) -> list[str]:
    """Escaped text cut into pieces of at most `limit` characters, never inside an entity."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", limit // 2, limit)
        if cut == -1:
            cut = text.rfind(" ", limit // 2, limit)
        if cut == -1:
            cut = limit
        amp = text.rfind("&", 0, cut)
        if amp != -1 and amp > cut - 6 and ";" not in text[amp:cut]:
            cut = amp
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    pieces.append(text)
    return pieces


def _who_was_called(note: NoteLine) -> str | None:
    who = ", ".join(escape(x) for x in (note.called_name, note.institution) if x)
    if note.role:
        who = f"{who} ({escape(note.role)})" if who else escape(note.role)
    parts = []
    if who:
        parts.append(f"*Called:* {who}")
    if note.relationship:
        parts.append(f"*Relationship:* {escape(note.relationship)}")
    return " · ".join(parts) or None


def thread_parent(*, candidate_name: str, aamc_id: str) -> tuple[str, list[dict[str, Any]]]:
    """The parent message that starts a candidate's thread when no card was posted yet."""
    text = f"Reference notes for {escape(candidate_name)} ({escape(aamc_id)})"
    block = SectionBlock(text=MarkdownTextObject(text=clip(
        f":telephone_receiver: Reference notes for *{escape(candidate_name)}* ({escape(aamc_id)}). "
        "Reply in this thread to add one.", _SECTION_LIMIT)))
    return clip(text, 3000), [block.to_dict()]


def note_post(note: NoteLine, *, candidate_name: str, aamc_id: str) -> tuple[str, list[dict[str, Any]]]:
    """The reply posted in the candidate's thread: author, sentiment, who was called, the note."""
    about = f"about *{escape(candidate_name)}* ({escape(aamc_id)})"
    if note.source == NoteSource.PLAN:
        head = f":clipboard: Note from the pre-SOAP plan {about} (imported by {mention(note.author)})"
    elif note.sentiment in set(Sentiment):
        emoji = _SENTIMENTS[Sentiment(note.sentiment)][2]
        head = f"{emoji} *{sentiment_label(note.sentiment)}*: reference note from {mention(note.author)} {about}"
    else:
        head = f":memo: New reference note from {mention(note.author)} {about}"
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=clip(head, _SECTION_LIMIT)))]
    called = _who_was_called(note)
    if called:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(called, 2000))]))
    for piece in _split(escape(note.text))[:10]:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=piece)))
    if note.source == NoteSource.PLAN:
        text = "Note from the pre-SOAP plan"
    elif note.sentiment in set(Sentiment):
        text = f"Reference note ({sentiment_label(note.sentiment).lower()}) from {mention(note.author)}"
    else:
        text = f"Reference note from {mention(note.author)}"
    return text, [block.to_dict() for block in blocks]


# --- the ephemeral list -----------------------------------------------------------------------


def _when(at: datetime, timezone: str) -> str:
    local = at.astimezone(ZoneInfo(timezone))
    return local.strftime("%a %d %b %H:%M %Z")


_SOURCES = {NoteSource.COMMAND: "by command", NoteSource.MODAL: "by form", NoteSource.THREAD: "in the thread",
            NoteSource.PLAN: "from the pre-SOAP plan"}


def notes_list(*, candidate_name: str, aamc_id: str, notes: Sequence[NoteLine], total: int, page: int,
               pages: int, counts: Mapping[str | None, int], timezone: str) -> tuple[str, list[dict[str, Any]]]:
    """`/soap notes <id>`: one page of notes, newest first (at most NOTES_PER_PAGE a page)."""
    title = f"Reference notes for *{escape(candidate_name)}* ({escape(aamc_id)})"
    if total == 0:
        text = f"{title}: none yet. Add one with `/soap ref {escape(aamc_id)} …` or the card's button."
        return text, [SectionBlock(text=MarkdownTextObject(text=clip(text, _SECTION_LIMIT))).to_dict()]
    summary = f"{title}: {card_lines(counts)[0]}"
    if pages > 1:
        summary += f" (page {page} of {pages}, newest first)"
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=clip(summary, _SECTION_LIMIT)))]
    for note in list(notes)[:NOTES_PER_PAGE]:
        head = f"*{sentiment_label(note.sentiment)}* · {mention(note.author)} · {_when(note.created_at, timezone)}"
        head += f" · {_SOURCES[note.source]}" + (" (edited)" if note.edited else "")
        called = _who_was_called(note)
        body = clip(escape(note.text), _SECTION_LIMIT - len(head) - len(called or "") - 4)
        section = "\n".join(x for x in (head, called, body) if x)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(section, _SECTION_LIMIT))))
    # ActionId.PAGE is shared by every paginated list: our pager is told apart by its block ids.
    if page > 1:
        blocks.append(ActionsBlock(block_id=f"{PAGE_BLOCK_ID}.newer", elements=[ButtonElement(
            action_id=ActionId.PAGE.value, text=PlainTextObject(text="Newer"), value=_page_value(aamc_id, page - 1))]))
    if page < pages:
        blocks.append(ActionsBlock(block_id=f"{PAGE_BLOCK_ID}.older", elements=[ButtonElement(
            action_id=ActionId.PAGE.value, text=PlainTextObject(text="Older"), value=_page_value(aamc_id, page + 1))]))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(
        text="Only you can see this list. Notes are confidential: keep them in the war room.")]))
    text = f"{title}: {total} reference note{'s' if total != 1 else ''}"
    return text, [block.to_dict() for block in blocks]


def _page_value(aamc_id: str, page: int) -> str:
    return button_value(NotesPageButton(aamc_id, page))


def read_page_value(value: str | None) -> tuple[str, int] | None:
    """(AAMC ID, page) from a pager button's value, or None when it is not ours."""
    try:
        button = read_button(NotesPageButton, value)
    except ValueError:
        return None
    return button.aamc_id, max(1, button.page)


def saved_reply(*, candidate_name: str, aamc_id: str, posted: bool, read_as: str | None = None) -> str:
    """`read_as`: the sentiment the note's words gave it (a typed note), said so the author can tell."""
    who = f"*{escape(candidate_name)}* ({escape(aamc_id)})"
    read = (f" Its words read as *{sentiment_label(read_as)}*; the note form (card button) lets you choose one."
            if read_as else "")
    if posted:
        return (f":white_check_mark: Saved your reference note for {who} and posted it in the candidate's "
                f"thread.{read}")
    return (f":floppy_disk: Saved your reference note for {who}. Slack is not accepting posts right now; "
            f"the bot will post it in the candidate's thread as soon as it can.{read}")



def reply_too_long(chars: int) -> str:
    """The answer, in the thread and to its author only, to a reply too long to keep as a note."""
    return (f":scissors: Your reply is {chars:,} characters; a reference note keeps at most {MAX_NOTE_CHARS:,}, "
            "so it was not saved. Split it into two replies, or shorten it (edit it) to save it; "
            "`/soap ref <AAMC ID> <note>` takes notes up to the same length.")


def card_section(aamc_id: str, counts: Mapping[str | None, int], latest: Sequence[NoteLine]) -> CardSection:
    """The card's notes section: count, sentiment summary, the latest notes' gist, "Add reference note"."""
    return CardSection(title="Reference notes", lines=card_lines(counts, latest),
                       buttons=(CardButton(action_id=ActionId.ADD_NOTE.value, text="Add reference note",
                                           value=aamc_id),))
