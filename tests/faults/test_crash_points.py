"""Named crash points (``PARCELWATCH_CRASH_POINT``) against the whole stack, each with its
documented outcome, checked by the accounting (``check_final_state``):

- ``notifier.after_smtp_accept`` (after the server accepted a message, before the
  notifier recorded it): the message is sent once more, and counted. The replica that
  crashes sends one message at a time (``NOTIFIER_SEND_BATCH_SIZE`` and
  ``NOTIFIER_SEND_CONCURRENCY`` 1), so exactly one row is mid-send when it dies: exactly one
  duplicate, exactly one counted ambiguous (``make test``: the run of the accounting's
  self-test, ``test_accounting.py``, on the quick stories);
- ``consumer.after_commit`` (after the database commit, before the offset commit): a
  notifier replica joins the stack's groups and dies there; the record is redelivered and
  the inbox makes it a no-op. Its sender may die mid-send too, before or after the server
  accepted: duplicates at most the ambiguous count;
- ``outbox.after_publish`` (after the broker acknowledged a batch, before it is marked):
  the poller's relay dies there; the restarted relay publishes the batch again (each event
  id on ``tracking.v1`` at most once more), the consumers' inboxes drop the copies.

The outbox relay and the sender act only in the process that holds the schema's leader
lock (or the row): for those two points the stack's own service is stopped (SIGTERM: it
finishes what it started) while the supervisor is paused, and a replica with the crash
point takes its place; once it has died, the supervisor restarts the stack's service
without the variable.
"""

import asyncio
import subprocess
from pathlib import Path

import pytest

from shared.contracts import topics
from shared.infra.crash import ENV_VAR, EXIT_CODE
from tests.faults.accounting import Expected, expect_simulated
from tests.faults.harness import (
    RESULTS,
    DevStack,
    FinalState,
    Summary,
    check_final_state,
    simulate,
)
from tests.faults.infra_faults import crash_in_place_of, wait_for, wait_for_rows

ORDERS = 16  # the first 16 simulator stories (of 20) once
ORDERS_PER_MINUTE = 240.0
AMBIGUOUS = "parcelwatch_notifier_ambiguous_sends_total"


def _consumed(stack: DevStack, service: str, topic: str, outcome: str) -> float:
    return stack.metric(
        service,
        f"parcelwatch_{service}_messages_consumed_total",
        labels=(f'topic="{stack.topic(topic)}"', f'outcome="{outcome}"'),
    )


def _finish(
    stack: DevStack,
    simulator: subprocess.Popen[bytes],
    expected: Expected,
    *,
    exact: bool = True,
    republished: int = 0,
) -> FinalState:
    assert simulator.wait(timeout=300) == 0, (stack.var / "simulate.log").read_text()
    return asyncio.run(check_final_state(stack, expected, exact=exact, republished=republished))


@pytest.mark.long
def test_consumer_after_commit_crash_has_no_duplicate_effect(tmp_path: Path) -> None:
    point = "consumer.after_commit"
    expected = expect_simulated(ORDERS)
    stack = DevStack(tmp_path / "var")
    stack.start()
    log = tmp_path / "replica.log"
    try:
        env = stack.service_env("notifier")
        replica, replica_url = stack.replica("notifier", log, {**env, ENV_VAR: point})
        wait_for("the replica started", lambda: "service started" in log.read_text(), 90)
        simulator = simulate(stack, ORDERS, ORDERS_PER_MINUTE)
        code = replica.wait(timeout=180)
        assert code == EXIT_CODE, log.read_text()
        assert f"crash point {point} reached" in log.read_text()
        replica, replica_url = stack.replica("notifier", log, env)
        # The replica's sender may have been mid-send when it died: the ambiguous window.
        final = _finish(stack, simulator, expected, exact=False)
        redelivered = sum(
            stack.metric(
                "notifier",
                "parcelwatch_notifier_messages_consumed_total",
                'outcome="duplicate"',
                base=base,
            )
            for base in (stack.http("notifier"), replica_url)
        )
    finally:
        stack.stop()  # the replica too
    assert redelivered >= 1, "the record the replica died on was never redelivered"
    RESULTS.append(
        Summary(
            f"crash point {point} (notifier)",
            1,
            final.report.lost,
            final.report.duplicated,
            f"{final.note}, {redelivered:.0f} redelivered dropped",
        )
    )


@pytest.mark.long
def test_outbox_after_publish_crash_republishes_without_duplicate_effect(tmp_path: Path) -> None:
    point = "outbox.after_publish"
    expected = expect_simulated(ORDERS)
    stack = DevStack(tmp_path / "var")
    stack.start()
    try:
        simulator = simulate(stack, ORDERS, ORDERS_PER_MINUTE)
        wait_for_rows(stack, "SELECT count(*) FROM poller.inbox")
        crash_in_place_of(stack, "poller", point, tmp_path / "replica.log")
        final = _finish(stack, simulator, expected, republished=1)
        # sla and notifier ran throughout: their counters saw every copy.
        dropped = sum(
            _consumed(stack, name, topics.TRACKING, "duplicate") for name in ("sla", "notifier")
        )
    finally:
        stack.stop()
    copies = final.report.tracking.copies
    assert copies >= 1, "the batch the relay died on was not republished"
    assert dropped >= 1, "no consumer saw the republished batch as a duplicate"
    RESULTS.append(
        Summary(
            f"crash point {point} (poller)",
            1,
            final.report.lost,
            final.report.duplicated,
            f"{copies} tracking.v1 copies, {dropped:.0f} dropped by inboxes; {final.note}",
        )
    )
