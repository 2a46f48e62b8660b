"""The chair's report as Markdown (a file to keep) and its announcement in the war room (pure builders).

Names and program names come from files and people: in the Markdown they are escaped so that no
character turns into formatting, a link or HTML; in the Slack post they go through `escape`.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from bot.domain.chair_report import ChairReport, CodeRound, RoundLine
from bot.domain.offers import OfferStatus
from bot.domain.when import format_local
from bot.domain.wording import plural
from bot.messages.mrkdwn import clip, escape

# Characters that format anywhere in a line (emphasis, code, links, HTML, tables); those that only
# format at a line's start (`#`, `-`, `1.`) never start one here: a name always follows other text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_OUTCOMES = ((OfferStatus.ACCEPTED.value, "accepted"), (OfferStatus.REJECTED.value, "declined"),
             (OfferStatus.EXPIRED.value, "expired"), (OfferStatus.OFFERED.value, "no answer recorded"))


def md(text: str) -> str:
    """Text from a file or a person, shown literally in Markdown (one line, every special escaped)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _list_line(line: CodeRound, ran: bool) -> str:
    if line.used_from_round is None:
        used = ("R3 had no list from the war room (none recorded as certified by the deadline)" if ran
                else "no list recorded as certified in R3 yet")
    else:
        used = (f"R3 {'used' if ran else 'would use'} round {line.used_from_round}'s certified list "
                f"({plural(line.used_size, 'name')})")
    if line.locked:
        own = (f"round's list locked ({plural(line.locked_size, 'name')}), "
               + ("certified in R3" if line.certified else "not recorded as certified in R3"))
    else:
        own = "no list locked for this round"
    return f"- {md(line.title)}: {used}; {own}."


def _offers_line(line: RoundLine) -> str:
    total = sum(line.offers.values())
    if not total:
        return "- Offers: none recorded."
    parts = [f"{line.offers[key]} {word}" for key, word in _OUTCOMES if line.offers.get(key)]
    return f"- Offers: {total} ({', '.join(parts)})."


def report_markdown(report: ChairReport, csv_text: str) -> str:
    """The whole report, Markdown, with the accepted applicants' CSV at its end for onboarding."""
    tz = ZoneInfo(report.timezone)
    out = [f"# Chair's report: {md(report.program_name)}", "",
           f"Made {format_local(report.made_at, tz)} (times in {tz.key}). It names no applicant but those "
           "who accepted a position here (name and AAMC ID).", "", "## Positions", ""]
    if report.codes:
        out.append(f"{report.filled} of {report.total} filled.")
        out.append("")
        out.append("| Program code | Positions | Filled | Open |")
        out.append("|---|---:|---:|---:|")
        out.extend(f"| {md(c.title)} | {c.total} | {c.filled} | {c.open} |" for c in report.codes)
    else:
        out.append("No positions were set.")
    out.append("")
    if report.last_filled_at is not None:
        out.append(f"The last position filled {format_local(report.last_filled_at, tz)}.")
    elif report.codes:
        out.append("Not every position is filled.")
    out += ["", "## Rounds"]
    for line in report.rounds:
        deadline = f" (list deadline {format_local(line.deadline, tz)})" if line.deadline else ""
        out += ["", f"### Round {line.number}{deadline}" + ("" if line.ran else ": not run yet"), ""]
        out.extend(_list_line(listed, line.ran) for listed in line.lists)
        out.append(_offers_line(line))
        if line.accepted:
            out.append("- Accepted: " + "; ".join(f"{md(a.name)} ({md(a.aamc_id)}, {md(a.code)})"
                                                  for a in line.accepted) + ".")
    out += ["", "## The committee's work", "",
            f"- Applicants imported: {report.imported}",
            f"- Reviewed (opened, voted on, ranked, noted or interviewed): {report.reviewed}",
            f"- Voted on: {report.voted_on}",
            f"- Interviewed: {report.interviewed}",
            f"- Unseen (eligible, and nobody opened, voted on, noted or interviewed them): {report.unseen}", ""]
    if report.members:
        out.append("| Member (Slack user id) | Reference notes | Interviews |")
        out.append("|---|---:|---:|")
        out.extend(f"| {md(m.user_id)} | {m.notes} | {m.interviews} |" for m in report.members)
    else:
        out.append("No reference notes or interviews were recorded.")
    out += ["", "## Missed deadlines and alarms", ""]
    if report.events:
        out.extend(f"- {format_local(event.at, tz)}: {event.what}." for event in report.events)
    else:
        out.append("None: every round's list was certified by its deadline and every reminder went out on time.")
    out += ["", "## Accepted applicants (CSV, for onboarding)", "", "```csv", csv_text.strip("\ufeff").rstrip(),
            "```", ""]
    return "\n".join(out)


def report_post(report: ChairReport, uploaded: bool) -> str:
    """The war room's announcement of the report (mrkdwn), the files following it."""
    accepted = report.accepted
    head = (f":bookmark_tabs: *Chair's report of {escape(report.program_name)}*: "
            + (f"{report.filled} of {report.total} positions filled" if report.codes else "no positions set")
            + f", {plural(len(accepted), 'applicant')} accepted")
    if report.last_filled_at is not None:
        head += f", the last position filled {format_local(report.last_filled_at, ZoneInfo(report.timezone))}"
    lines = [head + "."]
    if accepted:
        lines.append("Accepted: " + "; ".join(f"{escape(a.name)} ({escape(a.aamc_id)}, {escape(a.code)})"
                                              for a in accepted[:20])
                     + (f" and {len(accepted) - 20} more" if len(accepted) > 20 else "") + ".")
    lines.append("The report (Markdown) and the accepted applicants (CSV, for onboarding) are the two files just "
                 "above. Download them before the purge: it deletes every bot post, these files too." if uploaded else
                 ":warning: Slack did not take the files; get the report with `soapbot report --program … --out "
                 "report.md`.")
    return clip("\n".join(lines), 3900)
