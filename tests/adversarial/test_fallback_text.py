"""The plain-text fallback beside blocks (`text`, what notifications and old clients show) is mrkdwn too:
a `<!channel>` in a program or applicant name must be escaped there as in the blocks.

A hostile program name and hostile applicant names, then every read a director can make and the
posts that name the program; every `text` the app sent is searched (as in test_injection.py).
"""

from __future__ import annotations

from bot.console.signing import SlackClientSim
from tests.adversarial.conftest import AdversarialServed, import_rows
from tests.adversarial.test_injection import _hand_over, shown_as_mrkdwn
from tests.e2e.conftest import MEMBERS, WAR_ROOM
from tests.factories import aamc_id, applicant_row
from tests.harness.slack_api import SlackStandIn

CHAIR = MEMBERS[0]
# The audit rightly names the director who set the program up: the injected mention is someone else's.
HOSTILE = ("<!channel>", "<!here>", "<@U0NOTHERE>", "<https://evil.example|click>", "<!subteam^S0ADMINS>",
           "<#C0PUBLIC01>", "<!everyone>")
A, B = aamc_id(1), aamc_id(2)


def test_every_fallback_text_beside_blocks_is_escaped(served: AdversarialServed, slack: SlackClientSim,
                                                      standin: SlackStandIn, war_room: str) -> None:
    """Defence: escape() of every name in each answer's `text` (`/soap audit` sent the program name and the
    applicant raw in its fallback)."""
    _hand_over(slack, standin, served)
    slack.command(f"setup {HOSTILE[0]} Medicine {HOSTILE[1]}", CHAIR, WAR_ROOM)
    served.idle()
    import_rows(served.room.database, [
        applicant_row(1, **{"First Name": HOSTILE[0], "Last Name": f"{HOSTILE[1]} Doe"}),
        applicant_row(2, **{"First Name": HOSTILE[4], "Last Name": f"Roe {HOSTILE[6]}"})])
    for words in (f"vote {A} high", f"vote {B} rank", f"rank {A} {B}", f"pin {A}", f"interview {A}",
                  f"ref {A} called about {HOSTILE[2]}", f"triage {B} interviewed {HOSTILE[3]}"):
        slack.command(words, CHAIR, WAR_ROOM)
        served.idle()
    for words in ("audit", f"audit {A}", f"audit {B}", "committee", "list", "next", "find type:md", "triage",
                  f"notes {A}", f"votes {A}", "interviews", "positions", "schedule", "policy", f"candidate {B}",
                  "plan", "unseen", "help"):
        slack.command(words, CHAIR, WAR_ROOM)
        served.idle()
    everything = shown_as_mrkdwn(standin)
    assert "&lt;!channel&gt;" in everything
    for raw in HOSTILE:
        at = everything.find(raw)
        assert at == -1, f"{raw} reached Slack unescaped: …{everything[max(0, at - 150):at + 60]}…"


TRACK = "Internal Medicine|1234140C0 (<!channel> <!here> <!everyone> <@U0NOTHERE>)"
MENTIONS = ("<!channel>", "<!here>", "<!everyone>", "<@U0NOTHERE>")


def test_a_program_code_label_from_the_export_pings_nobody(served: AdversarialServed, slack: SlackClientSim,
                                                          standin: SlackStandIn, war_room: str) -> None:
    """Defence: escape() of the plain-text titles reused as mrkdwn fallback (`locked_post`, `list_page`). Before:
    the track `Internal Medicine|1234140C0 (<!channel> <!here> <!everyone> <@U…>)` reached Slack live in
    the lock post's `text` and the `/soap list` answer: anyone who may share an export could ping the
    whole channel."""
    _hand_over(slack, standin, served)
    import_rows(served.room.database, [applicant_row(1, tracks=[TRACK]), applicant_row(2, tracks=[TRACK])])
    for words in (f"vote {A} high", f"vote {B} rank", "positions set 1234140C0=2", "list", "list 1234140C0",
                  "next", "positions", "schedule", f"candidate {A}", "find track:1234140C0", "list lock 1 confirm",
                  "list", "schedule", "next", f"offer {A} 1 accepted", "positions", f"audit {A}"):
        slack.command(words, CHAIR, WAR_ROOM)
        served.idle()
    assert any(c.method == "chat.postMessage" and "locked" in str(c.params.get("text"))
               for c in standin.calls), "the lock post was not sent: the test would prove nothing"
    everything = shown_as_mrkdwn(standin)
    assert "&lt;!channel&gt;" in everything
    for raw in MENTIONS:
        at = everything.find(raw)
        assert at == -1, f"{raw} reached Slack unescaped: …{everything[max(0, at - 150):at + 60]}…"
