"""Mentions typed in the console reach the app as the Slack client sends a picked mention."""

from __future__ import annotations

from bot.console.mentions import with_mentions
from bot.console.workspace import Member

EVE = Member("U0DEMOEVE5", "eve.demoray", "Eve Demoray", "program coordinator")
ADA = Member("U0DEMOADA1", "ada.testwell", "Dr. Ada Testwell", "program director")
EVAN = Member("U0DEMOEVN6", "eve", "Evan Example")
MEMBERS = [EVE, ADA, EVAN]


def test_handle_and_full_name_become_slack_mentions_in_a_command() -> None:
    assert with_mentions("observer add @eve.demoray", MEMBERS, labelled=True) == \
        "observer add <@U0DEMOEVE5|eve.demoray>"
    assert with_mentions("observer add @Eve Demoray", MEMBERS, labelled=True) == \
        "observer add <@U0DEMOEVE5|eve.demoray>"
    assert with_mentions("director add @ada testwell", MEMBERS, labelled=True) == \
        "director add <@U0DEMOADA1|ada.testwell>"


def test_the_longest_name_wins_and_a_name_must_end_where_the_word_ends() -> None:
    # `@eve` is Evan's handle; `@eve.demoray` is Eve's, and `@evening` is nobody.
    assert with_mentions("@eve and @eve.demoray, not @evening", MEMBERS) == \
        "<@U0DEMOEVN6> and <@U0DEMOEVE5>, not @evening"
    assert with_mentions("thanks @Eve Demoray.", MEMBERS) == "thanks <@U0DEMOEVE5>."


def test_anything_else_is_sent_as_typed() -> None:
    for text in ("ask @nobody", "mail eve@example.org", "<@U0DEMOEVE5> already escaped", "@", ""):
        assert with_mentions(text, MEMBERS) == text
