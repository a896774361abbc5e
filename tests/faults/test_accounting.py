"""The fault suite's accounting (``accounting.py``) and checks, each shown catching what it is
for: a lost, a duplicated and an unexpected item of every part, limits held exactly, a
metric endpoint that does not answer, a consumer that never processed a type.

The self-test runs a real short stack (broker, PostgreSQL, the three services, the
emulator, the capture) on the quick stories with ``make test``'s crash point (the notifier
dies right after the SMTP server accepted a message), checks its accounting (exactly that
message twice, counted ambiguous once), then
deletes one captured e-mail, copies another and hides one ``sla.v1`` event: the accounting
must report exactly that one lost message, that one duplicated message and that one lost
SLA event, by order and kind. Runs in ``make test`` (not gated by ``PARCELWATCH_FAULTS``).
"""

import asyncio
import email
import email.policy
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client import Counter as PromCounter

from parcelwatch.dev.simulator.personas import CUSTOMERS
from parcelwatch.dev.simulator.stories import Story
from parcelwatch.dev.stack.processes import free_port
from services.notifier.context import Recipient
from services.notifier.headers import message_id
from services.notifier.kinds import MessageKind
from services.notifier.routing import dedup_key as routing_dedup_key
from services.notifier.sender import CRASH_POINT as SMTP_ACCEPT
from shared.contracts.events import Audience, SlaKind
from tests.faults.accounting import (
    MAY,
    MUST,
    QUICK_STORIES,
    SLOTS,
    WHO_HEARS,
    Expected,
    Limits,
    Observed,
    account,
    check,
    dedup_key,
    expect,
    expect_simulated,
)
from tests.faults.harness import (
    QUICK_CLOCK_SCALE,
    RESULTS,
    DevStack,
    Summary,
    check_final_state,
    metric_sum,
    simulate,
    unprocessed,
)
from tests.faults.infra_faults import crash_in_place_of, wait_for_rows

DOMAIN = "parcelwatch.invalid"
QUICK = expect_simulated(len(QUICK_STORIES), QUICK_STORIES)


def must(items: dict[tuple[str, ...], Any]) -> set[tuple[str, ...]]:
    return {key for key, certainty in items.items() if certainty is MUST}


# --- the table, read against the docs ------------------------------------------------------


def test_the_quick_stories_call_for_these_messages_events_and_moves() -> None:
    """The rules of docs/emulator.md, docs/sla.md and docs/notifier.md for the quick stories,
    written out: update this list with the rules."""
    on_time, returned, exception, unconfirmed, cancelled = (
        f"sim-{n:06d}-{story}" for n, story in enumerate(QUICK_STORIES)
    )
    trouble = ("customer_carrier_exception", "seller_carrier_exception", "ops_carrier_exception")
    assert must(QUICK.messages) == {
        *((on_time, kind) for kind in ("customer_shipped", "customer_delivered")),
        *((returned, kind) for kind in ("customer_shipped", *trouble)),
        *((exception, kind) for kind in ("customer_shipped", *trouble[1:], "customer_delivered")),
        (unconfirmed, "customer_order_unconfirmed"),
    }
    # The problem e-mail and its follow-up (moving again 22 h later): both or neither.
    assert QUICK.together == [
        ((exception, "customer_carrier_exception"), (exception, "customer_tracking_resumed"))
    ]
    assert must(QUICK.sla) == {
        (on_time, "delivered", "seller"),  # a notice, at the contract's default tier
        (returned, "carrier_exception", "seller"),
        (returned, "carrier_exception", "ops"),  # never resumes: escalated 24 h later
        (exception, "carrier_exception", "seller"),
        (exception, "delivered", "seller"),
        (unconfirmed, "order_unconfirmed", "seller"),
    }
    may = {key for key, certainty in QUICK.sla.items() if certainty is MAY}
    assert (exception, "carrier_exception", "ops") in may  # it resumes 22 h after: may
    assert (on_time, "order_unconfirmed", "seller") in may  # confirmed 1-10 min after: may
    assert (on_time, "ship_promise_missed", "seller") in may  # the first scan: when asked
    assert (on_time, "delivered", "resolved") not in QUICK.sla  # notices never resolve
    assert {key[1] for key in QUICK.messages if key[0] == cancelled} == {
        "customer_order_unconfirmed",  # confirmed 1-10 min after placing: may
        "seller_ship_by_missed",  # cancelled 1 h after: may; the customer's promise: no
    }
    moves = {(k[0], k[2], k[3]) for k in must(QUICK.moves)}
    assert {(m[1], m[2]) for m in moves if m[0] == returned} == {
        ("", "label_created"),
        ("label_created", "in_transit"),
        ("in_transit", "out_for_delivery"),
        ("out_for_delivery", "returned_to_sender"),
    }
    assert len(moves) == 4 + 4 + 5  # on time, returned, exception then delivered


def test_every_story_together_calls_for_every_kind_the_docs_name() -> None:
    """Each message kind and SLA kind is called for by some story (``must`` or ``may``), but
    the two no simulated input can: the out-for-delivery update (off by default) and the
    alert on late documents (the simulator's come a day after the report)."""
    every = expect_simulated(len(Story))
    named = {kind for always, ops in WHO_HEARS.values() for kind in always + ops}
    assert set(MessageKind) - named == {"customer_out_for_delivery", "ops_documents_received"}
    slotted = {SLOTS.get(kind, kind) for kind in named}
    assert {key[1] for key in every.messages} == slotted
    assert {key[1] for key in every.sla if key[2] != "resolved"} == set(SlaKind)
    assert {key[2] for key in every.sla} == {"seller", "ops", "resolved"}


def test_a_move_made_twice_is_two_items() -> None:
    """reattempted goes out_for_delivery → delivery_attempted twice: two events, two items;
    the second lost is named, a copy of the first is a duplicate."""
    orders = {
        k: v for k, v in expect_simulated(len(Story)).orders.items() if k.endswith("reattempted")
    }
    expected = expect(orders)
    first, again = sorted(
        (k for k in must(expected.moves) if k[2:4] == ("out_for_delivery", "delivery_attempted")),
        key=len,
    )
    assert again == (*first, "#2")
    observed = perfect(expected)
    for n, event in enumerate(observed.tracking):
        event["data"]["occurred_at"] = f"2026-01-01T00:{n:02d}:00Z"
    copy = next(e for e in observed.tracking if e["id"] == "/".join(first))
    observed.tracking = [e for e in observed.tracking if e["id"] != "/".join(again)] + [copy]
    report = account(expected, observed, DOMAIN)
    assert report.tracking.lost == [again]
    assert report.tracking.duplicated == {first: 1}


def test_the_dedup_key_is_the_notifiers() -> None:
    """The accounting knows an e-mail by the Message-ID of its dedup key; the notifier's
    key must be the one docs/notifier.md describes."""
    customer = CUSTOMERS[0]
    recipient = Recipient(Audience.CUSTOMER, "en", customer.time_zone, customer.email, "A")
    ours = dedup_key("o-1", "customer_shipped", customer.email)
    assert ours == routing_dedup_key("o-1", MessageKind.CUSTOMER_SHIPPED, recipient)
    assert dedup_key("o-1", "ops_delivery_late", "chat") == routing_dedup_key(
        "o-1", MessageKind.OPS_DELIVERY_LATE, None
    )


# --- each check catches what it is for (mutations of a perfect run) --------------------------


def perfect(expected: Expected) -> Observed:
    """What a perfect run of ``expected`` shows: each MUST item once, no other."""
    emails: Counter[str] = Counter()
    chats: Counter[tuple[str, ...]] = Counter()
    for key in must(expected.messages):
        address = expected.addresses[key]
        if address == "chat":
            chats[key] += 1
        else:
            emails[message_id(dedup_key(key[0], key[1], address), DOMAIN)] += 1
    sla = [
        {
            "id": "/".join(key),
            "type": f"sla.{key[1]}",
            "data": {"order_id": key[0], "severity": key[2]},
        }
        for key in must(expected.sla)
    ]
    tracking = [
        {
            "id": "/".join(key),
            "type": "tracking.status_changed",
            "data": {
                "order_id": key[0],
                "shipment_id": key[1],
                "previous_status": key[2] or None,
                "status": key[3],
            },
        }
        for key in must(expected.moves)
    ]
    return Observed(emails, chats, sla, tracking)


def test_a_perfect_run_is_clean() -> None:
    report = account(QUICK, perfect(QUICK), DOMAIN)
    check(report, Limits())
    assert (report.lost, report.duplicated) == (0, 0)
    assert not any(tally.unexpected for tally in report.parts)


def test_a_missing_chat_message_is_lost() -> None:
    observed = perfect(QUICK)
    key = ("sim-000001-returned", "ops_carrier_exception")
    del observed.chats[key]
    report = account(QUICK, observed, DOMAIN)
    assert report.messages.lost == [key]
    with pytest.raises(AssertionError, match="messages: 1 lost"):
        check(report, Limits())


def test_a_message_nothing_calls_for_is_unexpected_and_named() -> None:
    observed = perfect(QUICK)
    cancelled = QUICK.orders["sim-000004-cancelled"]
    assert cancelled.customer and cancelled.seller
    for kind, address in (
        ("customer_delivery_late", cancelled.customer),  # nothing calls for it
        ("customer_shipped", cancelled.seller),  # a customer's message to the seller
    ):
        observed.emails[message_id(dedup_key(cancelled.order_id, kind, address), DOMAIN)] += 1
    observed.emails["<not-ours@example.invalid>"] += 1
    report = account(QUICK, observed, DOMAIN)
    assert report.messages.unexpected == [
        ("?", "Message-ID <not-ours@example.invalid>"),
        (cancelled.order_id, "customer_delivery_late"),
        (cancelled.order_id, "customer_shipped", "seller"),
    ]
    with pytest.raises(AssertionError, match="messages: 0 lost, 3 unexpected"):
        check(report, Limits())


def test_a_message_twice_counts_as_one_duplicate_and_the_limit_is_exact() -> None:
    observed = perfect(QUICK)
    key = ("sim-000000-on_time", "customer_shipped")
    observed.emails[message_id(dedup_key(*key, QUICK.addresses[key]), DOMAIN)] += 1
    report = account(QUICK, observed, DOMAIN)
    assert report.messages.duplicated == {key: 1}
    check(report, Limits(duplicated=1))
    for wrong in (0, 2):
        with pytest.raises(AssertionError, match=f"1 duplicated, the limit is exactly {wrong}"):
            check(report, Limits(duplicated=wrong))
    check(report, Limits(duplicated=range(0, 2)))
    with pytest.raises(AssertionError, match="1 duplicated, the limit is at most 0"):
        check(report, Limits(duplicated=range(0, 1)))
    observed.emails[message_id(dedup_key(*key, QUICK.addresses[key]), DOMAIN)] += 1
    with pytest.raises(AssertionError, match="one sent three times or more"):
        check(account(QUICK, observed, DOMAIN), Limits(duplicated=2))


def test_copies_of_an_event_id_and_a_lost_move_are_counted() -> None:
    observed = perfect(QUICK)
    observed.sla.append(observed.sla[0])
    gone = observed.tracking.pop()
    report = account(QUICK, observed, DOMAIN)
    data = gone["data"]
    assert report.tracking.lost == [
        (data["order_id"], data["shipment_id"], data["previous_status"] or "", data["status"])
    ]
    assert report.sla.copies == 1
    with pytest.raises(AssertionError, match=r"sla\.v1: an item 2 times, the limit is 1"):
        check(report, Limits(at_risk=frozenset({data["order_id"]})))
    check(report, Limits(republished=1, at_risk=frozenset({data["order_id"]})))
    check(report, Limits(republished=None, at_risk=frozenset({data["order_id"]})))


def test_a_loss_outside_the_orders_at_risk_fails() -> None:
    observed = perfect(QUICK)
    observed.sla = [e for e in observed.sla if e["data"]["order_id"] != "sim-000003-unconfirmed"]
    report = account(QUICK, observed, DOMAIN)
    check(report, Limits(at_risk=frozenset({"sim-000003-unconfirmed"})))
    with pytest.raises(AssertionError, match=r"sla\.v1: 1 lost"):
        check(report, Limits(at_risk=frozenset({"sim-000000-on_time"})))


def test_a_problem_e_mail_and_its_follow_up_are_seen_both_or_neither() -> None:
    """A follow-up withdraws the problem e-mail not sent yet and is then not sent: neither
    is a loss, one without the other is."""
    (problem, follow_up), *_ = QUICK.together
    mids = [_mid(problem), _mid(follow_up)]
    observed = perfect(QUICK)
    assert all(observed.emails[mid] == 0 for mid in mids)  # both may: perfect() leaves them out
    check(account(QUICK, observed, DOMAIN), Limits())
    for seen, lost in ((mids[0], follow_up), (mids[1], problem)):
        observed = perfect(QUICK)
        observed.emails[seen] += 1
        report = account(QUICK, observed, DOMAIN)
        assert report.messages.lost == [lost]
        with pytest.raises(AssertionError, match="messages: 1 lost"):
            check(report, Limits())
    observed.emails[mids[0]] += 1
    check(account(QUICK, observed, DOMAIN), Limits())


def test_a_parcel_lost_after_a_stall_is_not_moving_again() -> None:
    """The lost story stalls (maybe), then the carrier reports it lost: the customer must
    hear of the loss; "moving again" is not called for. Seen in a run: the stall's
    ``sla.resolved`` (new scan: exception) brought "Good news… moving again", which
    withdrew the loss e-mail not sent yet."""
    orders = {k: v for k, v in expect_simulated(len(Story)).orders.items() if k.endswith("-lost")}
    expected = expect(orders)
    (order,) = orders
    assert expected.messages[(order, "customer_carrier_exception")] is MUST
    assert expected.messages[(order, "customer_tracking_stalled")] is MAY
    assert (order, "customer_tracking_resumed") not in expected.messages
    observed = perfect(expected)
    customer = expected.addresses[(order, "customer_carrier_exception")]
    del observed.emails[
        message_id(dedup_key(order, "customer_carrier_exception", customer), DOMAIN)
    ]
    observed.emails[
        message_id(dedup_key(order, "customer_tracking_resumed", customer), DOMAIN)
    ] += 1
    report = account(expected, observed, DOMAIN)
    assert report.messages.lost == [(order, "customer_carrier_exception")]
    assert report.messages.unexpected == [(order, "customer_tracking_resumed")]


def test_may_items_are_neither_lost_nor_unexpected() -> None:
    may = [key for key, certainty in QUICK.messages.items() if certainty is MAY]
    assert may, "the quick stories have timing-dependent messages (a missed ship-by)"
    observed = perfect(QUICK)
    order, kind = may[0]
    observed.emails[message_id(dedup_key(order, kind, QUICK.addresses[(order, kind)]), DOMAIN)] += 1
    check(account(QUICK, observed, DOMAIN), Limits())


def test_unprocessed_names_a_type_a_consumer_never_processed() -> None:
    """The old check took the types a consumer handles from what it did process: losing
    every event of one type passed. The types are fixed now (``HANDLES``)."""
    events = [{"id": "a", "type": "sla.delivery_late"}, {"id": "b", "type": "sla.ship_by_missed"}]
    types = frozenset({"sla.delivery_late", "sla.ship_by_missed"})
    assert unprocessed(events, {"a"}, types) == ["b"]
    assert unprocessed(events, {"a", "b"}, types) == []


@pytest.fixture
def metrics_endpoint() -> Iterator[str]:
    registry = CollectorRegistry()
    PromCounter("demo_sends", "Sends.", ["outcome"], registry=registry).labels("ok").inc(3)
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    try:
        yield f"http://127.0.0.1:{port}/metrics"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_metric_read_fails_loudly(metrics_endpoint: str) -> None:
    assert metric_sum(metrics_endpoint, "demo_sends_total", 'outcome="ok"') == 3.0
    assert metric_sum(metrics_endpoint, "demo_sends_total", 'outcome="no"') == 0.0  # declared
    with pytest.raises(AssertionError, match="declares no metric demo_sent_total"):
        metric_sum(metrics_endpoint, "demo_sent_total")
    dead = f"http://127.0.0.1:{free_port()}/metrics"
    with pytest.raises(AssertionError, match="did not answer"):
        metric_sum(dead, "demo_sends_total")


def test_the_ambiguous_count_sums_every_notifier_process(tmp_path: Path) -> None:
    """A counter dies with its process: the count is the sum of the log lines that go with
    each increment, over the stack's notifier log (restarts append to it) and replicas'."""
    line = '{"message": "sending again messages a stopped sender may have delivered: %d"}\n'
    (tmp_path / "log").mkdir()
    (tmp_path / "log" / "notifier.log").write_text(line % 2 + '{"message": "other"}\n' + line % 1)
    (tmp_path / "replica.log").write_text(line % 3)
    stack = DevStack(tmp_path)
    assert stack.ambiguous_sends() == 3
    stack.replica_logs.append(tmp_path / "replica.log")
    assert stack.ambiguous_sends() == 6


# --- the self-test on a real run -------------------------------------------------------------


def _mid(key: tuple[str, ...]) -> str:
    """The Message-ID of the quick stories' message ``key`` (order, kind)."""
    return message_id(dedup_key(key[0], key[1], QUICK.addresses[key]), DOMAIN)


def _eml(folder: Path, mid: str) -> Path:
    for path in folder.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if str(message["Message-ID"]).strip() == mid:
            return path
    raise AssertionError(f"no captured e-mail {mid}")


def test_the_accounting_of_a_real_run_names_one_lost_and_one_duplicated(tmp_path: Path) -> None:
    """The real run is also ``make test``'s process deaths: ``kill -9`` of the poller and
    of the sla service once each while orders flow (``dev up`` restarts them: each item on
    ``tracking.v1`` / ``sla.v1`` at most once more), then the crash point: the notifier is
    replaced by a replica sending one message at a time that dies right after the SMTP
    server accepted one (``notifier.after_smtp_accept``): exactly that message twice,
    counted ambiguous once. ``make test-faults`` has the other crash points
    (``test_crash_points.py``) and 20 kills per service (``test_kill_services.py``)."""
    stack = DevStack(tmp_path / "var", clock_scale=QUICK_CLOCK_SCALE)
    stack.start()
    try:
        simulator = simulate(stack, len(QUICK_STORIES), 240.0, QUICK_STORIES)
        # The kills land as the first parcels are registered: an sla service down or behind
        # across the 22 emulated hours (2 s here) of exception_then_delivered's exception
        # never sees it (docs/faults.md, "Runs with the accounting").
        wait_for_rows(stack, "SELECT count(*) FROM poller.inbox")
        for service in ("sla", "poller"):
            stack.kill(service, timeout=90)
        wait_for_rows(stack, "SELECT count(*) FROM notifier.inbox")
        one_at_a_time = {"NOTIFIER_SEND_BATCH_SIZE": "1", "NOTIFIER_SEND_CONCURRENCY": "1"}
        crash_in_place_of(stack, "notifier", SMTP_ACCEPT, tmp_path / "replica.log", one_at_a_time)
        assert simulator.wait(timeout=120) == 0, (stack.var / "simulate.log").read_text()
        # Duplicated messages: exactly the ambiguous count; topics: one copy per kill at most.
        final = asyncio.run(check_final_state(stack, QUICK, republished=1))
        counted = stack.metric("notifier", "parcelwatch_notifier_ambiguous_sends_total")
        assert final.ambiguous == counted == 1, (final.ambiguous, counted)
        crashed = final.report.messages.duplicated
        assert sum(crashed.values()) == 1, crashed
        for service, tally in final.report.by_service().items():
            fault = f"crash point {SMTP_ACCEPT}" if service == "notifier" else f"kill -9 {service}"
            note = final.note if service == "notifier" else f"{tally.part}: {tally.observed} seen"
            RESULTS.append(Summary(fault, 1, len(tally.lost), tally.copies, note))

        # Then the self-test: one e-mail deleted, another copied, one sla.v1 event hidden.
        emails = sorted(
            key
            for key in must(QUICK.messages)
            if QUICK.addresses[key] != "chat" and key not in crashed
        )
        lost, twice = emails[0], emails[-1]
        hidden = ("sim-000002-exception_then_delivered", "carrier_exception", "seller")
        folder = stack.mail_folder
        _eml(folder, _mid(lost)).unlink()
        original = _eml(folder, _mid(twice))
        shutil.copy(original, original.with_name("copy-" + original.name))
        observed = asyncio.run(stack.observe())
    finally:
        stack.stop()
    observed.sla = [
        e
        for e in observed.sla
        if (e["data"]["order_id"], e["type"], e["data"].get("severity"))
        != (hidden[0], f"sla.{hidden[1]}", hidden[2])
    ]
    report = account(QUICK, observed, DOMAIN)
    print(report.text())
    assert report.messages.lost == [lost]
    assert report.messages.duplicated == {**crashed, twice: 1}
    assert report.sla.lost == [hidden]
    assert report.tracking.lost == []
    for part in ("sla", "tracking"):  # the kills' copies, if any, as they were
        assert getattr(report, part).duplicated == getattr(final.report, part).duplicated
    assert not any(tally.unexpected for tally in report.parts)
    assert (report.lost, report.messages.copies) == (2, 2)
    with pytest.raises(AssertionError, match="messages: 1 lost") as failed:
        check(report, Limits(duplicated=1))
    assert f"lost {' '.join(lost)}" in str(failed.value)
    assert f"duplicated {' '.join(twice)} (+1)" in str(failed.value)
    assert "messages: 2 duplicated, the limit is exactly 1" in str(failed.value)
    assert "lost sim-000002-exception_then_delivered carrier_exception seller" in str(failed.value)
