"""kill -9 of each service at random moments while orders flow; ``dev up`` restarts it.

Each service has its own kill loop (the three run at once, so kills also overlap): a
random pause, ``kill -9``, wait for the supervisor's replacement to be healthy, again.
The final state is checked against the accounting (``check_final_state``): every message,
SLA event and status move the inputs call for observed, none unexpected; a message twice
only for a row a kill interrupted mid-send, at most as often as the notifier counted that
ambiguous window (a kill before the server accepted leaves a counted row with no
duplicate, so the count only bounds them); an event id on ``tracking.v1`` / ``sla.v1`` at
most once more per kill of its producer (a relay killed between publishing and marking).

``make test-faults`` kills each service 20 times on every story. ``make test`` kills the
poller and the sla service once each on the accounting self-test's run of the quick stories,
where the notifier dies at a crash point (``test_accounting.py``)."""

import asyncio
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from parcelwatch.dev.simulator.stories import Story
from tests.faults.accounting import expect_simulated
from tests.faults.harness import (
    CLOCK_SCALE,
    RESULTS,
    SERVICES,
    DevStack,
    Summary,
    check_final_state,
    simulate,
)


def _kill_loop(
    stack: DevStack, service: str, kills: int, pause: tuple[float, float], rng: random.Random
) -> list[float]:
    """``kills`` kills of ``service``; returns the moment of each."""
    moments = []
    for _ in range(kills):
        time.sleep(rng.uniform(*pause))  # when to strike: the fault's timing, no synchronisation
        moments.append(time.monotonic())
        stack.kill(service, timeout=90)
    return moments


def _captured(stack: DevStack) -> int:
    """E-mails and chat posts in the capture so far."""
    return len([*stack.mail_folder.glob("*.eml"), *stack.mail_folder.glob("chat/*.json")])


def _kill_run(
    var: Path,
    *,
    kills: int,
    orders: int,
    per_minute: float,
    stories: tuple[Story, ...],
    clock_scale: float,
    pause: tuple[float, float],
) -> None:
    seed = int(os.environ.get("FAULTS_SEED", time.time_ns() % 1_000_000))
    expected = expect_simulated(orders, stories)
    stack = DevStack(var, clock_scale=clock_scale)
    stack.start()
    try:
        simulator = simulate(stack, orders, per_minute, stories)
        started = time.monotonic()
        with ThreadPoolExecutor(len(SERVICES)) as pool:
            loops = {
                name: pool.submit(
                    _kill_loop, stack, name, kills, pause, random.Random(f"{seed}-{name}")
                )
                for name in SERVICES
            }
            moments = {name: loop.result() for name, loop in loops.items()}
        after_kills = _captured(stack)
        assert simulator.wait(timeout=300) == 0, (stack.var / "simulate.log").read_text()
        final = asyncio.run(check_final_state(stack, expected, exact=False, republished=kills))
    finally:
        output = stack.stop()
    assert output.count("restarting") >= len(SERVICES) * kills, output
    assert _captured(stack) > after_kills, "nothing was sent after the last kill: make it longer"
    span = max(max(m) for m in moments.values()) - started
    for name, tally in final.report.by_service().items():
        note = f"{tally.part}: {tally.observed} seen, {final.republished[name]} republished"
        if name == "notifier":
            note = final.note
        RESULTS.append(
            Summary(
                f"kill -9 {name}",
                len(moments[name]),
                len(tally.lost),
                tally.copies,
                f"{note}; kills over {span:.0f} s, seed {seed}",
            )
        )


@pytest.mark.long
def test_kill_9_each_service_20_times_loses_nothing(tmp_path: Path) -> None:
    _kill_run(
        tmp_path / "var",
        kills=20,
        orders=48,  # every simulator story twice, the first 8 a third time
        per_minute=24.0,  # new orders for two minutes: the kills land in traffic
        stories=tuple(Story),
        clock_scale=CLOCK_SCALE,
        pause=(0.5, 3.0),
    )
