"""Graceful SIGTERM under load: while orders flow, each service is sent SIGTERM several
times (``dev up`` restarts it). A service stops within its grace period, finishing the
work in hand: the consumer commits the offset of each message it processed (its
replacement never sees one again: 0 duplicates consumed), the relay marks what it
published (nothing republished), the sender finishes the sends it started (no row left
mid-send, no email twice). The final state is checked against the accounting: nothing
lost, nothing twice (the notifier counted no ambiguous send), nothing unexpected.
"""

import asyncio
import random
import time
from pathlib import Path

import pytest

from tests.faults.accounting import expect_simulated
from tests.faults.harness import (
    RESULTS,
    SERVICES,
    DevStack,
    Summary,
    check_final_state,
    simulate,
)

STOPS_PER_SERVICE = 4
ORDERS = 32  # every simulator story once, the first 12 twice
ORDERS_PER_MINUTE = 16.0  # new orders for two minutes: every SIGTERM lands in traffic
PAUSE = (1.0, 3.0)  # seconds between a restart and the next SIGTERM
GRACE = 30.0  # the broker's graceful_timeout; Kubernetes' default grace period too
AMBIGUOUS = "parcelwatch_notifier_ambiguous_sends_total"


def _duplicates(stack: DevStack, service: str) -> float:
    """Redelivered messages the running process of ``service`` dropped so far."""
    return stack.metric(
        service, f"parcelwatch_{service}_messages_consumed_total", 'outcome="duplicate"'
    )


@pytest.mark.long
def test_sigterm_under_load_finishes_in_flight_work(tmp_path: Path) -> None:
    rng = random.Random(7)
    expected = expect_simulated(ORDERS)
    stack = DevStack(tmp_path / "var")
    stack.start()
    assert (stack.embedded_broker_pid() is None) == stack.external_kafka
    stops: dict[str, list[float]] = {name: [] for name in SERVICES}
    duplicates = dict.fromkeys(SERVICES, 0.0)
    ambiguous = 0.0
    try:
        simulator = simulate(stack, ORDERS, ORDERS_PER_MINUTE)
        started = time.monotonic()
        for _ in range(STOPS_PER_SERVICE):
            for name in SERVICES:
                time.sleep(rng.uniform(*PAUSE))  # when to stop: the fault's timing
                # Counters live as long as a process: read them just before it goes.
                duplicates[name] += _duplicates(stack, name)
                ambiguous += stack.metric("notifier", AMBIGUOUS) if name == "notifier" else 0
                stops[name].append(stack.terminate(name, grace=GRACE))
        span = time.monotonic() - started
        simulating = simulator.poll() is None
        assert simulator.wait(timeout=300) == 0, (stack.var / "simulate.log").read_text()
        asyncio.run(stack.wait_quiet())
        final = asyncio.run(check_final_state(stack, expected))  # duplicated == ambiguous
        for name in SERVICES:
            duplicates[name] += _duplicates(stack, name)
        ambiguous += stack.metric("notifier", AMBIGUOUS)
    finally:
        output = stack.stop()
    assert simulating, "the simulated run ended before the last SIGTERM: make it longer"
    for name in SERVICES:
        assert output.count(f"{name} exited with 0; restarting") == STOPS_PER_SERVICE, output
    assert duplicates == dict.fromkeys(SERVICES, 0.0), f"redelivered after SIGTERM: {duplicates}"
    assert final.republished == dict.fromkeys(SERVICES, 0), final.republished
    assert ambiguous == final.ambiguous == 0, "a stopping sender abandoned rows mid-send"
    assert final.interrupted == 0, final.note
    for name, tally in final.report.by_service().items():
        RESULTS.append(
            Summary(
                f"SIGTERM {name} under load",
                len(stops[name]),
                len(tally.lost),
                int(duplicates[name]) + tally.copies,
                f"stopped in {max(stops[name]):.1f} s at most (grace {GRACE:.0f} s), "
                f"{duplicates[name]:.0f} redelivered, {final.republished[name]} republished, "
                f"{tally.part}: {tally.observed} seen; SIGTERMs over {span:.0f} s",
            )
        )
