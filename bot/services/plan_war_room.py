"""The pre-SOAP plan in the war room: a plan file someone shared, and the plan's notes posted.

A plan note is stored by the import (bot.services.plan) like a person's note, waiting to be
posted. The war-room import posts them at once; the clock job `plan.notes` posts those an import
from the command line stored (and any the war room's import could not reach), within a minute.
Posting goes through the notes feature (`deliver`: once, retried, the card first when there is none).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.access import ProgramRef
from bot.domain.plan import PlanImportResult
from bot.domain.when import program_today
from bot.services.notes import deliver
from bot.services.plan import import_plan, pending_plan_notes
from bot.services.shared_files import download_shared_file
from bot.war_room import WarRoom

log = logging.getLogger(__name__)


def import_shared_plan(room: WarRoom, program: ProgramRef, file: Mapping[str, Any], *, actor: str
                       ) -> PlanImportResult:
    """Download a plan someone shared in the war room and import it (all or nothing)."""
    name, data = download_shared_file(room.client, file)
    return import_plan(room.database, program.id, data, filename=name, actor=actor,
                       today=program_today(room.clock(), program.timezone), now=room.clock())


def post_plan_notes(room: WarRoom, program_id: int | None = None) -> int:
    """Post the plan notes never tried yet (of one program, or all). Returns how many were posted."""
    ids = pending_plan_notes(room.database, program_id)
    posted = sum(1 for note_id in ids if deliver(room, note_id).posted)
    if ids:
        log.info("plan notes: %d to post, %d posted", len(ids), posted)
    return posted
