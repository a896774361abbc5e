"""The fault-injection suite (``make test-faults``): prints its summary table at the end."""

import pytest

from tests.faults.harness import RESULTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    rows = [("fault", "iterations", "lost", "duplicated", "note")]
    rows += [(r.fault, str(r.iterations), str(r.lost), str(r.duplicated), r.note) for r in RESULTS]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    terminalreporter.section("fault-injection summary")
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        terminalreporter.write_line("  ".join([*cells, row[4]]).rstrip())
