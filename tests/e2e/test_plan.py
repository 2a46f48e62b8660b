"""The pre-SOAP plan carried into SOAP, and no applicant left unseen, through signed requests and the CLI."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.cli_commands.import_plan import run_import_plan
from bot.clock import JOBS
from bot.console.payloads import new_event_id
from bot.console.signing import SlackClientSim
from storage.models import AuditEvent, Candidate, PlanEntry, ReferenceNote
from tests.e2e.conftest import DIRECTOR, MEMBERS, WAR_ROOM, Served
from tests.factories import aamc_id, applicant_row, eras_csv, img_row, synthetic_name, write_export
from tests.harness.slack_api import SlackStandIn
from tests.harness.waiting import eventually

COORDINATOR = MEMBERS[0]
NOTES = {1: "strong interview, no rank", 2: "failed Step 1, improved Step 2", 3: "rotated here in October"}


def plan_row(index: int, choice: str, note: str = "", **flags: str) -> dict[str, Any]:
    first, last = synthetic_name(index)
    return {"AAMC ID": aamc_id(index), "Applicant Name": f"{last.upper()}, {first.upper()}", "Pre-SOAP": choice,
            "Interviewed": flags.get("interviewed", ""), "Rotated Here": flags.get("rotated", ""),
            "Home Student": flags.get("home", ""), "Note": note}


FIVE = [plan_row(1, "thrilled", NOTES[1], interviewed="Yes"), plan_row(2, "soap-only", NOTES[2]),
        plan_row(3, "no way", NOTES[3], rotated="Yes"), plan_row(4, "thrilled", home="Yes"), plan_row(5, "no")]


def share(slack: SlackClientSim, standin: SlackStandIn, user: str, name: str, content: bytes, text: str
          ) -> dict[str, Any]:
    file = standin.share_file(name, content, user)
    event = slack.message_event(WAR_ROOM, user, text)
    event.update({"subtype": "file_share", "files": [file], "upload": False, "display_as_bot": False})
    assert slack.event(event, event_id=f"Ev{event['ts'].replace('.', '')}").status == 200
    return event


def command(slack: SlackClientSim, standin: SlackStandIn, user: str, text: str) -> dict[str, Any]:
    before = len(standin.calls_to("response_url"))
    slack.command(text, user, WAR_ROOM)
    answer = standin.wait_for("response_url", count=before + 1)[-1].params
    assert answer["response_type"] == "ephemeral"
    return answer


def replies_in(served: Served, standin: SlackStandIn, channel_ts: str) -> list[str]:
    return [json.dumps(m, ensure_ascii=False) for m in standin.messages(WAR_ROOM)
            if m.get("thread_ts") == channel_ts and m.get("ts") != channel_ts]


def card_of(served: Served, standin: SlackStandIn, index: int) -> tuple[str, str]:
    with served.room.database.reading() as session:
        ts = session.scalar(select(Candidate.thread_ts).where(Candidate.aamc_id == aamc_id(index)))
    assert ts, f"no card for applicant {index}"
    message = standin.message(WAR_ROOM, ts)
    assert message is not None
    return ts, json.dumps(message, ensure_ascii=False)


def test_a_plan_of_five_three_in_soap_cards_notes_and_who_did_not_apply(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    event = share(slack, standin, DIRECTOR, "pre-soap.csv", eras_csv(FIVE), "our pre-SOAP plan")
    reply = standin.wait_for("chat.postMessage")[0].params
    assert reply["thread_ts"] == event["ts"]
    assert "Imported the pre-SOAP plan pre-soap.csv: 5 applicants (2 thrilled, 1 soap-only, 2 no)" in reply["text"]

    # Monday: the export holds 3 of the 5 (and 2 applicants the plan does not know).
    share(slack, standin, COORDINATOR, "soap-monday.csv",
          eras_csv([applicant_row(i) for i in (1, 2, 3, 11, 12)]), "import")
    served.idle()
    for index, (bucket, reason) in {1: ("internal", "pre-SOAP plan: thrilled"),
                                    2: ("backup", "pre-SOAP plan: soap-only"),
                                    3: ("do not rank", "pre-SOAP plan: no (no way)")}.items():
        ts, card = card_of(served, standin, index)
        assert bucket in card and reason in card
        thread = " ".join(replies_in(served, standin, ts))
        assert NOTES[index] in thread and "pre-SOAP plan" in thread
    assert "1 rotated here" not in card_of(served, standin, 3)[1]
    with served.room.database.reading() as session:
        assert set(session.scalars(select(ReferenceNote.source))) == {"plan"}
        flags = session.execute(select(Candidate.interviewed, Candidate.rotated_here)
                                .where(Candidate.aamc_id.in_([aamc_id(1), aamc_id(3)]))
                                .order_by(Candidate.aamc_id)).all()
    assert [tuple(f) for f in flags] == [(True, False), (False, True)]
    import_reply = next(c.params["text"] for c in standin.calls_to("chat.postMessage")
                        if "soap-monday.csv" in str(c.params.get("text")))
    assert "3 new applicants in the pre-SOAP plan start in the plan's bucket" in import_reply

    shown = json.dumps(command(slack, standin, MEMBERS[2], "plan"), ensure_ascii=False)
    assert "Applied in SOAP (3)" in shown and "Not applied (2)" in shown and "2 SOAP applicants" in shown
    not_applied = shown[shown.index("Not applied"):shown.index("Not in the plan")]
    assert aamc_id(4) in not_applied and aamc_id(5) in not_applied and aamc_id(1) not in not_applied
    assert "NRMP rules allow neither contacting them nor putting them on a preference list" in not_applied
    asked = command(slack, standin, MEMBERS[2], f"candidate {aamc_id(5)}")["text"]  # no card for them
    assert "is in the pre-SOAP plan (no) but has not applied to us in SOAP" in asked
    assert not _has_card(served, 5)

    # Tuesday: applicant 4 applies; the re-import moves them to "applied", in the plan's bucket.
    share(slack, standin, COORDINATOR, "soap-tuesday.csv",
          eras_csv([applicant_row(i) for i in (1, 2, 3, 11, 12, 4)]), "import")
    served.idle()
    assert _candidate_bucket(served, 4) == "internal"
    shown = json.dumps(command(slack, standin, MEMBERS[2], "plan"), ensure_ascii=False)
    assert "Applied in SOAP (4)" in shown and "Not applied (1)" in shown
    assert aamc_id(4) not in shown[shown.index("Not applied"):]


def _candidate_bucket(served: Served, index: int) -> str | None:
    with served.room.database.reading() as session:
        return session.scalar(select(Candidate.override_bucket).where(Candidate.aamc_id == aamc_id(index)))


def _has_card(served: Served, index: int) -> bool:
    with served.room.database.reading() as session:
        return session.scalar(select(Candidate.thread_ts).where(Candidate.aamc_id == aamc_id(index))) is not None


def test_a_plan_no_voted_high_by_the_committee_is_on_the_list_and_the_card_shows_both(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    share(slack, standin, DIRECTOR, "plan.csv", eras_csv([plan_row(7, "no", "no show at interview day")]),
          "plan")
    standin.wait_for("chat.postMessage")
    share(slack, standin, COORDINATOR, "soap.csv", eras_csv([applicant_row(7), applicant_row(8)]), "import")
    served.idle()
    assert _has_card(served, 7)
    for member in (DIRECTOR, *MEMBERS[:3]):
        command(slack, standin, member, f"vote {aamc_id(7)} high")
    listed = json.dumps(command(slack, standin, MEMBERS[3], "list"), ensure_ascii=False)
    assert f"*1.* {synthetic_name(7)[1]}" in listed  # on the list: the votes win over the plan's "no"
    assert "do-not-rank bucket: pre-SOAP plan: no" in listed  # and the list says why it warns
    _, card = eventually(lambda: (lambda c: c if "4" in c[1] and "Rank high" in c[1] else None)(
        card_of(served, standin, 7)), timeout=10)
    assert "pre-SOAP plan: no" in card and "Rank high" in card


def test_unseen_lists_an_untouched_eligible_applicant_until_a_member_opens_the_card_or_votes(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    share(slack, standin, COORDINATOR, "soap.csv",
          eras_csv([applicant_row(21), applicant_row(22), img_row(23, "H-1B")]), "import")
    standin.wait_for("chat.postMessage")
    answer = command(slack, standin, MEMBERS[1], "unseen")
    shown = json.dumps(answer, ensure_ascii=False)
    assert aamc_id(21) in shown and aamc_id(22) in shown
    assert aamc_id(23) not in shown  # needs a visa we do not sponsor: a deal-breaker, never "eligible"
    buttons = [b["accessory"] for b in answer["blocks"] if b.get("accessory")]
    assert {b["value"] for b in buttons} == {aamc_id(21), aamc_id(22)}

    before = len(standin.calls_to("response_url"))
    slack.block_action(MEMBERS[1], WAR_ROOM, buttons[0]["action_id"], value=aamc_id(21),
                       block_id=answer["blocks"][1].get("block_id", "x"))
    redrawn = standin.wait_for("response_url", count=before + 1)[-1].params
    shown = json.dumps(redrawn, ensure_ascii=False)
    assert aamc_id(21) not in shown and aamc_id(22) in shown
    assert _has_card(served, 21)  # the button opened (posted) the card in the war room

    command(slack, standin, MEMBERS[2], f"vote {aamc_id(22)} rank")
    assert "Every eligible applicant" in command(slack, standin, MEMBERS[1], "unseen")["text"]

    slack.command(f"candidate {aamc_id(23)}", MEMBERS[2], WAR_ROOM)  # opening a card by command counts too
    served.idle()
    with served.room.database.reading() as session:
        from storage.models import CardView

        assert session.scalar(select(CardView.user_id).where(CardView.candidate_id == select(Candidate.id).where(
            Candidate.aamc_id == aamc_id(23)).scalar_subquery())) == MEMBERS[2]


def test_the_cli_imports_a_plan_and_the_clock_posts_its_notes(
        served: Served, standin: SlackStandIn, war_room: str, tmp_path: Path) -> None:
    url = served.settings.database_url
    share_free = [applicant_row(31)]
    from bot.services.candidate_import import import_export
    from bot.services.programs import find_program

    with served.room.database.reading() as session:
        program_id = find_program(session, war_room).id
    assert import_export(served.room.database, program_id, eras_csv(share_free), filename="soap.csv",
                         actor=DIRECTOR, today=served.clock().date()).ok
    out = io.StringIO()
    plan = write_export(tmp_path / "plan.xlsx", [plan_row(31, "thrilled", "our sub-intern"), plan_row(32, "no")])
    assert run_import_plan(url, str(plan), war_room, out=out) == 0
    assert "2 applicants (1 thrilled, 0 soap-only, 1 no)" in out.getvalue()
    assert "1 of them has applied in SOAP" in out.getvalue()

    bad = write_export(tmp_path / "bad.csv", [plan_row(31, "perhaps"), {**plan_row(33, "no"), "AAMC ID": "x"}])
    out = io.StringIO()
    assert run_import_plan(url, str(bad), war_room, out=out) == 1
    assert "row 2, Pre-SOAP" in out.getvalue() and "row 3, AAMC ID" in out.getvalue()

    job = next(fn for job_id, _, fn in JOBS if job_id == "plan.notes")
    assert job(served.room) == 1
    ts, card = card_of(served, standin, 31)
    assert "pre-SOAP plan: thrilled" in card
    replies = " ".join(replies_in(served, standin, ts))
    assert "our sub-intern" in replies
    # Who imported it reads as a person would say it, never as the audit's raw `cli:<account>`.
    assert "cli:" not in card + replies
    assert "`soapbot` on the server (as " in card + replies
    assert job(served.room) == 0  # posted once


def test_the_reminder_before_a_deadline_says_how_many_eligible_applicants_remain_unseen(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    from datetime import UTC, datetime

    from bot.services import reminders

    share(slack, standin, COORDINATOR, "soap.csv",
          eras_csv([applicant_row(41), applicant_row(42), applicant_row(43), img_row(44, "H-1B")]), "import")
    served.idle()
    command(slack, standin, MEMBERS[1], f"vote {aamc_id(41)} rank")
    standin.reset()
    assert reminders.run_due_reminders(served.room, datetime(2027, 3, 18, 11, 55, tzinfo=UTC), "e2e-clock")
    deadline = next(c.params for c in standin.wait_for("chat.postMessage") if ":alarm_clock:" in c.params["text"])
    assert "2 eligible applicants still unseen" in deadline["text"]  # 42 and 43; 41 has a vote, 44 a deal-breaker
    assert "/soap unseen" in json.dumps(deadline["blocks"])


def test_a_members_shared_plan_is_refused_and_moves_nobody(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    """A plan sets triage buckets, which only a director overrides: `/soap triage` refuses a member,
    and so does a shared plan."""
    share(slack, standin, COORDINATOR, "soap.csv", eras_csv([applicant_row(5)]), "import")
    served.idle()
    share(slack, standin, COORDINATOR, "pre-soap.csv", eras_csv([plan_row(5, "no", "not even in SOAP")]),
          "our pre-SOAP plan")
    refusal = standin.wait_for("chat.postEphemeral")[-1].params
    assert refusal["user"] == COORDINATOR
    assert "Only a program director can import the pre-SOAP plan" in refusal["text"]
    served.idle()
    assert _candidate_bucket(served, 5) is None
    with served.room.database.reading() as session:
        assert session.scalars(select(ReferenceNote)).all() == []


def test_a_plan_is_imported_once_whatever_slack_redelivers(served: Served, slack: SlackClientSim,
                                                          standin: SlackStandIn, war_room: str) -> None:
    """Defence: the plan's share is claimed by event id (bot.services.slack_events), never dropped for its
    X-Slack-Retry-Num header. Before: a plan whose first delivery never reached the app was lost on every
    retry (no plan, no answer), and one delivered twice without the header was imported twice."""
    command(slack, standin, DIRECTOR, f"director add <@{COORDINATOR}>")
    file = standin.share_file("plan.csv", eras_csv(FIVE), COORDINATOR)
    event = slack.message_event(WAR_ROOM, COORDINATOR, "our pre-SOAP plan")
    event.update({"subtype": "file_share", "files": [file], "upload": False, "display_as_bot": False})
    lost_first = new_event_id()  # Slack's first redelivery is the first request the app sees
    for retry in (1, 2, 3):
        assert slack.event(event, event_id=lost_first, retry_num=retry, retry_reason="http_error",
                           timestamp=int(time.time()) + retry).status == 200
    served.idle()
    with served.room.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(PlanEntry)) == 5
        imports = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("plan.%")))
    answers = [c for c in standin.calls_to("chat.postMessage") if "pre-SOAP plan" in str(c.params.get("text"))]
    assert len(answers) == 1 and imports

    again = slack.message_event(WAR_ROOM, COORDINATOR, "plan again")
    again.update({"subtype": "file_share", "files": [file], "upload": False, "display_as_bot": False})
    twice = new_event_id()
    for _ in range(2):  # the same delivery twice, no retry header (a second signed timestamp)
        assert slack.event(again, event_id=twice, timestamp=int(time.time()) + 5 + _).status == 200
    served.idle()
    with served.room.database.reading() as session:
        after = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("plan.%")))
    answers = [c for c in standin.calls_to("chat.postMessage") if "pre-SOAP plan" in str(c.params.get("text"))]
    assert len(answers) == 2 and after == imports + 1
