"""A file someone shares in the war room: which ones look like an export, and downloading one from
Slack with the bot token (only ever sent to Slack's file host or the Web API host the client talks to)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient

from bot.access import ProgramRef
from bot.domain.import_result import ImportResult
from bot.domain.when import program_today
from bot.errors import BadInput
from bot.messages.mrkdwn import escape
from bot.services.candidate_import import import_export
from bot.war_room import WarRoom

MAX_FILE_BYTES = 20 * 1024 * 1024
EXPORT_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".txt", ".tsv")
SLACK_FILE_HOSTS = frozenset({"files.slack.com"})


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to a host the bot token may be sent to."""

    def __init__(self, allowed: frozenset[str]) -> None:
        self.allowed = allowed

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if urlsplit(newurl).netloc not in self.allowed:
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def export_files(files: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The shared files that look like an ERAS export (.csv, .xlsx…)."""
    return [f for f in files if str(f.get("name") or "").lower().endswith(EXPORT_SUFFIXES)]


def download_shared_file(client: WebClient, file: Mapping[str, Any], *, timeout: float = 30) -> tuple[str, bytes]:
    """The bytes of a file a person shared, fetched with the bot token.

    The token is only ever sent to Slack's file host or to the Web API host the client talks to
    (the local stand-in in tests and the console); anything else is refused.
    """
    name = str(file.get("name") or "export.csv")[:200]
    size = file.get("size")
    if isinstance(size, int) and size > MAX_FILE_BYTES:
        raise BadInput(f"{escape(name)} is {size // (1024 * 1024)} MB; an export should be under "
                       f"{MAX_FILE_BYTES // (1024 * 1024)} MB.")
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    api = urlsplit(client.base_url)
    allowed = SLACK_FILE_HOSTS | {api.netloc}
    parts = urlsplit(url)
    if not url or parts.netloc not in allowed or (parts.scheme != "https" and parts.netloc != api.netloc):
        raise BadInput(f"The bot cannot download {escape(name)} from Slack. Share the file again "
                       "(upload it from your computer, not as a link).")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})  # noqa: S310
    opener = urllib.request.build_opener(_SameHostRedirects(frozenset(allowed)))
    try:
        with opener.open(request, timeout=timeout) as response:
            data = response.read(MAX_FILE_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise BadInput(f"Slack did not hand over {escape(name)} ({type(error).__name__}); share it again "
                       "in a minute.") from None
    if len(data) > MAX_FILE_BYTES:
        raise BadInput(f"{escape(name)} is over {MAX_FILE_BYTES // (1024 * 1024)} MB; an export should be smaller.")
    if data.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise BadInput("Slack answered with a sign-in page instead of the file: the app needs the `files:read` "
                       "scope (reinstall it from manifest.yml).")
    return name, data


def import_shared_file(room: WarRoom, program: ProgramRef, file: Mapping[str, Any], *, actor: str
                       ) -> ImportResult:
    """Download an export someone shared in the war room and import it (all or nothing)."""
    name, data = download_shared_file(room.client, file)
    return import_export(room.database, program.id, data, filename=name, actor=actor,
                         today=program_today(room.clock(), program.timezone), now=room.clock())

