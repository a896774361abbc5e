"""The fault-injection suite: its quick tests run in ``make test``, the long ones (marked
``long``) only with ``PARCELWATCH_FAULTS=1`` (``make test-faults``); the summary table of
the rows recorded is printed at the end."""

import os

import pytest

from tests.faults.harness import RESULTS, Summary


def table(results: list[Summary]) -> list[str]:
    """The summary as aligned text lines: a header, a rule, one row per fault (numbers
    right-aligned, the note last and unpadded), then the totals."""
    rows = [("fault", "iterations", "lost", "duplicated", "note")]
    rows += [(r.fault, str(r.iterations), str(r.lost), str(r.duplicated), r.note) for r in results]
    rows.append(
        (
            "total",
            str(sum(r.iterations for r in results)),
            str(sum(r.lost for r in results)),
            str(sum(r.duplicated for r in results)),
            "",
        )
    )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]

    def line(row: tuple[str, ...]) -> str:
        numbers = zip(row[1:4], widths[1:], strict=True)
        cells = [row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in numbers)]
        return "  ".join([*cells, row[4]]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return [line(rows[0]), rule, *map(line, rows[1:-1]), rule, line(rows[-1])]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    terminalreporter.section("fault-injection summary")
    for text in table(RESULTS):
        terminalreporter.write_line(text)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without ``PARCELWATCH_FAULTS=1``, leave the long fault runs out (deselected)."""
    if os.environ.get("PARCELWATCH_FAULTS") == "1":
        return
    long = [item for item in items if item.get_closest_marker("long")]
    if long:
        config.hook.pytest_deselected(items=long)
        items[:] = [item for item in items if not item.get_closest_marker("long")]
