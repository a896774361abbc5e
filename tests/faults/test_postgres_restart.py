"""PostgreSQL restarted with ``pg_ctl restart -m immediate`` during a run.

Immediate mode is a crash as far as the data goes: no checkpoint, open transactions cut
off, WAL replayed at start-up. The services are not restarted (same pids, ``dev up``
restarts nothing): their pools hand out new connections once the server is back,
``/readyz`` turns red while it is down and green after. No half-written rows: the final
state holds (the accounting: every message, SLA event and status move the inputs call for,
once; every outbox row published and processed) and every email row has exactly its one
``notification.sent`` outbox row, no more, no less.
"""

import asyncio
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from services.notifier.outcomes import notification_id
from tests.faults.accounting import expect_simulated
from tests.faults.harness import (
    RESULTS,
    SERVICES,
    DevStack,
    Summary,
    check_final_state,
    simulate,
)
from tests.faults.infra_faults import (
    StackPostgres,
    in_flight,
    ready,
    service_pids,
    start_stack,
    wait_for,
)

ORDERS = 16  # the first 16 simulator stories (of 20) once
ORDERS_PER_MINUTE = 240.0


class ReadinessWatch(threading.Thread):
    """Samples every service's ``/readyz`` until stopped; remembers who was seen red."""

    def __init__(self, stack: DevStack) -> None:
        super().__init__(daemon=True)
        self.stack = stack
        self.red: Counter[str] = Counter()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for name in SERVICES:
                if not ready(self.stack, name):
                    self.red[name] += 1
            time.sleep(0.1)


async def _half_written(stack: DevStack) -> list[str]:
    """Email rows without their one ``notification.sent`` row, and the reverse."""
    rows = await stack.fetch("SELECT dedup_key, kind, state FROM notifier.notifications")
    expected = {f"{notification_id(r['dedup_key'])}.sent" for r in rows if r["state"] == "sent"}
    outbox = await stack.fetch("SELECT event_id FROM notifier.outbox WHERE event_id LIKE '%.sent'")
    found = Counter(r["event_id"] for r in outbox)
    problems = [f"no outbox row for {e}" for e in sorted(expected - set(found))]
    problems += [f"outbox row without a sent notification: {e}" for e in set(found) - expected]
    return problems


@pytest.mark.long
def test_postgres_restart_immediate_pools_reconnect_nothing_half_written(
    tmp_path: Path,
) -> None:
    expected = expect_simulated(ORDERS)
    stack = start_stack(tmp_path / "var")
    postgres = StackPostgres.of(stack)
    watch = ReadinessWatch(stack)
    try:
        simulator = simulate(stack, ORDERS, ORDERS_PER_MINUTE)
        in_flight(stack)
        before = service_pids(stack)
        watch.start()
        started = time.monotonic()
        postgres.restart_immediate()
        restarted = time.monotonic() - started
        green = wait_for("ready again", lambda: all(ready(stack, n) for n in SERVICES), 90)
        watch.done.set()
        watch.join()
        assert simulator.wait(timeout=300) == 0, (stack.var / "simulate.log").read_text()
        asyncio.run(stack.wait_quiet())
        final = asyncio.run(check_final_state(stack, expected))
        half_written = asyncio.run(_half_written(stack))
        assert not half_written, half_written[:5]
        after = service_pids(stack)
    finally:
        watch.done.set()
        output = stack.stop()
        postgres.stop()
    assert after == before, f"services restarted: {before} -> {after}\n{output}"
    assert "restarting" not in output, output
    assert set(watch.red) == set(SERVICES), f"readyz never red for some: {watch.red}"
    RESULTS.append(
        Summary(
            "PostgreSQL restart -m immediate",
            1,
            final.report.lost,
            final.report.duplicated,
            f"down+recovery {restarted:.1f} s, readyz red then green {green:.1f} s later, "
            f"no restart; {final.note}",
        )
    )
