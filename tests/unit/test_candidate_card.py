"""The candidate card builder: every field a committee scans, escaped, within Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.console.blockkit import validate_blocks
from bot.domain.cards import CardButton, CardFacts, CardSection, ExamLine, Override
from bot.messages.candidate_card import candidate_card_blocks, card_text
from bot.messages.ids import ActionId


def _facts(**overrides: object) -> CardFacts:
    base: dict[str, object] = dict(
        timezone="America/New_York",
        candidate_id=7, aamc_id="20000001", name="Blake Alford", school="Example State University",
        school_location="OH, United States", degree_type="US MD", degree="MD", graduation_year=2024, years_out=2,
        exams=(ExamLine("Step 1", "Fail, then Pass", 2, 1), ExamLine("Step 2 CK", "238", 1, 0)),
        exam_failures=1, exam_attempts=3, visa="needs J-1; we sponsor J-1 only", visa_ok=True,
        red_flags=("misdemeanor conviction",), ties=("permanent address in OH",), home_states=("OH",),
        connections=("rotated here",), tracks=("Categorical", "Preliminary"), us_clinical_months=12,
        recent_clinical_months=10, bucket="strong paper", risk="elevated", reasons=("recent clinical work",),
        risk_reasons=("1 exam failure", "misdemeanor conviction"), offsets=("10 months of recent clinical work",),
    )
    base.update(overrides)
    return CardFacts(**base)  # type: ignore[arg-type]


def _text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_card_shows_every_field_the_committee_scans() -> None:
    blocks = candidate_card_blocks(_facts())
    assert validate_blocks(blocks) == []
    text = _text(blocks)
    for expected in ("Blake Alford", "20000001", "Example State University", "US MD", "2024 (2 years out)",
                     "Step 1: Fail, then Pass", "1 failure", "3 attempts", "needs J-1; we sponsor J-1 only",
                     "misdemeanor conviction", "permanent address in OH", "rotated here", "Categorical",
                     "strong paper", "elevated", "recent clinical work", "Offsets"):
        assert expected in text, expected
    assert ActionId.CARD_REFRESH.value in text


def test_override_is_shown_with_who_when_and_why() -> None:
    facts = _facts(bucket="do not rank", override=Override("interviewed", "U0DIRECTOR",
                                                           datetime(2027, 3, 17, 18, 5, tzinfo=UTC),
                                                           "met her at the <b>open house</b>"))
    text = _text(candidate_card_blocks(facts))
    assert "*interviewed*" in text
    assert "<@U0DIRECTOR>" in text
    assert "Mar 17, 2:05 PM" in text  # shown in the program's time zone (New York)
    assert "&lt;b&gt;open house&lt;/b&gt;" in text
    assert "computed: do not rank" in text
    assert card_text(facts).endswith("interviewed")


def test_mentions_and_links_in_file_data_are_escaped() -> None:
    facts = _facts(name="<!channel> <https://evil.example|click> & co", school="<!here>",
                   red_flags=("<@U0EVIL>",), tracks=("<!subteam^S1>",))
    text = _text(candidate_card_blocks(facts)) + card_text(facts)
    for raw in ("<!channel>", "<!here>", "<https://evil.example|click>", "<@U0EVIL>", "<!subteam"):
        assert raw not in text
    assert "&lt;!channel&gt;" in text


def test_long_names_forty_flags_and_many_sections_stay_within_limits() -> None:
    many = tuple(f"flag number {i} " + "x" * 150 for i in range(40))
    sections = tuple(CardSection(title=f"Section {i} " + "t" * 300, lines=tuple("line " * 200 for _ in range(20)),
                                 buttons=tuple(CardButton(f"act.{j}", "B" * 200, "v" * 3000) for j in range(30)))
                     for i in range(30))
    facts = _facts(name="N" * 5000, school="S" * 4000, red_flags=many, connections=many, tracks=many, ties=many,
                   reasons=many, risk_reasons=many, offsets=many, sections=sections,
                   exams=tuple(ExamLine("Step 1", "Fail", 9, 9) for _ in range(40)))
    blocks = candidate_card_blocks(facts)
    assert len(blocks) <= 50
    assert validate_blocks(blocks) == []
    assert "+28 more" in _text(blocks)
    assert "not shown" in _text(blocks)


def test_feature_sections_render_with_their_buttons() -> None:
    section = CardSection("Votes (3)", ("rank high: 2", "do not rank: 1"),
                          (CardButton(ActionId.VOTE_RANK_HIGH.value, "Rank high", "7", "primary"),
                           CardButton(ActionId.VOTE_DO_NOT_RANK.value, "Do not rank", "7", "danger")))
    blocks = candidate_card_blocks(_facts(sections=(section,)))
    actions = [b for b in blocks if b["type"] == "actions" and b["block_id"].startswith("card.section")]
    assert [e["action_id"] for e in actions[0]["elements"]] == ["vote.rank_high", "vote.do_not_rank"]
    assert "rank high: 2" in _text(blocks)


@settings(max_examples=60, deadline=None)
@given(name=st.text(max_size=400), flags=st.lists(st.text(max_size=300), max_size=45),
       reason=st.text(max_size=600))
def test_any_data_gives_valid_blocks(name: str, flags: list[str], reason: str) -> None:
    facts = _facts(name=name or "x", red_flags=tuple(flags), tracks=tuple(flags),
                   override=Override("backup", "U0DIRECTOR", None, reason))
    blocks = candidate_card_blocks(facts)
    assert validate_blocks(blocks) == []
    assert "<!" not in _text(blocks).replace("&lt;!", "")


def test_each_track_is_shown_with_its_nrmp_program_code_and_contact_is_on_the_card() -> None:
    facts = _facts(tracks=("Internal Medicine|1234140C0 (Categorical)", "Internal Medicine|1234140P0 (Preliminary)"),
                   tracks_considered=("Internal Medicine|1234140C0 (Categorical)", "Transitional|7654321P0"),
                   soap_status="Unmatched", phones=("(555) 010-0120", "(555) 010-0121"),
                   email="a<b>@example.org", honors=("AOA", "no GHHS chapter at their school"))
    blocks = candidate_card_blocks(facts)
    assert validate_blocks(blocks) == []
    text = _text(blocks)
    for expected in ("Internal Medicine · Categorical `1234140C0`", "Internal Medicine · Preliminary `1234140P0`",
                     "considered by us: Transitional · Preliminary `7654321P0`", "SOAP status: Unmatched",
                     "(555) 010-0120", "(555) 010-0121", "a&lt;b&gt;@example.org", "AOA",
                     "no GHHS chapter at their school"):
        assert expected in text, expected


def test_the_card_says_not_in_the_export_where_a_rule_had_nothing_to_read() -> None:
    facts = _facts(graduation_year=None, years_out=None, exams=(), exam_failures=0, exam_attempts=0,
                   visa="not stated", visa_ok=None, red_flags=(), screened=("felony conviction",),
                   not_in_export=(("graduation date", "years-since-graduation rule"),
                                  ("exam results", "exam-failures rule"), ("visa status", "visa rule")))
    text = _text(candidate_card_blocks(facts))
    assert text.count("not in the export") == 4  # graduated, exams, visa, and no phone or e-mail
    assert "Not in the export: graduation date (years-since-graduation rule off); exam results" in text
    assert "screened: felony conviction" in text
