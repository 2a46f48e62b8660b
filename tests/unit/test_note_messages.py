"""Reference-note builders: summary wording, escaping, Slack limits whatever the note holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.console.blockkit import validate_blocks, validate_view
from bot.console.payloads import state_values, static_select
from bot.messages.ids import CallbackId
from bot.messages.notes import (
    MAX_NOTE_CHARS,
    NOTES_PER_PAGE,
    NoteField,
    NoteLine,
    card_lines,
    note_modal,
    note_post,
    notes_list,
    read_modal,
    read_page_value,
    sentiment_summary,
    thread_parent,
)

AT = datetime(2027, 3, 17, 18, 5, tzinfo=UTC)
HOSTILE = "<!channel> see <https://evil.example|click> & <@U0SOMEONE>"


def _note(text: str = "Reliable, strong clinically.", **kw: object) -> NoteLine:
    values: dict = {"id": 1, "author": "U0MEMBER01", "source": "modal", "text": text, "created_at": AT,
                    "sentiment": "strong_advocate"}
    values.update(kw)
    return NoteLine(**values)


def test_summary_counts_each_sentiment_in_order_with_plurals() -> None:
    counts = {"concern": 1, "strong_advocate": 2}
    assert sentiment_summary(counts) == "2 strong advocates, 1 concern"
    assert sentiment_summary({"advises_against": 2, "positive": 1, None: 3}) == \
        "1 positive, 2 advise against, 3 unrated"
    assert card_lines({}) == ("No reference notes yet.",)
    assert card_lines({"neutral": 1}) == ("*1* reference note: 1 neutral",)


def test_the_thread_post_mentions_the_author_and_escapes_everything_typed() -> None:
    note = _note(HOSTILE, called_name="<!here> Dr. Example", institution="A&B Hospital", role="PD",
                 relationship="<@U0X> mentor")
    text, blocks = note_post(note, candidate_name="<!channel> Avery", aamc_id="12345678")
    everything = json.dumps(blocks) + text
    assert "<!channel>" not in everything
    assert "<!here>" not in everything
    assert "<https://evil.example|click>" not in everything
    assert "<@U0SOMEONE>" not in everything
    assert "&lt;!channel&gt; see" in everything
    assert "<@U0MEMBER01>" in blocks[0]["text"]["text"]
    assert "Strong advocate" in blocks[0]["text"]["text"]
    assert "A&amp;B Hospital (PD)" in json.dumps(blocks)
    assert validate_blocks(blocks) == []


def test_a_note_of_ampersands_is_split_into_valid_sections_without_breaking_an_entity() -> None:
    _, blocks = note_post(_note("&" * MAX_NOTE_CHARS), candidate_name="Avery Example", aamc_id="12345678")
    pieces = [b["text"]["text"] for b in blocks[1:] if b["type"] == "section"]
    assert "".join(pieces) == "&amp;" * MAX_NOTE_CHARS
    assert all(piece.endswith(";") for piece in pieces)
    assert validate_blocks(blocks) == []


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=MAX_NOTE_CHARS), st.sampled_from([None, "neutral", "concern"]))
def test_any_typed_note_posts_within_slack_limits(text: str, sentiment: str | None) -> None:
    _, blocks = note_post(_note(text, sentiment=sentiment), candidate_name=text[:300], aamc_id="12345678")
    assert validate_blocks(blocks) == []


def test_the_list_stays_within_limits_with_huge_thread_notes_and_pages() -> None:
    notes = [_note(HOSTILE * 800, id=i, source="thread", sentiment=None, created_at=AT - timedelta(hours=i))
             for i in range(NOTES_PER_PAGE)]
    text, blocks = notes_list(candidate_name="Avery Example", aamc_id="12345678", notes=notes, total=30, page=2,
                              pages=4, counts={None: 30}, timezone="America/Chicago")
    assert validate_blocks(blocks) == []
    assert "<!channel>" not in json.dumps(blocks) + text
    assert "page 2 of 4" in blocks[0]["text"]["text"]
    assert "Wed 17 Mar 13:05 CDT" in blocks[1]["text"]["text"]  # 18:05 UTC, in the program's time zone
    pager = [b for b in blocks if b["type"] == "actions"]
    values = [read_page_value(b["elements"][0]["value"]) for b in pager]
    assert values == [("12345678", 1), ("12345678", 3)]
    assert len({b["block_id"] for b in pager}) == 2


def test_an_empty_list_says_how_to_add_a_note() -> None:
    text, blocks = notes_list(candidate_name="Avery Example", aamc_id="12345678", notes=[], total=0, page=1,
                              pages=1, counts={}, timezone="America/New_York")
    assert "none yet" in text
    assert "/soap ref 12345678" in text
    assert validate_blocks(blocks) == []


def test_the_modal_is_valid_and_reads_back_what_was_typed() -> None:
    view = note_modal(candidate_name=HOSTILE, aamc_id="12345678", private_metadata='{"program":1}')
    assert validate_view(view) == []
    assert view["callback_id"] == CallbackId.NOTE_MODAL
    assert "<!channel>" not in json.dumps(view)
    values = state_values({
        NoteField.CALLED_NAME: {"value": "Dr. Jordan Example"},
        NoteField.INSTITUTION: {"value": None},
        NoteField.ROLE: {"value": "  "},
        NoteField.RELATIONSHIP: {"value": "Sub-I supervisor"},
        NoteField.SENTIMENT: {"value": static_select("concern")},
        NoteField.TEXT: {"value": "Late twice."},
    })
    assert read_modal(values) == {
        NoteField.CALLED_NAME: "Dr. Jordan Example", NoteField.INSTITUTION: None, NoteField.ROLE: None,
        NoteField.RELATIONSHIP: "Sub-I supervisor", NoteField.SENTIMENT: "concern", NoteField.TEXT: "Late twice.",
    }
    assert read_modal({})[NoteField.TEXT] is None


def test_a_thread_parent_names_the_candidate_safely() -> None:
    text, blocks = thread_parent(candidate_name="<!channel>", aamc_id="12345678")
    assert text == "Reference notes for &lt;!channel&gt; (12345678)"
    assert validate_blocks(blocks) == []


def test_page_values_that_are_not_ours_are_refused() -> None:
    assert read_page_value("not json") is None
    assert read_page_value('{"page": 2}') is None
    assert read_page_value(None) is None
    assert read_page_value('{"aamc_id": "12345678", "page": -4}') == ("12345678", 1)


def test_a_quick_note_without_sentiment_says_so_plainly() -> None:
    text, blocks = note_post(_note(sentiment=None, source="command"), candidate_name="Avery", aamc_id="12345678")
    assert text == "Reference note from <@U0MEMBER01>"
    assert blocks[0]["text"]["text"].startswith(":memo: New reference note from <@U0MEMBER01> about *Avery*")
