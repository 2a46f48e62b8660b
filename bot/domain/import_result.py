"""What an import of an ERAS export did, as plain values: counts, the rows in error, the columns it
could not use (the candidates service fills it; `bot.messages.candidate_lists` reports it)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem with one cell (or one row): ``row_number`` as the spreadsheet shows it (header = 1)."""

    row_number: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row_number}, {self.column}: {self.reason}"


@dataclass(frozen=True)
class ImportResult:
    filename: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    missing_required: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    honor_phrases: list[str] = field(default_factory=list)
    """Honor-society values not recognised, each once (kept as text, not errors)."""
    rules_off: list[str] = field(default_factory=list)
    """Each triage rule that had nothing to read in the file, and for how many applicants."""
    data_rows: int = 0
    dry_run: bool = False
    moved: int = 0
    cards_to_redraw: int = 0
    """Updated candidates whose card is already posted in the war room (the clock redraws them)."""
    from_plan: int = 0
    """New candidates the pre-SOAP plan holds: they start in the plan's bucket (bot.services.plan)."""
    problem: str | None = None
    """The file could not be read at all (one message)."""

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.errors and not self.missing_required

    @property
    def bad_rows(self) -> list[int]:
        return sorted({error.row_number for error in self.errors})

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged
