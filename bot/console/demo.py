"""The demo program for the console: synthetic applicants, a committee, a war room, a close deadline.

`soapbot console --demo` (and `make run` with no Slack credentials) opens a war room that looks
like SOAP Thursday morning, so a program director's IT contact can try every command at once:

- a five-member committee: the program director and an associate PD (directors), a chief
  resident, a core faculty member and the program coordinator (members);
- a private war-room channel, `#soap-war-room-demo`, set up through the real service
  (`bot.services.programs.setup_war_room`, which seeds the default SOAP calendar);
- a triage policy (J-1 only, home states OH, PA, MI) set through `bot.services.triage.set_policy`;
- 300 applicants written as an ERAS-style CSV and imported through the real import service
  (`bot.services.candidate_import.import_export`), covering every bucket (internal, interviewed,
  strong paper, backup, do not rank) and every flag and deal-breaker the triage knows;
- some votes from four members (never from the director who types first, so the reminders
  have someone to name), through `bot.services.voting.cast_vote`;
- the calendar shifted (with `bot.services.schedule.change_schedule`, so it is audited like a
  director's change) so that round 1's preference-list deadline is 16 minutes after the console
  clock's "now", with reminder leads of 15 and 5 minutes (the default is 60 and 15): the first
  reminder arrives a minute into the demo, and none is "late" (sent after its time) at the start.

Every name is generated from parts that are obviously synthetic ("Testa Mockford", "Synthetic
State University"): never a real person. The generator is seeded, so the same AAMC ID always
names the same applicant; with the scripted clock (`DEMO_START`) the whole demo is the same on
every run. Demo data lives in var/demo.db only (see bot.console.launch).
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.bootstrap import SETUP_HOOKS
from bot.console.payloads import TEAM_ID
from bot.console.workspace import ChannelInfo, LocalWorkspace, Member, SessionPlan

DEMO_SEED = 2027
DEMO_APPLICANTS = 300
#: The scripted console's "now": SOAP Thursday 2027, 08:39 Eastern, 16 minutes before the default
#: round-1 preference-list deadline (NRMP's published times, see bot.domain.soap_calendar).
DEMO_START = datetime(2027, 3, 18, 12, 39, tzinfo=UTC)
#: Round 1's deadline is this far from "now", and the reminder leads are 15 and 5 minutes, so the
#: first reminder comes one minute into the demo and nothing is "late" when it starts.
DEADLINE_IN = timedelta(minutes=16)
DEMO_LEADS = "15,5"
DEMO_CHANNEL = "G0DEMOWAR1"
DEMO_CHANNEL_NAME = "soap-war-room-demo"
DEMO_PROGRAM = "Internal Medicine – Demo General Hospital (synthetic)"
DEMO_TIMEZONE = "America/New_York"
DEMO_POLICY = {"visas": "J-1", "home_states": "OH,PA,MI", "max_failures": "1", "max_years": "5"}
FIRST_AAMC_ID = 27000001


@dataclass(frozen=True)
class DemoMember:
    user_id: str
    handle: str
    real_name: str
    title: str
    director: bool


COMMITTEE = (
    DemoMember("U0DEMOADA1", "ada.testwell", "Dr. Ada Testwell", "program director", True),
    DemoMember("U0DEMOBEN2", "ben.sampleton", "Dr. Ben Sampleton", "associate program director", True),
    DemoMember("U0DEMOCLE3", "cleo.mockford", "Dr. Cleo Mockford", "chief resident", False),
    DemoMember("U0DEMODEV4", "dev.fakerson", "Dr. Dev Fakerson", "core faculty", False),
    DemoMember("U0DEMOEVE5", "eve.demoray", "Eve Demoray", "program coordinator", False),
)

FIRST_NAMES = ("Testa", "Mocko", "Sampla", "Demi", "Fixa", "Stubby", "Dummo", "Placea", "Proto", "Syntha",
               "Mocka", "Exempla", "Fauxa", "Pseudo", "Quasi", "Simula", "Zoë")
LAST_STEMS = ("Test", "Sample", "Demo", "Mock", "Stub", "Fixture", "Proto", "Synth", "Dummy", "Faux",
              "Pseudo", "Example")
LAST_ENDINGS = ("son", "ford", "well", "ley", "berg", "ton", "wick", "more", "field", "hurst")

US_SCHOOLS = (
    ("Synthetic State University College of Medicine", "OH", "U.S. Public School"),
    ("Placeholder University School of Medicine", "MI", "U.S. Private School"),
    ("Example Valley School of Medicine", "TX", "U.S. Public School"),
    ("Demo Lakes College of Medicine", "PA", "U.S. Private School"),
    ("Mockingbird University School of Medicine", "GA", "U.S. Public School"),
)
DO_SCHOOLS = (
    ("Sample College of Osteopathic Medicine", "PA", "Osteopathic School"),
    ("Testbed College of Osteopathic Medicine", "OH", "Osteopathic School"),
)
IMG_SCHOOLS = (
    ("Fictional Institute of Medical Sciences", "India"),
    ("Sample Medical University", "Philippines"),
    ("Mock Faculty of Medicine", "Egypt"),
    ("Demo University Medical School", "Pakistan"),
    ("Caribbean Example School of Medicine", "Grenada"),
)
STATES = ("OH", "PA", "MI", "NY", "TX", "CA", "IL", "FL", "GA", "NJ")

HEADERS = (
    "AAMC ID", "First Name", "Last Name", "Middle Name", "Preferred Email", "Medical School of Graduation",
    "Medical School Country", "Medical School State/Province", "Medical School Type",
    "Medical School Graduation Date", "Degree", "USMLE Step 1 Score", "USMLE Step 1 Attempts",
    "USMLE Step 2 CK Score", "USMLE Step 2 CK Attempts", "COMLEX-USA Level 1 Score",
    "COMLEX-USA Level 2 CE Score", "ECFMG Certified", "Citizenship", "Visa Sponsorship Needed",
    "Expected Visa Status", "US or Canadian Applicant", "Medical Education or Training Interrupted",
    "Misdemeanor Conviction", "Felony Conviction", "Malpractice Cases Pending", "Medical Licensure Problem",
    "Alpha Omega Alpha (Yes/No)", "Gold Humanism Honor Society (Yes/No)", "Permanent State", "Contact State",
    "Tracks Applied by Applicant", "Tracks Applied by Applicant", "US Clinical Experience (months)",
    "Recent Clinical Experience (months)", "Professionalism Concern", "Home Student", "Rotated Here",
    "Interviewed", "Prior Contact", "Prelim Here", "Strong Letters",
)

#: (archetype, how many): every bucket, flag and deal-breaker of bot.domain.triage appears.
ARCHETYPES: tuple[tuple[str, int], ...] = (
    ("home student", 4), ("prelim here", 2), ("interviewed", 14), ("rotated here", 10),
    ("strong paper", 70), ("prior contact", 6), ("backup", 80), ("visa H-1B", 25), ("visa J-1", 20),
    ("exam failures", 20), ("graduated long ago", 15), ("long ago, recent work", 5), ("IMG without USCE", 15),
    ("professionalism concern", 4), ("red flag", 10),
)
RED_FLAGS = ("Felony Conviction", "Misdemeanor Conviction", "Misdemeanor Conviction", "Malpractice Cases Pending",
             "Malpractice Cases Pending", "Medical Licensure Problem", "Medical Licensure Problem",
             "Medical Education or Training Interrupted", "Medical Education or Training Interrupted",
             "Misdemeanor Conviction")


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


def _grad(today: date, years_ago: int) -> str:
    return f"05/{15 + years_ago % 10:02d}/{today.year - years_ago}"


def demo_applicants(today: date, *, seed: int = DEMO_SEED, count: int = DEMO_APPLICANTS) -> list[dict[str, Any]]:
    """ERAS-style rows (header → cell; tracks as a list) for `count` synthetic applicants."""
    rng = random.Random(seed)  # noqa: S311 (reproducible synthetic data, not secrets)
    kinds = [kind for kind, n in ARCHETYPES for _ in range(n)]
    while len(kinds) < count:
        kinds.append("backup")
    kinds = kinds[:count]
    rng.shuffle(kinds)
    names = [(first, stem + ending) for first in FIRST_NAMES for stem in LAST_STEMS for ending in LAST_ENDINGS]
    chosen = rng.sample(names, count)
    red_flags = iter(RED_FLAGS * (count // len(RED_FLAGS) + 1))
    rows = []
    for index, (kind, (first, last)) in enumerate(zip(kinds, chosen, strict=True)):
        rows.append(_row(rng, today, FIRST_AAMC_ID + index, first, last, kind, red_flags))
    return rows


def _row(rng: random.Random, today: date, aamc_id: int, first: str, last: str, kind: str,
         red_flags: Any) -> dict[str, Any]:
    img = kind in ("visa H-1B", "visa J-1", "IMG without USCE") or (kind == "backup" and rng.random() < 0.3)
    do = not img and rng.random() < 0.25
    years_ago = {"graduated long ago": rng.randint(9, 14), "long ago, recent work": rng.randint(8, 11)}.get(
        kind, rng.randint(0, 3))
    row: dict[str, Any] = {header: "" for header in HEADERS}
    row.update({
        "AAMC ID": f"{aamc_id:08d}", "First Name": first, "Last Name": last,
        "Middle Name": rng.choice(("", "", "J", "Q", "X")),
        "Preferred Email": f"{first.lower().replace('ë', 'e')}.{last.lower()}@example.org",
        "Medical School Graduation Date": _grad(today, years_ago),
        "Tracks Applied by Applicant": ["Categorical"] + (["Preliminary"] if rng.random() < 0.3 else []),
        "Medical Education or Training Interrupted": "No", "Misdemeanor Conviction": "No",
        "Felony Conviction": "No", "Malpractice Cases Pending": "No", "Medical Licensure Problem": "No",
        "Professionalism Concern": "No",
        "Alpha Omega Alpha (Yes/No)": "No", "Gold Humanism Honor Society (Yes/No)": "No",
        "Home Student": "No", "Rotated Here": "No", "Interviewed": "No", "Prior Contact": "No",
        "Prelim Here": "No", "Strong Letters": "No",
        "US Clinical Experience (months)": str(rng.randint(3, 36)),
        "Recent Clinical Experience (months)": str(rng.randint(0, 5)),
    })
    home = rng.choice(STATES[3:])  # outside the home states unless the archetype says otherwise
    if img:
        school, country = rng.choice(IMG_SCHOOLS)
        us_citizen = kind == "backup" and rng.random() < 0.5
        row.update({"Medical School of Graduation": school, "Medical School Country": country,
                    "Medical School Type": "International School", "Degree": "MBBS" if country != "Grenada" else "MD",
                    "ECFMG Certified": "Yes", "Citizenship": "U.S. Citizen" if us_citizen else country,
                    "US or Canadian Applicant": _yes(us_citizen),
                    "Visa Sponsorship Needed": _yes(not us_citizen),
                    "Expected Visa Status": "" if us_citizen else ("H-1B" if kind == "visa H-1B" else "J-1")})
    elif do:
        school, state, school_type = rng.choice(DO_SCHOOLS)
        row.update({"Medical School of Graduation": school, "Medical School Country": "United States",
                    "Medical School State/Province": state, "Medical School Type": school_type, "Degree": "DO",
                    "Citizenship": "U.S. Citizen", "US or Canadian Applicant": "Yes", "Visa Sponsorship Needed": "No",
                    "ECFMG Certified": "No Response"})
    else:
        school, state, school_type = rng.choice(US_SCHOOLS)
        row.update({"Medical School of Graduation": school, "Medical School Country": "United States",
                    "Medical School State/Province": state, "Medical School Type": school_type, "Degree": "MD",
                    "Citizenship": rng.choice(("U.S. Citizen", "U.S. Citizen", "Permanent Resident")),
                    "US or Canadian Applicant": "Yes", "Visa Sponsorship Needed": "No",
                    "ECFMG Certified": "No Response"})
    if row["Degree"] == "DO":
        row.update({"COMLEX-USA Level 1 Score": "Pass", "COMLEX-USA Level 2 CE Score": str(rng.randint(480, 690))})
    else:
        step1 = "Pass" if years_ago < 4 else str(rng.randint(205, 245))
        row.update({"USMLE Step 1 Score": step1, "USMLE Step 1 Attempts": "1",
                    "USMLE Step 2 CK Score": str(rng.randint(214, 262)), "USMLE Step 2 CK Attempts": "1"})
    row["Permanent State"] = home
    row["Contact State"] = home

    if kind == "home student":
        row.update({"Home Student": "Yes", "Permanent State": "OH", "Contact State": "OH"})
    elif kind == "prelim here":
        row.update({"Prelim Here": "Yes", "Recent Clinical Experience (months)": "9"})
    elif kind == "interviewed":
        row["Interviewed"] = "Yes"
    elif kind == "rotated here":
        row["Rotated Here"] = "Yes"
    elif kind == "prior contact":
        row["Prior Contact"] = "Yes"
    elif kind == "strong paper":
        strength = rng.choice(("recent", "aoa", "ghhs", "ties", "letters"))
        if strength == "recent":
            row["Recent Clinical Experience (months)"] = str(rng.randint(6, 18))
        elif strength == "aoa":
            row["Alpha Omega Alpha (Yes/No)"] = "Yes"
        elif strength == "ghhs":
            row["Gold Humanism Honor Society (Yes/No)"] = "Yes"
        elif strength == "ties":
            row["Permanent State"] = rng.choice(("OH", "PA", "MI"))
        else:
            row["Strong Letters"] = "Yes"
    elif kind == "backup" and rng.random() < 0.3:
        _fail_once(row)
    elif kind == "visa J-1":
        row["Recent Clinical Experience (months)"] = str(rng.randint(0, 12))
    elif kind == "exam failures":
        _fail_once(row)
        row["USMLE Step 2 CK Score"] = "Fail, " + str(rng.randint(214, 230))
        row["USMLE Step 2 CK Attempts"] = "2"
        if row["Degree"] == "DO":
            row["COMLEX-USA Level 2 CE Score"] = "Fail, Fail, " + str(rng.randint(420, 480))
    elif kind == "graduated long ago":
        row["Recent Clinical Experience (months)"] = "0"
    elif kind == "long ago, recent work":
        row["Recent Clinical Experience (months)"] = str(rng.randint(12, 24))
    elif kind == "IMG without USCE":
        row["US Clinical Experience (months)"] = "0"
    elif kind == "professionalism concern":
        row["Professionalism Concern"] = "Yes"
    elif kind == "red flag":
        row[next(red_flags)] = "Yes"
    return row


def _fail_once(row: dict[str, Any]) -> None:
    if row["Degree"] == "DO":
        row["COMLEX-USA Level 1 Score"] = "Fail, Pass"
    else:
        row["USMLE Step 1 Score"] = "Fail, Pass"
        row["USMLE Step 1 Attempts"] = "2"


def demo_csv(rows: list[dict[str, Any]]) -> bytes:
    """The rows as an ERAS export saved from Excel: UTF-8 with BOM, CRLF, the track column repeated."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in rows:
        tracks = [*row["Tracks Applied by Applicant"], "", ""]
        cells = []
        track_index = 0
        for header in HEADERS:
            if header == "Tracks Applied by Applicant":
                cells.append(tracks[track_index])
                track_index += 1
            else:
                cells.append(str(row.get(header) or ""))
        writer.writerow(cells)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- seeding the console's workspace ----------------------------------------------------------------


def seed_demo(workspace: LocalWorkspace) -> SessionPlan:
    """Set up the demo war room in `workspace` (its stand-in and its database); return the session plan."""
    from bot.services import programs

    room = workspace.room
    standin = workspace.standin
    for member in COMMITTEE:
        standin.add_user(member.user_id, member.handle, member.real_name, tz=DEMO_TIMEZONE)
    standin.set_channel(DEMO_CHANNEL, name=DEMO_CHANNEL_NAME, is_private=True,
                        members=[m.user_id for m in COMMITTEE])
    director = COMMITTEE[0]
    now = room.clock()
    program, _ = programs.setup_war_room(
        room.database, seed=SETUP_HOOKS, name=DEMO_PROGRAM, team_id=TEAM_ID,
        channel=programs.ChannelFacts(DEMO_CHANNEL, is_private=True), user_id=director.user_id,
        timezone=DEMO_TIMEZONE, members=frozenset(m.user_id for m in COMMITTEE))
    members = frozenset(m.user_id for m in COMMITTEE)
    for member in COMMITTEE[1:]:
        if member.director:
            programs.set_role(room.database, program=program, actor=director.user_id, user_id=member.user_id,
                              role=programs.Role.DIRECTOR, members=members)
    notes = _seed_program_data(workspace, program, now)
    people = [Member(m.user_id, m.handle, m.real_name, m.title) for m in COMMITTEE]
    return SessionPlan(ChannelInfo(DEMO_CHANNEL, DEMO_CHANNEL_NAME), people, people[0], ZoneInfo(DEMO_TIMEZONE),
                       notes=notes)


def _seed_program_data(workspace: LocalWorkspace, program: Any, now: datetime) -> list[str]:
    """Policy, applicants, votes and the calendar, each through its feature's service."""
    from bot.domain.when import program_today
    from bot.services import candidate_import, triage

    room = workspace.room
    director = COMMITTEE[0].user_id
    today = program_today(now, program.timezone)
    triage.set_policy(room.database, program=program, actor=director, pairs=DEMO_POLICY, today=today)
    rows = demo_applicants(today)
    result = candidate_import.import_export(room.database, program.id, demo_csv(rows), actor=director,
                                            today=today, filename="demo-eras-export.csv", now=now)
    if not result.ok:  # the generator and the importer disagree: say so rather than show an empty room
        problem = result.problem or f"{len(result.errors)} bad rows, e.g. {result.errors[:1]}"
        raise RuntimeError(f"the demo export did not import: {problem}")
    notes = [f"Demo program: {DEMO_PROGRAM}, {result.new} synthetic applicants imported from an ERAS-style "
             "CSV (try `/soap candidate 27000001`, `/soap find type:img visa:no`, `/soap list`)."]
    notes += _seed_votes(workspace, program, rows, now)
    notes += _shift_calendar(workspace, program, now)
    return notes


def _seed_votes(workspace: LocalWorkspace, program: Any, rows: list[dict[str, Any]], now: datetime) -> list[str]:
    from bot.domain.preference_list import Vote
    from bot.services import voting

    database = workspace.room.database
    rng = random.Random(DEMO_SEED + 1)  # noqa: S311 (reproducible synthetic data)
    known = [r["AAMC ID"] for r in rows if "Yes" in (r["Home Student"], r["Prelim Here"], r["Interviewed"],
                                                      r["Rotated Here"])]
    voters = [m for m in COMMITTEE[1:]]  # never the director who types first: the reminders name her
    scale = (Vote.RANK_HIGH, Vote.RANK_HIGH, Vote.RANK, Vote.RANK, Vote.IF_NEEDED, Vote.DO_NOT_RANK)
    count = 0
    for aamc_id in known[:24]:
        for voter in voters:
            if voter.handle.startswith("dev") and rng.random() < 0.5:
                continue  # one member is behind on votes
            voting.cast_vote(database, program_id=program.id, actor=voter.user_id, aamc_id=aamc_id,
                             vote=rng.choice(scale), now=now)
            count += 1
    return [f"{count} votes already cast by four members on {min(24, len(known))} applicants the program knows."]


def _shift_calendar(workspace: LocalWorkspace, program: Any, now: datetime) -> list[str]:
    """Move every round by the same amount so that round 1's list deadline is DEADLINE_IN from now."""
    from bot.errors import WarRoomError
    from bot.services import schedule

    room = workspace.room
    calendar = schedule.calendar(room.database, program)
    rounds = sorted(calendar.rounds, key=lambda r: r.number)
    if not rounds:
        return []
    target = (now + DEADLINE_IN).replace(second=0, microsecond=0)
    if target < now + DEADLINE_IN:
        target += timedelta(minutes=1)
    delta = target - rounds[0].deadline_at
    zone = ZoneInfo(program.timezone)

    def typed(moment: datetime) -> str:
        return (moment + delta).astimezone(zone).strftime("%Y-%m-%d %H:%M")

    if delta:
        ordered = rounds if delta < timedelta() else list(reversed(rounds))
        try:
            for rnd in ordered:
                schedule.change_schedule(room.database, program=program, actor=COMMITTEE[0].user_id, now=now,
                                         pairs={"round": str(rnd.number), "deadline": typed(rnd.deadline_at),
                                                "offers": typed(rnd.offers_at), "expires": typed(rnd.expires_at)})
        except WarRoomError as error:
            return [f"(The demo calendar could not be shifted: {error}. `/soap schedule` shows the real one.)"]
    try:
        schedule.change_schedule(room.database, program=program, actor=COMMITTEE[0].user_id, now=now,
                                 pairs={"leads": DEMO_LEADS})
    except WarRoomError as error:
        return [f"(The demo reminder leads could not be set: {error}.)"]
    when = target.astimezone(zone).strftime("%H:%M %Z")
    minutes = int(DEADLINE_IN.total_seconds() // 60)
    leads = DEMO_LEADS.replace(",", " and ")
    return [f"The SOAP calendar is shifted: round 1's preference-list deadline is at {when}, {minutes} minutes "
            f"from now; reminders come {leads} minutes before it (`/soap schedule`)."]
