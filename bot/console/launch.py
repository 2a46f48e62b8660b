"""Starting a console session (`soapbot console`): the database (the demo's, rebuilt each time, or
the configured one), logs to var/console.log, the committee and channel, the banner, the clock."""

from __future__ import annotations

import logging
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.console.demo import DEMO_START, seed_demo
from bot.console.mentions import find_member
from bot.console.session import Console
from bot.console.transcript import ERRORS
from bot.console.workspace import (
    ChannelInfo,
    ConsoleClock,
    LocalWorkspace,
    Member,
    SessionPlan,
)
from bot.settings import Settings, load_settings

LOCAL_CHANNEL = "G0LOCALWR1"
LOCAL_USER = "U0LOCALYOU"
RULE = "═" * 72


DEMO_DATABASE = Path("var") / "demo.db"



def _route_logs(level: str) -> Path:
    """Logs go to var/console.log (rewritten each session), not to the screen; errors are also collected."""
    path = Path.cwd() / "var" / "console.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    from bot.logs import JsonFormatter, configure_logging

    configure_logging(level)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    logging.getLogger().handlers = [handler, ERRORS]
    return path


def _banner(plan: SessionPlan, *, demo: bool, database_note: str, reminders_note: str) -> list[str]:
    lines = [
        RULE,
        "  SOAP War Room: LOCAL CONSOLE. Nothing you type here reaches Slack.",
        RULE,
        "The real app runs on this computer, with a stand-in for Slack: every /soap command,",
        "button and modal goes through the same code as in a Slack workspace.",
        database_note,
        reminders_note,
        "To connect to Slack: README.md, \"Connecting to Slack\" (create the app from manifest.yml,",
        "put SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, or SLACK_APP_TOKEN, in .env, run `make run`).",
        "Help: type `/soap help` for the bot's commands, `help` for the console's keys.",
        *plan.notes,
        f"You are {plan.first.label} in #{plan.channel.name}. `who` lists the committee; `as <name>` switches.",
    ]
    if demo:
        lines.insert(6, "Demo data is synthetic (generated names, no real people).")
    return lines


def run_console(settings: Settings, *, demo: bool, member: str | None, now: datetime | None = None,
                stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> int:
    """`soapbot console`: open the local war room. Returns the exit status."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty() and stdout.isatty()
    from storage.database import Database
    from storage.migrate import SchemaMismatch, ensure_current

    if demo:
        path = Path.cwd() / DEMO_DATABASE
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        settings = load_settings(env_file=None, **{**settings.model_dump(), "database_url": f"sqlite:///{path}"})
        database_note = (f"Database: {DEMO_DATABASE} (rebuilt each time the demo starts; your real "
                         "program's database is never touched).")
    else:
        database_note = f"Database: {_shown_url(settings.database_url)} (DATABASE_URL): changes here are real."
    try:
        ensure_current(Database(settings.database_url))
    except SchemaMismatch as error:
        print(error, file=sys.stderr)
        return 2
    start = now or (DEMO_START if demo and not interactive else None)
    clock = ConsoleClock(start, running=interactive)
    log_path = _route_logs(settings.log_level)
    workspace = LocalWorkspace(settings, clock)
    try:
        if demo:
            plan = seed_demo(workspace)
        else:
            plan = _existing_plan(workspace)
        first = plan.first
        if member:
            found = find_member(plan.members, member)
            if found is None:
                print(f"No committee member {member!r}; members: "
                      + ", ".join(m.real_name for m in plan.members), file=sys.stderr)
                return 2
            first = found
        run_reminders = demo or settings.mode == "console"
        if not run_reminders:
            reminders_note = ("Reminders: not run here (Slack credentials are set, so your clock process "
                              "sends them to Slack).")
        elif interactive:
            reminders_note = "Reminders: the clock runs here; `wait 5m` moves it forward."
        else:
            reminders_note = "Reminders: the clock stands still; `wait 5m` moves it and runs the reminders."
        console = Console(workspace, plan.channel, plan.members, first, stdin=stdin, stdout=stdout,
                          interactive=interactive, timezone=plan.timezone)
        if not interactive:
            # Keep `wait` working in scripts even when reminders are not run here.
            if not run_reminders:
                workspace.run_clock_jobs = lambda: None  # type: ignore[method-assign]
        elif run_reminders:
            workspace.start_clock()
        console.banner(_banner(plan, demo=demo, database_note=database_note, reminders_note=reminders_note))
        console.say(f"It is {console._fmt(clock())} on the console clock. Logs: {_relative(log_path)}.")
        console.say()
        if run_reminders:
            workspace.run_clock_jobs()  # as a clock process does when it starts: what is due now is sent
        console.after_request()
        console.run()
    finally:
        workspace.close()
    if interactive:
        print("Bye. Nothing was sent to Slack.")
    return 0


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _shown_url(url: str) -> str:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return _relative(path)
    return re.sub(r"//[^@/]*@", "//…@", url)


def _existing_plan(workspace: LocalWorkspace) -> SessionPlan:
    """Not the demo: the first program in the database, or an empty local channel to set one up."""
    from bot.access import Role
    from bot.services import programs
    from storage.models import CommitteeRole, Program

    standin = workspace.standin
    you = Member(LOCAL_USER, "you", "You", "you")
    with workspace.room.database.reading() as session:
        program = session.scalar(select(Program).where(Program.purged_at.is_(None)).order_by(Program.id))
        if program is None:
            standin.set_channel(LOCAL_CHANNEL, name="soap-war-room", is_private=True, members=[LOCAL_USER])
            standin.add_user(LOCAL_USER, "you", "You")
            return SessionPlan(ChannelInfo(LOCAL_CHANNEL, "soap-war-room"), [you], you,
                               workspace.settings.timezone,
                               notes=["No program yet: type `/soap setup <program name>` to make this channel "
                                      "the war room (you become its director)."])
        roles = list(session.scalars(select(CommitteeRole).where(CommitteeRole.program_id == program.id)))
        ref = programs.program_ref(program)
    members: list[Member] = []
    for index, role in enumerate(roles, 1):
        title = Role(role.role).value
        members.append(Member(role.user_id, f"member{index}", f"Member {index} ({role.user_id})", title))
        standin.add_user(role.user_id, f"member{index}")
    if not any(m.user_id == LOCAL_USER for m in members):
        members.append(you)
        standin.add_user(LOCAL_USER, "you", "You")
    standin.set_channel(ref.channel_id, name="soap-war-room", is_private=True,
                        members=[m.user_id for m in members])
    workspace.use_team(ref.team_id)
    first = next((m for m in members if m.title == Role.DIRECTOR.value), members[0])
    return SessionPlan(ChannelInfo(ref.channel_id, "soap-war-room"), members, first, ZoneInfo(ref.timezone),
                       notes=[f"Program: {ref.name}. The committee here is the people with a recorded role "
                              "(Slack is not asked who is in the real channel), plus you as a member."])
