"""Named crash point ``consumer.after_commit``: a notifier replica started by hand with
``PARCELWATCH_CRASH_POINT`` joins the stack's consumer groups, dies (exit 86) right after
its first database commit, before the offset commit; the record is redelivered to the
stack's notifier (or to the replica restarted without the variable) and the inbox makes it
a no-op: no duplicate effect, nothing lost."""

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

from parcelwatch.devstack.processes import free_port, stop
from shared.infra.crash import ENV_VAR, EXIT_CODE
from tests.faults.harness import RESULTS, DevStack, Summary, check_final_state, simulate

ORDERS = 16  # every simulator story once
ORDERS_PER_MINUTE = 240.0
POINT = "consumer.after_commit"
CONSUMED = "parcelwatch_notifier_messages_consumed_total"


def _replica(stack: DevStack, log: Path, port: int, crash: bool) -> subprocess.Popen[bytes]:
    env = {**stack.client_env(), "NOTIFIER_HTTP_PORT": str(port)}
    if crash:
        env[ENV_VAR] = POINT
    with open(log, "ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "parcelwatch.cli", "run", "notifier"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def test_consumer_after_commit_crash_has_no_duplicate_effect(tmp_path: Path) -> None:
    stack = DevStack(tmp_path / "var")
    stack.start()
    replica: subprocess.Popen[bytes] | None = None
    log = tmp_path / "replica.log"
    port = free_port()
    replica_url = f"http://127.0.0.1:{port}"
    try:
        replica = _replica(stack, log, port, crash=True)
        time.sleep(5)  # let it join the groups before the orders flow
        simulator = simulate(stack, ORDERS, ORDERS_PER_MINUTE)
        code = replica.wait(timeout=180)
        assert code == EXIT_CODE, log.read_text()
        assert f"crash point {POINT} reached" in log.read_text()
        replica = _replica(stack, log, port, crash=False)
        assert simulator.wait(timeout=300) == 0, (stack.var / "simulate.log").read_text()
        asyncio.run(stack.wait_quiet())
        # The replica's sender may have been mid-send when it died: the ambiguous window.
        report = asyncio.run(check_final_state(stack, max_duplicates=8))
        redelivered = sum(
            stack.metric("notifier", CONSUMED, 'outcome="duplicate"', base=base)
            for base in (stack.http("notifier"), replica_url)
        )
        assert redelivered >= 1, "the record the replica died on was never redelivered"
    finally:
        if replica is not None:
            stop(replica, signal.SIGTERM, timeout=40)
        stack.stop()
    RESULTS.append(
        Summary(
            f"crash point {POINT} (notifier)",
            1,
            sum(report.lost.values()),
            report.duplicated,
            report.note,
        )
    )
    assert report.emails > 0
