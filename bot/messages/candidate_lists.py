"""Ephemeral lists about candidates: several matches, `/soap find` pages, triage counts, the policy,
and import reports (Slack and terminal). Pure builders; names are escaped here."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock

from bot.domain.candidate_search import CandidateRef, FindPage
from bot.domain.cards import redraw_minutes
from bot.domain.import_result import ImportResult
from bot.domain.triage import Bucket, TriagePolicy
from bot.domain.triage_summary import Move, TriageSummary
from bot.domain.wording import plural
from bot.messages.blocks import SLACK_SECTION_TEXT, chunks, section
from bot.messages.candidate_card import BUCKET_EMOJI, RISK_EMOJI
from bot.messages.ids import ActionId, BlockId, SearchPageButton, button_value
from bot.messages.mrkdwn import clip, escape, mention

SLACK_ERRORS_SHOWN = 20


def _section(text: str) -> SectionBlock:
    return section(text, SLACK_SECTION_TEXT)


def _dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks[:50]]




# --- several matches --------------------------------------------------------------------------


def matches_text(fragment: str, matches: Sequence[CandidateRef]) -> str:
    lines = [f"• {escape(m.name)} (`{escape(m.aamc_id)}`)" + (f", {escape(m.bucket)}" if m.bucket else "")
             for m in matches[:20]]
    more = f"\n…and {len(matches) - 20} more; type more of the name." if len(matches) > 20 else ""
    return clip(f"“{escape(fragment)}” matches {len(matches)} candidates. Use the AAMC ID, e.g. "
                f"`/soap candidate {escape(matches[0].aamc_id)}`:\n" + "\n".join(lines) + more, 3000)


def matches_blocks(fragment: str, matches: Sequence[CandidateRef]) -> list[dict[str, Any]]:
    return _dicts([_section(matches_text(fragment, matches))])


# --- /soap find -------------------------------------------------------------------------------


def find_text(page: FindPage) -> str:
    return (f"{plural(page.total, 'candidate')} for {escape(page.filters.describe())} "
            f"(page {page.page} of {page.pages})")


def find_blocks(page: FindPage, query: str) -> list[dict[str, Any]]:
    blocks: list[Block] = [_section(f"*{plural(page.total, 'candidate')}* for {escape(page.filters.describe())}")]
    lines = []
    for item in page.items:
        bits = [item.degree_type or "?", f"grad {item.graduation_year}" if item.graduation_year else "grad ?",
                f"{item.exam_failures} fail" + ("s" if item.exam_failures != 1 else ""),
                "visa" if item.visa_needed else "no visa" if item.visa_needed is False else "visa ?"]
        bucket = item.bucket or "not triaged"
        lines.append(f"{BUCKET_EMOJI.get(bucket, '')} *{escape(item.name)}* `{escape(item.aamc_id)}`: "
                     f"{escape(bucket)}, risk {escape(item.risk or '?')} · {escape(' · '.join(bits))}"
                     + (f" · {escape(', '.join(item.flags))}" if item.flags else ""))
    if not lines:
        lines = ["Nobody matches. Loosen a filter, or check `/soap find help`."]
    blocks += [_section(chunk) for chunk in chunks(lines)]
    blocks.append(ContextBlock(elements=[MarkdownTextObject(
        text=f"Page {page.page} of {page.pages}. `/soap candidate <AAMC ID>` posts a card.")]))
    buttons = []
    if page.page > 1:
        buttons.append(ButtonElement(text="Previous page", action_id=ActionId.PAGE.value,
                                     value=button_value(SearchPageButton(query[:1500], page.page - 1))))
    if page.has_next:
        buttons.append(ButtonElement(text="Next page", action_id=ActionId.PAGE_NEXT.value,
                                     value=button_value(SearchPageButton(query[:1500], page.page + 1))))
    if buttons:
        blocks.append(ActionsBlock(block_id=BlockId.FIND_PAGE.value, elements=buttons))
    return _dicts(blocks)


# --- triage -----------------------------------------------------------------------------------


def triage_text(summary: TriageSummary) -> str:
    return "Triage: " + ", ".join(f"{b.value} {summary.counts[b]}" for b in Bucket)


def triage_blocks(summary: TriageSummary) -> list[dict[str, Any]]:
    counts = " · ".join(f"{BUCKET_EMOJI[b.value]} {b.value}: *{summary.counts[b]}*" for b in Bucket)
    head = f"*Triage of {plural(summary.total, 'candidate')}*\n{counts}"
    if summary.overridden:
        head += f"\n:pushpin: {summary.overridden} overridden by a director"
    if summary.untriaged:
        head += f"\n{summary.untriaged} not triaged yet"
    blocks: list[Block] = [_section(head)]
    for bucket in Bucket:
        previews = summary.first[bucket]
        if not previews:
            continue
        lines = [f"{RISK_EMOJI.get(p.risk or '', '')} {escape(p.name)} `{escape(p.aamc_id)}`"
                 + (" :pushpin:" if p.overridden else "") for p in previews]
        shown_to = (summary.page - 1) * summary.per_bucket + len(previews)
        more = f" (showing {shown_to} of {summary.counts[bucket]})" if summary.counts[bucket] > len(previews) else ""
        blocks.append(_section(f"*{escape(bucket.value)}*{more}\n" + "\n".join(lines)))
    if summary.total == 0:
        blocks.append(_section("No candidates yet: share the ERAS export in the war room with the word `import`."))
    buttons = []
    if summary.page > 1:
        buttons.append(ButtonElement(text="Previous page", action_id=ActionId.PAGE.value,
                                     value=button_value(SearchPageButton("", summary.page - 1))))
    if summary.has_more:
        buttons.append(ButtonElement(text="Next page", action_id=ActionId.PAGE_NEXT.value,
                                     value=button_value(SearchPageButton("", summary.page + 1))))
    if buttons:
        blocks.append(ActionsBlock(block_id=BlockId.TRIAGE_PAGE.value, elements=buttons))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(
        text="`/soap find bucket:backup` lists a bucket; `/soap triage <id> <bucket> <reason>` overrides "
             "(directors).")]))
    return _dicts(blocks)


def policy_lines(policy: TriagePolicy) -> list[str]:
    """One line per setting; settings equal to the default are marked "(default)"."""
    defaults = TriagePolicy()
    current, default = policy.model_dump(), defaults.model_dump()
    keys = list(current)
    lines = []
    for key, line in zip(keys, policy.describe(), strict=True):
        lines.append(f"• {escape(line)}" + (" _(default)_" if current[key] == default[key] else ""))
    return lines


def policy_text(policy: TriagePolicy, program_name: str) -> str:
    return (f"*Triage policy of {escape(program_name)}*\n" + "\n".join(policy_lines(policy))
            + "\nDirectors change it with `/soap policy set key=value …`, e.g. "
              "`/soap policy set visas=J-1 max_failures=1 home_states=OH,PA`.")


MOVES_NAMED = 15
_POLICY_LINE = re.compile(r"^(?P<label>[^:]+): (?P<value>.*) \((?P<key>\w+)\)$")


def policy_changes(before: TriagePolicy, after: TriagePolicy) -> list[str]:
    """Each changed setting in `/soap policy`'s words: "visas sponsored: J-1 only → J-1 and H-1B"."""
    changes = []
    for old, new in zip(before.describe(), after.describe(), strict=True):
        if old == new:
            continue
        old_match, new_match = _POLICY_LINE.match(old), _POLICY_LINE.match(new)
        if old_match and new_match:
            changes.append(f"{old_match['label']}: {old_match['value']} → {new_match['value']}")
        else:
            changes.append(f"{old} → {new}")
    return changes


def policy_change_text(actor: str, before: TriagePolicy, after: TriagePolicy, moves: Sequence[Move],
                       cards_to_redraw: int = 0) -> str:
    """What a policy change did, for the war room: the settings, who moved between buckets (those on a
    preference list first, so none is hidden behind "and N more"), and which of them are on a list;
    with blind votes switched, how soon the posted cards show (or stop showing) the tallies."""
    head = f":gear: {mention(actor)} changed the triage policy: {escape('; '.join(policy_changes(before, after)))}."
    if cards_to_redraw:
        head += (f"\nThe {plural(cards_to_redraw, 'posted card')} "
                 f"{'are' if cards_to_redraw != 1 else 'is'} redrawn within "
                 f"{plural(redraw_minutes(cards_to_redraw), 'minute')}"
                 + (" to show only how many voted." if after.blind_votes else " to show the tallies again."))
    if not moves:
        return head + "\nNo candidate changed bucket."
    ordered = sorted(moves, key=lambda m: (m.on_list is None, m.name.casefold(), m.aamc_id))
    counts = ", ".join(describe_moves(moves))
    lines = [head, f"{plural(len(moves), 'candidate')} changed bucket ({escape(counts)}):"]
    for move in ordered[:MOVES_NAMED]:
        listed = f" · :clipboard: on {escape(move.on_list)}" if move.on_list else ""
        lines.append(f"• {escape(move.name)} ({escape(move.aamc_id)}): {escape(move.before or 'not triaged')} → "
                     f"*{escape(move.after)}*{listed}")
    if len(moves) > MOVES_NAMED:
        lines.append(f"…and {len(moves) - MOVES_NAMED} more (`/soap triage` shows every bucket).")
    listed_count = sum(1 for move in moves if move.on_list)
    if listed_count:
        verb = "is" if listed_count == 1 else "are"
        lines.append(f":warning: {listed_count} of them {verb} on a preference list: check their place with "
                     "`/soap list`.")
    return clip("\n".join(lines), 3900)


# --- import reports ---------------------------------------------------------------------------


def import_lines(result: ImportResult, *, max_errors: int | None = None,
                 esc: Callable[[str], str] = escape) -> list[str]:
    """The report a coordinator reads: counts, or why nothing was imported and every bad row."""
    name = esc(result.filename)
    lines: list[str] = []
    if result.problem:
        return [f"Nothing imported: {esc(result.problem)}"]
    if result.missing_required:
        names = ("First Name" in result.missing_required or "Last Name" in result.missing_required)
        missing = "a required column is" if len(result.missing_required) == 1 else "required columns are"
        lines.append(f"Nothing imported from {name}: {missing} missing: "
                     + ", ".join(esc(c) for c in result.missing_required)
                     + (" (or one `Applicant Name` column)" if names else "") + ".")
    elif result.errors:
        bad = len(result.bad_rows)
        lines.append(f"Nothing imported from {name}: {plural(bad, 'row')} {'has' if bad == 1 else 'have'} problems "
                     "(fix them and share the file again):")
        shown = result.errors if max_errors is None else result.errors[:max_errors]
        lines += [f"  row {e.row_number}, {esc(e.column)}: {esc(e.reason)}" for e in shown]
        if len(shown) < len(result.errors):
            lines.append(f"  …and {plural(len(result.errors) - len(shown), 'more problem')}; "
                         "`soapbot import FILE --dry-run` lists them all.")
    else:
        verb = "Would import" if result.dry_run else "Imported"
        lines.append(f"{verb} {name}: {result.new} new, {result.updated} updated, {result.unchanged} unchanged"
                     f" ({result.total} applicants)." + (" Nothing was written (dry run)." if result.dry_run else ""))
        if result.from_plan and not result.dry_run:
            starts = "starts" if result.from_plan == 1 else "start"
            lines.append(f"{plural(result.from_plan, 'new applicant')} in the pre-SOAP plan {starts} in the plan's "
                         "bucket (`/soap plan`).")
        if result.cards_to_redraw and not result.dry_run:
            minutes = redraw_minutes(result.cards_to_redraw)
            lines.append(f"{plural(result.cards_to_redraw, 'card')} already in the war room will be redrawn with "
                         f"the new data within {'a minute' if minutes == 1 else f'about {minutes} minutes'}.")
    # In Slack long lists are cut (a real export has dozens of columns the bot does not use), so what
    # the committee must know comes first and the list of ignored columns last.
    limit = None if max_errors is None else MAX_NAMES_SHOWN
    if result.unknown_columns:
        lines.append("Columns not recognised (ignored): " + _names(result.unknown_columns, limit, esc, ", "))
    if result.honor_phrases:
        lines.append("Honor-society values not recognised (kept as text on the card): "
                     + _names(result.honor_phrases, limit, esc, "; "))
    if result.ok:  # what the file could not tell matters only for what was imported
        lines += [esc(line) for line in result.rules_off]
    lines += [esc(note) for note in result.notes]
    if result.ignored_columns:
        lines.append("Known ERAS columns the bot does not use: " + _names(result.ignored_columns, limit, esc, ", "))
    return lines


#: Column names and honor-society values listed in the Slack report; `soapbot import` lists them all.
MAX_NAMES_SHOWN = 20


def _names(items: Sequence[str], limit: int | None, esc: Callable[[str], str], separator: str) -> str:
    shown = items if limit is None else items[:limit]
    more = f" …and {len(items) - len(shown)} more" if len(shown) < len(items) else ""
    return separator.join(esc(item) for item in shown) + more


def import_text(result: ImportResult) -> str:
    """For the war-room thread: at most the first 20 bad rows."""
    return clip("\n".join(import_lines(result, max_errors=SLACK_ERRORS_SHOWN)), 3900)


def describe_moves(moves: Iterable[Move]) -> list[str]:
    """"12 moved out of do not rank", "3 moved into do not rank", … (largest first)."""
    moves = list(moves)
    out_of = Counter(m.before for m in moves if m.before is not None)
    into = Counter(m.after for m in moves)
    lines = [f"{n} moved out of {bucket}" for bucket, n in out_of.most_common()]
    lines += [f"{n} moved into {bucket}" for bucket, n in into.most_common()]
    return lines
