"""What the committee reads about the pre-SOAP plan and the applicants nobody has looked at.

Pure builders: plain values in (bot.domain.plan), (fallback text, Block Kit blocks) out. Every
name and word from the plan file is escaped here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, SectionBlock

from bot.domain.plan import NOT_APPLIED_RULE, PlanImportResult, PlanOverview, PlanPerson, UnseenApplicant, word_key
from bot.domain.wording import plural
from bot.messages.blocks import button_label, chunks, context, section
from bot.messages.candidate_card import BUCKET_EMOJI
from bot.messages.ids import ActionId, BlockId
from bot.messages.mrkdwn import clip, escape

SLACK_ERRORS_SHOWN = 20
MAX_PEOPLE_SHOWN = 60
UNSEEN_PER_PAGE = 15


def _dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


# --- the import report ---------------------------------------------------------------------------


def plan_import_lines(result: PlanImportResult, *, max_errors: int | None = None,
                      esc: Callable[[str], str] = escape) -> list[str]:
    """The report a coordinator reads: what the plan holds now, or why nothing was imported."""
    name = esc(result.filename)
    if result.problem:
        return [f"Nothing imported, the plan is unchanged: {esc(result.problem)}"]
    lines: list[str] = []
    if result.missing_required:
        missing = result.missing_required
        lines.append(f"Nothing imported from {name}, the plan is unchanged: "
                     f"{'a required column is' if len(missing) == 1 else 'required columns are'} missing: "
                     + ", ".join(esc(c) for c in missing) + ".")
    elif result.errors:
        bad = len(result.bad_rows)
        lines.append(f"Nothing imported from {name}, the plan is unchanged: {plural(bad, 'row')} "
                     f"{'has' if bad == 1 else 'have'} problems (fix them and share the file again):")
        shown = result.errors if max_errors is None else result.errors[:max_errors]
        lines += [f"  row {e.row_number}, {esc(e.column)}: {esc(e.reason)}" for e in shown]
        if len(shown) < len(result.errors):
            lines.append(f"  …and {plural(len(result.errors) - len(shown), 'more problem')}; "
                         "`soapbot import-plan FILE --program …` lists them all.")
    else:
        counts = ", ".join(f"{result.counts.get(word, 0)} {word}" for word in ("thrilled", "soap-only", "no"))
        replaced = f" It replaces the plan of {plural(result.replaced, 'row')}." if result.replaced else ""
        lines.append(f"Imported the pre-SOAP plan {name}: {plural(result.rows, 'applicant')} ({counts}).{replaced}")
        have, start = ("has", "starts") if result.in_soap == 1 else ("have", "start")
        lines.append(f"{result.in_soap} of them {have} applied in SOAP and {start} in the plan's bucket; the others "
                     "will when the export that holds them is imported. `/soap plan` shows who is where.")
    if result.unknown_columns:
        lines.append("Columns not recognised (ignored): " + ", ".join(esc(c) for c in result.unknown_columns))
    return lines


def plan_import_text(result: PlanImportResult) -> str:
    """For the war-room thread: at most the first 20 bad rows."""
    return clip("\n".join(plan_import_lines(result, max_errors=SLACK_ERRORS_SHOWN)), 3900)


# --- /soap plan ----------------------------------------------------------------------------------


def _who(person: PlanPerson) -> str:
    return f"{escape(person.name)} ({escape(person.aamc_id)})"


def _plan_word(person: PlanPerson) -> str:
    own = f" “{escape(person.word)}”" if word_key(person.word) != word_key(person.choice.value) else ""
    return f"plan: {person.choice.value}{own}"


def _applied_line(person: PlanPerson) -> str:
    bucket = person.bucket or "not triaged"
    now = f"{BUCKET_EMOJI.get(bucket, '')} *{escape(bucket)}*".strip()
    if not person.plan_bucket_kept:
        now += " (a director's choice)"
    breaker = " · :no_entry: deal-breaker in the export" if person.computed_bucket == "do not rank" \
        and person.bucket != "do not rank" else ""
    return f"• {_who(person)}: {now} · {_plan_word(person)}{breaker}"


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_PEOPLE_SHOWN:
        return lines
    return [*lines[:MAX_PEOPLE_SHOWN], f"…and {len(lines) - MAX_PEOPLE_SHOWN} more"]


def plan_overview(overview: PlanOverview) -> tuple[str, list[dict[str, Any]]]:
    """`/soap plan`: applied in SOAP (with the bucket now), not applied, not in the plan."""
    if not overview.plan_rows:
        text = ("No pre-SOAP plan is imported. Share the plan (.csv or .xlsx with AAMC ID, Applicant Name, "
                "Pre-SOAP, and optionally Interviewed, Rotated Here, Home Student, Note) here with the word "
                "`plan`, or run `soapbot import-plan FILE --program …`.")
        return text, _dicts([section(text)])
    blocks: list[Block] = [section(f":clipboard: *Pre-SOAP plan*: {plural(overview.plan_rows, 'applicant')}.")]
    applied = [_applied_line(p) for p in overview.applied] or ["Nobody in the plan has applied in SOAP yet."]
    blocks.append(section(f"*Applied in SOAP ({len(overview.applied)})*"))
    blocks += [section(text) for text in chunks(_capped(applied))]
    blocks.append(section(f"*Not applied ({len(overview.not_applied)})*: {NOT_APPLIED_RULE}"))
    if overview.not_applied:
        blocks += [section(text) for text in chunks(_capped(
            [f"• {_who(p)} · {_plan_word(p)}" for p in overview.not_applied]))]
    blocks.append(section(f"*Not in the plan*: {plural(overview.not_in_plan, 'SOAP applicant')}. "
                          "`/soap unseen` lists the ones nobody has looked at yet."))
    text = (f"Pre-SOAP plan: {len(overview.applied)} applied in SOAP, {len(overview.not_applied)} not applied, "
            f"{overview.not_in_plan} SOAP applicants not in the plan.")
    return text, _dicts(blocks[:50])


# --- /soap unseen --------------------------------------------------------------------------------


def _unseen_section(item: UnseenApplicant) -> SectionBlock:
    bucket = item.bucket or "not triaged"
    why = f" · {escape('; '.join(item.why))}" if item.why else ""
    risk = f" · risk {escape(item.risk)}" if item.risk else ""
    text = clip(f"{BUCKET_EMOJI.get(bucket, '')} *{escape(item.name)}* ({escape(item.aamc_id)}) · "
                f"{escape(bucket)}{risk}{why}", 2900)
    return SectionBlock(text=text, accessory=ButtonElement(text="Open card", action_id=ActionId.UNSEEN_OPEN.value,
                                                           value=item.aamc_id,
                                                           accessibility_label=button_label("Open card", item.name)))


def unseen_list(items: Sequence[UnseenApplicant], *, page: int = 1) -> tuple[str, list[dict[str, Any]]]:
    """`/soap unseen`: eligible applicants nobody has opened, voted on, noted or interviewed, best first."""
    if not items:
        text = (":white_check_mark: Every eligible applicant has been opened, voted on, noted or interviewed by "
                "someone on the committee.")
        return text, _dicts([section(text)])
    pages = max(1, -(-len(items) // UNSEEN_PER_PAGE))
    page = min(max(1, page), pages)
    shown = items[(page - 1) * UNSEEN_PER_PAGE: page * UNSEEN_PER_PAGE]
    head = (f":eyes: *{plural(len(items), 'eligible applicant')} nobody on the committee has opened, voted on, "
            f"noted or interviewed*, best triage first" + (f" (page {page} of {pages})" if pages > 1 else "") + ".")
    blocks: list[Block] = [section(head), *[_unseen_section(item) for item in shown]]
    if page < pages:
        blocks.append(ActionsBlock(block_id=BlockId.UNSEEN_PAGE.value, elements=[
            ButtonElement(text="Next page", action_id=ActionId.UNSEEN_PAGE.value, value=str(page + 1))]))
    blocks.append(context("Opening a card (here or with `/soap candidate`), a vote, a note or an interview takes "
                          "an applicant off this list. Do-not-rank applicants and deal-breakers are not listed."))
    return clip(head, 3000), _dicts(blocks)


def unseen_reminder_line(count: int) -> str | None:
    """For the reminders before each deadline (None: nothing to say)."""
    if count <= 0:
        return None
    return (f":eyes: {plural(count, 'eligible applicant')} still unseen: nobody on the committee has opened, voted "
            "on, noted or interviewed them. `/soap unseen` lists them, best triage first.")
