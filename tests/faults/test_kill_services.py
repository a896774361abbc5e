"""kill -9 of each service at random moments while orders flow; ``dev up`` restarts it.

On the final, quiet state: every notification is final (``sent``; ``failed``/``skipped``
only as documented), every email row has its message in the capture (0 lost), a Message-ID
is captured twice only for a row a kill interrupted mid-send (the documented ambiguous
window: at most one duplicate each), and every event an outbox published was consumed
(inbox) by the service that handles its type.
"""

import asyncio
import os
import random
import time
from collections import Counter
from pathlib import Path

from tests.faults.harness import RESULTS, DevStack, Summary, check_final_state, simulate

KILLS_PER_SERVICE = 5
ORDERS = 32  # every simulator story twice
ORDERS_PER_MINUTE = 240.0
PAUSE = (1.0, 4.0)  # seconds between two kills
SEND_CONCURRENCY = 8  # NOTIFIER_SEND_CONCURRENCY: rows one notifier kill can interrupt


def test_kill_9_each_service_loses_nothing(tmp_path: Path) -> None:
    seed = int(os.environ.get("FAULTS_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    plan = [name for name in ("notifier", "sla", "poller") for _ in range(KILLS_PER_SERVICE)]
    rng.shuffle(plan)
    stack = DevStack(tmp_path / "var")
    stack.start()
    try:
        simulator = simulate(stack, ORDERS, ORDERS_PER_MINUTE)
        kills: Counter[str] = Counter()
        for name in plan:
            time.sleep(rng.uniform(*PAUSE))
            stack.kill(name)
            kills[name] += 1
        assert simulator.wait(timeout=300) == 0, (stack.var / "simulate.log").read_text()
        asyncio.run(stack.wait_quiet())
        report = asyncio.run(check_final_state(stack, KILLS_PER_SERVICE * SEND_CONCURRENCY))
    finally:
        output = stack.stop()
    restarts = output.count("restarting")
    assert restarts >= len(plan), output
    for name in ("notifier", "sla", "poller"):
        RESULTS.append(
            Summary(
                f"kill -9 {name}",
                kills[name],
                report.lost[name],
                report.duplicated if name == "notifier" else 0,
                report.note if name == "notifier" else f"seed {seed}",
            )
        )
    assert report.emails > 0, "the run sent no email: nothing was tested"
