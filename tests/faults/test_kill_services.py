"""kill -9 of each service at random moments while orders flow; ``dev up`` restarts it.

Each service has its own kill loop (the three run at once, so kills also overlap): a
random pause, ``kill -9``, wait for the supervisor's replacement to be healthy, again.
On the final, quiet state (``check_final_state``): every notification final, every email
row captured (0 lost), a Message-ID twice only for a row a kill interrupted mid-send (the
documented ambiguous window; the count is reported as duplicated), every outbox row on its
topic at least once, and every event processed by each consumer that handles its type.
"""

import asyncio
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.faults.harness import (
    RESULTS,
    SERVICES,
    DevStack,
    Summary,
    check_final_state,
    simulate,
)

KILLS_PER_SERVICE = 20
ORDERS = 48  # every simulator story three times
ORDERS_PER_MINUTE = 24.0  # new orders for two minutes: the kills land in traffic
PAUSE = (0.5, 3.0)  # seconds between a restart and the next kill of that service
SEND_CONCURRENCY = 8  # NOTIFIER_SEND_CONCURRENCY: rows one notifier kill can interrupt


def _kill_loop(stack: DevStack, service: str, rng: random.Random) -> list[float]:
    """``KILLS_PER_SERVICE`` kills of ``service``; returns the run time of each kill."""
    moments = []
    for _ in range(KILLS_PER_SERVICE):
        time.sleep(rng.uniform(*PAUSE))
        moments.append(time.monotonic())
        stack.kill(service, timeout=90)
    return moments


def test_kill_9_each_service_loses_nothing(tmp_path: Path) -> None:
    seed = int(os.environ.get("FAULTS_SEED", time.time_ns() % 1_000_000))
    stack = DevStack(tmp_path / "var")
    stack.start()
    try:
        simulator = simulate(stack, ORDERS, ORDERS_PER_MINUTE)
        started = time.monotonic()
        with ThreadPoolExecutor(len(SERVICES)) as pool:
            loops = {
                name: pool.submit(_kill_loop, stack, name, random.Random(f"{seed}-{name}"))
                for name in SERVICES
            }
            kills = {name: loop.result() for name, loop in loops.items()}
        simulating = simulator.poll() is None
        assert simulator.wait(timeout=300) == 0, (stack.var / "simulate.log").read_text()
        asyncio.run(stack.wait_quiet())
        report = asyncio.run(check_final_state(stack, KILLS_PER_SERVICE * SEND_CONCURRENCY))
    finally:
        output = stack.stop()
    assert simulating, "the simulated run ended before the last kill: make it longer"
    assert output.count("restarting") >= len(SERVICES) * KILLS_PER_SERVICE, output
    span = max(max(moments) for moments in kills.values()) - started
    for name in SERVICES:
        note = f"republished {report.republished[name]}, kills over {span:.0f} s, seed {seed}"
        if name == "notifier":
            note = f"{report.note}, {note}"
        RESULTS.append(
            Summary(
                f"kill -9 {name}",
                len(kills[name]),
                report.lost[name],
                report.duplicated if name == "notifier" else 0,
                note,
            )
        )
    assert report.emails > 0, "the run sent no email: nothing was tested"
