"""A carrier's code table: its own codes and texts → normalized status, kept as data.

Each carrier folder holds ``codes.csv`` with the columns ``field,code,status,carrier_text,
source``: ``field`` names where the carrier puts the code (``statusCode``, ``eventType``,
``reason``...), ``code`` is the carrier's value (compared case-insensitively, all-digit codes
as numbers), ``carrier_text`` the carrier's own wording and ``source`` a key of the
carrier's page in ``docs/carriers/`` saying where the row comes from. A code that is
documented but says nothing about where the parcel is maps to ``unknown`` (an event that
never moves the status); a code missing from the table is unmapped.
"""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from shared.contracts.statuses import TrackingStatus

COLUMNS = ("field", "code", "status", "carrier_text", "source")


@dataclass(frozen=True, slots=True)
class CodeRow:
    """One documented carrier code."""

    field: str
    code: str
    status: TrackingStatus
    carrier_text: str
    source: str


@dataclass(frozen=True)
class CodeTable:
    """A carrier's rows, looked up by ``(field, code)``."""

    rows: tuple[CodeRow, ...]

    def __post_init__(self) -> None:
        keys = [(row.field, _key(row.code)) for row in self.rows]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"codes listed twice: {duplicates}")

    def status(self, field: str, code: str | None) -> TrackingStatus | None:
        """The status of ``code`` in ``field``; None when the table does not list it."""
        if code is None:
            return None
        return self._index().get((field, _key(code)))

    def fields(self) -> tuple[str, ...]:
        """The fields in table order."""
        return tuple(dict.fromkeys(row.field for row in self.rows))

    def of(self, field: str) -> Iterator[CodeRow]:
        """The rows of one field, in table order."""
        return (row for row in self.rows if row.field == field)

    def markdown(self) -> str:
        """The table as the Markdown the carrier's docs page shows."""
        lines = ["| field | code | status | carrier's text | source |", "|---|---|---|---|---|"]
        lines += [
            f"| {r.field} | `{r.code}` | {r.status.value} | {r.carrier_text} | {r.source} |"
            for r in self.rows
        ]
        return "\n".join(lines) + "\n"

    @cache  # noqa: B019 - tables are module-level constants, never collected
    def _index(self) -> dict[tuple[str, str], TrackingStatus]:
        return {(row.field, _key(row.code)): row.status for row in self.rows}


def load(path: Path) -> CodeTable:
    """Read a ``codes.csv``; a row with an unknown status or missing column is an error."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path}: columns must be {','.join(COLUMNS)}")
        rows = [
            CodeRow(
                field=line["field"].strip(),
                code=line["code"].strip(),
                status=TrackingStatus(line["status"].strip()),
                carrier_text=line["carrier_text"].strip(),
                source=line["source"].strip(),
            )
            for line in reader
        ]
    return CodeTable(tuple(rows))


def _key(code: str) -> str:
    """Case-insensitive; an all-digit code compares as a number (``'003'`` is ``'3'``)."""
    code = code.strip()
    return str(int(code)) if code.isdigit() else code.casefold()
