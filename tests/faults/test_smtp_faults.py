"""SMTP faults on a whole stack: the notifier sends to a misbehaving server (``SMTP_HOST`` /
``SMTP_PORT``) while the simulator runs. Sellers' addresses are refused (550), some
customers are greylisted (451 on a message's first attempt) and the others' server keeps
a message's first copy and closes the connection without replying.

- 451 then 250: one delivery per message, on the second attempt, one ``notification.sent``;
- 550: ``failed`` after one attempt (one ``RCPT`` per message), one ``notification.failed``
  with ``permanent: true``, never retried;
- closed after DATA without a reply: the client cannot know the message arrived, so it
  is a lost connection (transient, ``send_retries_total{reason="smtp_connection"}``) and
  is sent again with the same Message-ID: the server holds it exactly twice, the row is
  ``sent`` after two attempts and one ``notification.sent`` is published.

The accounting (``accounting.py``, what the server stored and the chat sink against what
the inputs call for, sellers' messages left out: refused by design): nothing lost, nothing
unexpected, duplicates exactly the ``smtp_connection`` retries the notifier counted.
"""

import asyncio
import dataclasses
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from parcelwatch.dev.simulator.personas import CUSTOMERS, SELLERS
from services.notifier.headers import message_id
from services.notifier.outcomes import notification_id
from shared.contracts import topics
from tests.faults.accounting import Limits, Report, account, check, expect_simulated
from tests.faults.harness import RESULTS, DevStack, Summary, simulate
from tests.faults.smtp_server import Behaviour, misbehaving_smtp

ORDERS = 16  # the first 16 simulator stories (of 20) once
ORDERS_PER_MINUTE = 240.0
REFUSED = {seller.email for seller in SELLERS}
GREYLISTED = {customer.email for customer in CUSTOMERS[::2]}
METRIC = "parcelwatch_notifier_send_retries_total"


def rule(address: str) -> Behaviour:
    if address in REFUSED:
        return Behaviour.REJECT
    if address in GREYLISTED:
        return Behaviour.TEMPFAIL_ONCE
    return Behaviour.DROP_ONCE


QUERY = """
SELECT n.dedup_key, n.kind, n.state, n.attempts, n.last_error,
       o.info -> (CASE WHEN n.kind LIKE 'seller_%' THEN 'seller' ELSE 'customer' END)
              ->> 'email' AS address
FROM notifier.notifications n JOIN notifier.orders o USING (order_id)
WHERE n.kind NOT LIKE 'ops_%'
"""


@pytest.mark.long
def test_smtp_faults_deliver_once_fail_for_good_or_resend_once(tmp_path: Path) -> None:
    everything = expect_simulated(ORDERS)
    expected = dataclasses.replace(
        everything,
        messages={
            key: certainty
            for key, certainty in everything.messages.items()
            if everything.addresses[key] not in REFUSED
        },
    )
    with misbehaving_smtp(rule) as (server, port):
        stack = DevStack(
            tmp_path / "var", extra_env={"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port)}
        )
        stack.start()
        try:
            simulator = simulate(stack, ORDERS, ORDERS_PER_MINUTE)
            assert simulator.wait(timeout=300) == 0, (stack.var / "simulate.log").read_text()
            observed = asyncio.run(stack.settle(expected, emails=lambda: server.counts()[2]))
            rows = [dict(r) for r in asyncio.run(stack.fetch(QUERY))]
            published = asyncio.run(stack.events_on(topics.NOTIFICATIONS))
            retried = {
                reason: stack.metric("notifier", METRIC, f'reason="{reason}"')
                for reason in ("smtp_reply_4xx", "smtp_connection")
            }
            ambiguous = stack.metric("notifier", "parcelwatch_notifier_ambiguous_sends_total")
        finally:
            stack.stop()
    report = account(expected, observed, stack.message_id_domain)
    print(report.text())
    check(report, Limits(duplicated=int(retried["smtp_connection"])))
    rcpt, data, stored = server.counts()
    outcomes = Counter(event["id"] for event in published)
    failures = {e["id"]: e["data"] for e in published if e["type"] == "notification.failed"}
    domain = stack.env.get("NOTIFIER_MESSAGE_ID_DOMAIN", "parcelwatch.invalid")
    by_behaviour: dict[Behaviour, list[dict[str, Any]]] = {b: [] for b in Behaviour}
    for row in rows:
        row["message_id"] = message_id(row["dedup_key"], domain)
        row["nid"] = notification_id(row["dedup_key"])
        by_behaviour[rule(row["address"])].append(row)
    for behaviour in (Behaviour.REJECT, Behaviour.TEMPFAIL_ONCE, Behaviour.DROP_ONCE):
        assert by_behaviour[behaviour], f"the run sent no message to test {behaviour}"

    # 550: refused at RCPT once per message, failed for good, one notification.failed.
    refused = by_behaviour[Behaviour.REJECT]
    per_address = Counter(r["address"] for r in refused)
    tried = {address: rcpt[address] for address in REFUSED if rcpt[address]}
    assert tried == dict(per_address), "a refused message was tried again"
    for row in refused:
        assert (row["state"], row["attempts"]) == ("failed", 1), row
        assert row["message_id"] not in stored
        assert outcomes[f"{row['nid']}.failed"] == 1 and not outcomes[f"{row['nid']}.sent"], row
        assert failures[f"{row['nid']}.failed"]["permanent"] is True
        assert "550" in failures[f"{row['nid']}.failed"]["error"]
    summary = [
        Summary(
            "SMTP 550 on RCPT",
            len(refused),
            sum(1 for r in refused if not outcomes[f"{r['nid']}.failed"]),
            sum(rcpt[a] for a in REFUSED) - len(refused),
            "failed at once, one permanent notification.failed each",
        )
    ]

    # 451 then 250: one delivery each, on the second attempt.
    greylisted = by_behaviour[Behaviour.TEMPFAIL_ONCE]
    for row in greylisted:
        assert (row["state"], row["attempts"]) == ("sent", 2), row
        assert (data[row["message_id"]], stored[row["message_id"]]) == (2, 1), row
        assert outcomes[f"{row['nid']}.sent"] == 1 and not outcomes[f"{row['nid']}.failed"], row
    assert retried["smtp_reply_4xx"] >= len(greylisted)
    lost, copies = _by_behaviour(report, expected.addresses)
    summary.append(
        Summary(
            "SMTP 451 then 250",
            len(greylisted),
            lost[Behaviour.TEMPFAIL_ONCE],
            copies[Behaviour.TEMPFAIL_ONCE],
            "one delivery each, on the second attempt",
        )
    )

    # Connection closed after DATA, no reply: sent again, held twice, marked sent once.
    dropped = by_behaviour[Behaviour.DROP_ONCE]
    for row in dropped:
        assert (row["state"], row["attempts"]) == ("sent", 2), row
        assert (data[row["message_id"]], stored[row["message_id"]]) == (2, 2), row
        assert outcomes[f"{row['nid']}.sent"] == 1 and not outcomes[f"{row['nid']}.failed"], row
    assert retried["smtp_connection"] >= len(dropped)
    summary.append(
        Summary(
            "SMTP closed after DATA, no reply",
            len(dropped),
            lost[Behaviour.DROP_ONCE],
            copies[Behaviour.DROP_ONCE],
            f"ambiguous: each resent once (same Message-ID); "
            f"smtp_connection retries {retried['smtp_connection']:g}, "
            f"ambiguous_sends_total {ambiguous:g}",
        )
    )
    RESULTS.extend(summary)


def _by_behaviour(
    report: Report, addresses: dict[tuple[str, ...], str]
) -> tuple[Counter[Behaviour], Counter[Behaviour]]:
    """Lost and duplicated e-mails of the accounting, by the server's behaviour."""
    lost: Counter[Behaviour] = Counter()
    copies: Counter[Behaviour] = Counter()
    for key in report.messages.lost:
        if addresses[key] != "chat":
            lost[rule(addresses[key])] += 1
    for key, extra in report.messages.duplicated.items():
        if addresses.get(key, "chat") != "chat":
            copies[rule(addresses[key])] += extra
    return lost, copies
