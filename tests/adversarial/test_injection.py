"""Mentions and links smuggled in through every text field never reach Slack unescaped.

Slack reads `<!channel>`, `<!here>`, `<@U…>`, `<!subteam^…>`, `<#C…>` and `<https://x|label>` in
mrkdwn as pings and disguised links. The file, the people typing and the program's own settings are
all untrusted: each hostile string goes in through import (names, school, states), notes (command,
modal fields, thread replies), reasons (triage override, list unlock, interview outcome), the
program name and policy values, and through the error messages that echo what was typed. Every
Web API call the app made is then searched, ephemeral answers to response_url included: every
string Slack renders as mrkdwn (message text, `mrkdwn` text objects in blocks and views). Text in
`plain_text` objects (headers, buttons, modal titles) is not searched: Slack never turns it into a
mention or a link.
"""

from __future__ import annotations

import json
from typing import Any

from bot.console.payloads import static_select
from bot.console.signing import SlackClientSim
from bot.domain.notes import NoteField
from tests.adversarial.conftest import AdversarialServed, import_rows, program_id
from tests.e2e.conftest import DIRECTOR, MEMBERS, WAR_ROOM
from tests.factories import aamc_id, applicant_row, eras_csv
from tests.harness.slack_api import SlackStandIn

HOSTILE = ("<!channel>", "<!here>", f"<@{DIRECTOR}>", "<https://evil.example|click>", "<!subteam^S0ADMINS>",
           "<#C0PUBLIC01>", "<!everyone>")
CHAIR, COLLEAGUE = MEMBERS[0], MEMBERS[1]  # act as others so that no legitimate mention of DIRECTOR appears
A, B = aamc_id(1), aamc_id(2)


def _mix(i: int) -> str:
    return HOSTILE[i % len(HOSTILE)]


def _rendered(value: Any, out: list[str]) -> None:
    """Collect every string Slack renders as mrkdwn (plain_text objects never ping or link)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return
    if isinstance(value, list):
        for item in value:
            _rendered(item, out)
    elif isinstance(value, dict):
        if value.get("type") == "plain_text":
            return
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            out.append(value["text"])
            return
        for item in value.values():
            if not isinstance(item, str):
                _rendered(item, out)


def shown_as_mrkdwn(standin: SlackStandIn) -> str:
    """Message text, mrkdwn blocks and views of every call the app made (top-level `text` and
    `initial_comment` are mrkdwn; so are the texts of `mrkdwn` objects inside blocks and views)."""
    out: list[str] = []
    for call in standin.calls:
        for key in ("text", "initial_comment"):
            if isinstance(call.params.get(key), str):
                out.append(call.params[key])
        for key in ("blocks", "attachments", "view"):
            if key in call.params:
                _rendered(call.params[key], out)
    return "\n".join(out)


def _assert_escaped(standin: SlackStandIn) -> None:
    everything = shown_as_mrkdwn(standin)
    assert everything, "nothing was shown: the test would prove nothing"
    for raw in HOSTILE:
        at = everything.find(raw)
        assert at == -1, f"{raw} reached Slack unescaped: …{everything[max(0, at - 150):at + 60]}…"
    assert "&lt;!channel&gt;" in everything or "&lt;!here&gt;" in everything


def _hand_over(slack: SlackClientSim, standin: SlackStandIn, served: AdversarialServed) -> None:
    """CHAIR becomes a director and DIRECTOR leaves the channel, so that any `<@U0DIRECTOR>` Slack
    receives afterwards can only be one that was injected (the bot mentions committee members)."""
    slack.command(f"director add <@{CHAIR}>", DIRECTOR, WAR_ROOM)
    served.idle()
    standin.set_members(WAR_ROOM, [m for m in MEMBERS])
    served.room.directory.forget()
    standin.reset()


def test_applicant_fields_from_the_export_are_escaped_everywhere_they_are_shown(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    """Defence: bot.messages.mrkdwn.escape in the card, list, find, triage, vote, home and import builders."""
    _hand_over(slack, standin, served)
    rows = [applicant_row(1, first_name=f"{_mix(0)} Avery", last_name=f"Hollowmere {_mix(3)}",
                          middle_name=_mix(1), school=f"{_mix(2)} School of Medicine"),
            applicant_row(2, first_name=_mix(4), last_name=f"Quill {_mix(5)}", school=_mix(6))]
    file = standin.share_file("export.csv", eras_csv(rows), CHAIR)
    share = slack.message_event(WAR_ROOM, CHAIR, "import")
    share.update({"subtype": "file_share", "files": [file]})
    slack.event(share)
    served.idle()
    for text in (f"candidate {A}", f"candidate {B}", "candidate hollowmere", "find state:OH", "triage",
                 f"vote {A} high", f"vote {B} dnr", "list", f"notes {A}", f"votes {A}", "next", f"pin {A}",
                 f"audit {A}"):
        slack.command(text, CHAIR, WAR_ROOM)
    served.idle()
    slack.event(slack.app_home_opened_event(CHAIR))
    served.idle()
    assert standin.calls_to("views.publish")
    _assert_escaped(standin)


def test_bad_cells_echoed_in_import_errors_are_escaped(served: AdversarialServed, slack: SlackClientSim,
                                                        standin: SlackStandIn, war_room: str) -> None:
    """Defence: the import report escapes the cell values it quotes (row, column, value)."""
    _hand_over(slack, standin, served)
    rows = [applicant_row(i, permanent_state=_mix(i), grad_date=_mix(i + 1), step1=_mix(i + 2),
                          visa_needed=_mix(i + 3)) for i in range(len(HOSTILE))]
    rows.append({**applicant_row(99), "AAMC ID": _mix(2)})
    file = standin.share_file("bad.csv", eras_csv(rows), CHAIR)
    share = slack.message_event(WAR_ROOM, CHAIR, "import")
    share.update({"subtype": "file_share", "files": [file]})
    slack.event(share)
    served.idle()
    reply = standin.calls_to("chat.postMessage")[0].params["text"]
    assert "Nothing imported" in reply
    _assert_escaped(standin)


def test_typed_text_notes_reasons_and_echoed_errors_are_escaped(served: AdversarialServed, slack: SlackClientSim,
                                                                  standin: SlackStandIn, war_room: str) -> None:
    """Defence: escape() in the note, triage, list, interview and error builders; the router's
    unknown-subcommand answer; BadInput messages built with escaped input."""
    import_rows(served.room.database, [applicant_row(1), applicant_row(2)])
    _hand_over(slack, standin, served)
    typed = [f"ref {A} {_mix(0)} said {_mix(3)} and {_mix(1)}",
             f"triage {A} dnr {_mix(2)} was rude {_mix(0)}",
             f"triage {B} interviewed {_mix(4)}",
             "list lock 1 confirm", f"list unlock 1 {_mix(1)} changed {_mix(3)}",
             f"interview {A}", f"interview {A} done {_mix(0)} great call {_mix(5)}",
             f"{_mix(0)}", f"candidate {_mix(1)}", f"flag {A} {_mix(2)}", f"vote {A} {_mix(3)}",
             f"notes {_mix(4)}", f"offer {A} 1 {_mix(0)}", f"schedule set round=1 deadline={_mix(1)}",
             f"policy set visas={_mix(0)}", f"policy set home_states={_mix(1)}", f"positions set {_mix(2)}=1",
             f"director add {_mix(3)}", f"find {_mix(0)} {_mix(3)}", f"rank {A} {_mix(1)}", f"next {_mix(2)}"]
    for text in typed:
        slack.command(text, CHAIR, WAR_ROOM)
    served.idle()
    note = slack.state_values({
        NoteField.TEXT: {"value": f"{_mix(0)} modal note {_mix(3)}"},
        NoteField.CALLED_NAME: {"value": _mix(1)}, NoteField.INSTITUTION: {"value": _mix(3)},
        NoteField.ROLE: {"value": _mix(4)}, NoteField.RELATIONSHIP: {"value": _mix(5)},
        NoteField.SENTIMENT: {"value": static_select("concern")},
    })
    metadata = json.dumps({"program": program_id(served.room.database), "candidate": A})
    slack.view_submission(COLLEAGUE, "note.modal", note, metadata)
    served.idle()
    from sqlalchemy import select

    from storage.models import Candidate
    with served.room.database.reading() as session:
        thread = session.scalar(select(Candidate.thread_ts).where(Candidate.aamc_id == A))
    assert thread
    slack.event(slack.message_event(WAR_ROOM, COLLEAGUE, f"ref: thread note {_mix(0)} {_mix(3)}", thread_ts=thread))
    served.idle()
    for text in (f"notes {A}", f"candidate {A}", f"audit {A}"):
        slack.command(text, CHAIR, WAR_ROOM)
    served.idle()
    _assert_escaped(standin)


def test_program_name_is_escaped_in_posts_modals_and_answers(served: AdversarialServed, slack: SlackClientSim,
                                                             standin: SlackStandIn, war_room: str) -> None:
    """Defence: escape() of program.name in the setup, rename, committee, purge modal and list builders."""
    _hand_over(slack, standin, served)
    slack.command(f"setup {_mix(0)} Medicine {_mix(3)} {_mix(1)}", CHAIR, WAR_ROOM)
    served.idle()
    import_rows(served.room.database, [applicant_row(1)])
    for text in ("schedule", "positions", "policy", "list", "purge", "triage", f"candidate {A}"):
        slack.command(text, CHAIR, WAR_ROOM)
    served.idle()
    assert standin.calls_to("views.open"), "the purge modal was not opened"
    _assert_escaped(standin)
