"""The `/soap` router: one slash command, many subcommands, each mapped to one function.

A feature registers its subcommands with `@router.subcommand(...)`; help is built from
the registry, so what `/soap help` lists is exactly what the router dispatches.
The router acks at once, parses the words, passes the gate, then calls the function.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.access import Access, Actor, ProgramRef
from bot.domain.typed_words import UnclosedQuote, split_words
from bot.errors import BadInput
from bot.messages.help import HelpEntry, help_index_text
from bot.messages.mrkdwn import escape
from bot.war_room import WarRoom
from bot.work_pool import submit_in_lane
from handlers.errors import guard
from handlers.gate import actor_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Args:
    """The words after the subcommand: positional words and key=value pairs."""

    raw: str
    words: tuple[str, ...]
    pairs: dict[str, str]

    @classmethod
    def parse(cls, raw: str) -> Args:
        try:
            tokens = split_words(raw)
        except UnclosedQuote as error:
            raise BadInput(f"Could not read the command: {error}.") from None
        words: list[str] = []
        pairs: dict[str, str] = {}
        for token in tokens:
            key, sep, value = token.partition("=")
            if sep and key and " " not in key and not key.startswith("<"):
                pairs[key.lower()] = value
            else:
                words.append(token)
        return cls(raw=raw, words=tuple(words), pairs=pairs)

    @classmethod
    def free(cls, raw: str) -> Args:
        """Words split on whitespace only, no quotes or pairs: for subcommands that take free text
        (a note may hold an `=` or an unpaired double quote)."""
        return cls(raw=raw, words=tuple(raw.split()), pairs={})

    def rest(self, skip: int) -> str:
        """The raw text after the first `skip` words (free text such as a note)."""
        text = self.raw.strip()
        for _ in range(skip):
            parts = text.split(None, 1)
            text = parts[1] if len(parts) > 1 else ""
        return text


@dataclass
class SoapCommand:
    room: WarRoom
    actor: Actor
    args: Args
    body: dict[str, Any]
    respond: Respond
    client: WebClient
    subcommand: str
    router: SoapRouter  # the table the command came through (what `/soap help` lists)

    @property
    def program(self) -> ProgramRef:
        assert self.actor.program is not None
        return self.actor.program

    @property
    def trigger_id(self) -> str | None:
        return self.body.get("trigger_id")

    def reply(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """An ephemeral answer, visible only to the person who typed the command."""
        self.respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)


Handler = Callable[[SoapCommand], None]


@dataclass(frozen=True)
class Subcommand:
    name: str
    handler: Handler
    access: Access
    usage: str
    summary: str
    aliases: tuple[str, ...] = ()
    what: str = "do this"
    free_text: bool = False  # the words are free text (a note): split on spaces, no quotes or pairs


@dataclass
class SoapRouter:
    command: str = "/soap"
    _subcommands: dict[str, Subcommand] = field(default_factory=dict)
    _order: list[Subcommand] = field(default_factory=list)

    def subcommand(self, name: str, *, access: Access, usage: str, summary: str,
                   aliases: tuple[str, ...] = (), what: str = "do this",
                   free_text: bool = False) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            entry = Subcommand(name, handler, access, usage, summary, aliases, what, free_text)
            for key in (name, *aliases):
                if key in self._subcommands:
                    raise ValueError(f"/soap {key} registered twice")
                self._subcommands[key] = entry
            self._order.append(entry)
            return handler
        return decorate

    def help_entries(self) -> list[HelpEntry]:
        return [self._help_entry(s) for s in self._order]

    def _help_entry(self, entry: Subcommand) -> HelpEntry:
        return HelpEntry(usage=f"{self.command} {entry.usage}", summary=entry.summary, name=entry.name)

    def help_for(self, name: str) -> tuple[HelpEntry, tuple[str, ...]] | None:
        """The help of one subcommand (found by its name or an alias) and its aliases."""
        entry = self._subcommands.get(name.lower())
        return (self._help_entry(entry), entry.aliases) if entry else None

    def suggestions(self, name: str) -> list[str]:
        """The registered subcommands (and aliases) closest to a mistyped one, best first."""
        close = difflib.get_close_matches(name, list(self._subcommands), n=3, cutoff=0.6)
        # An alias and its subcommand are the same thing: suggest the subcommand's own name once.
        names = [self._subcommands[key].name for key in close]
        return list(dict.fromkeys(names))

    def unknown_answer(self, name: str) -> str:
        """One short line: a tired committee member wants the right word, not the whole help."""
        shown = name if len(name) <= 40 else name[:40] + "…"
        close = self.suggestions(name[:40])
        guess = ""
        if close:
            guess = " Did you mean " + " or ".join(f"`{self.command} {c}`" for c in close) + "?"
        return (f"Unknown subcommand `{_plain(shown)}`.{guess} "
                f"`{self.command} help` lists them all.")

    def register(self, app: App) -> None:
        self._guarded_dispatch = guard(self._dispatch)
        app.command(self.command)(self._acknowledge)

    def _acknowledge(self, ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient,
                     room: WarRoom) -> None:
        """Slack gets its 200 at once; the subcommand's work waits its turn in room.work."""
        ack()
        # Each subcommand queues in its own lane: a burst of cards never holds up `/soap help`.
        lane = "/soap " + ((body.get("text") or "").strip().partition(" ")[0].lower() or "help")
        submit_in_lane(room.work, lane, self._guarded_dispatch, ack=ack, body=body, respond=respond,
                       client=client, room=room)

    def _dispatch(self, ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient,
                  room: WarRoom) -> None:
        text = (body.get("text") or "").strip()
        if not text:  # a bare `/soap`: the names, not the whole help
            respond(text=help_index_text([s.name for s in self._order], self.command), response_type="ephemeral")
            return
        name, _, rest = text.partition(" ")
        name = name.lower()
        entry = self._subcommands.get(name)
        if entry is None:
            respond(text=self.unknown_answer(name), response_type="ephemeral")
            return
        actor = actor_of(room, body)
        if entry.access is not Access.ANYONE:
            actor.require(entry.access, entry.what)
        log.info("subcommand %s by %s role=%s", entry.name, actor.user_id, actor.role.value)
        args = Args.free(rest) if entry.free_text else Args.parse(rest)
        entry.handler(SoapCommand(room, actor, args, body, respond, client, entry.name, self))


def _plain(text: str) -> str:
    return escape(text.replace("`", "'"))
