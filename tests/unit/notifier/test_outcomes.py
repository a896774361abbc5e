from datetime import UTC, datetime

from services.notifier import outcomes
from services.notifier.kinds import MessageKind

AT = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
KEY = "ord-1/customer_shipped/0123456789abcdef"


def test_sent_and_failed_events_have_ids_derived_from_the_dedup_key() -> None:
    first = outcomes.sent(
        MessageKind.CUSTOMER_SHIPPED,
        KEY,
        order_id="ord-1",
        trigger_id="evt-1",
        message_id="<m@x>",
        at=AT,
    )
    again = outcomes.sent(
        MessageKind.CUSTOMER_SHIPPED,
        KEY,
        order_id="ord-1",
        trigger_id="evt-1",
        message_id="<m@x>",
        at=AT,
    )
    failed = outcomes.failed(
        MessageKind.CUSTOMER_SHIPPED,
        KEY,
        order_id="ord-1",
        trigger_id="evt-1",
        error="550 refused",
        permanent=True,
        at=AT,
    )
    assert first.id == again.id == f"{outcomes.notification_id(KEY)}.sent"
    assert failed.id == f"{outcomes.notification_id(KEY)}.failed"
    assert first.data.audience == "customer" and first.data.channel == "email"
    assert first.subject == "ord-1"


def test_the_public_notification_id_does_not_contain_the_dedup_key() -> None:
    nid = outcomes.notification_id(KEY)
    assert len(nid) == 32 and "ord-1" not in nid


def test_a_trigger_id_outside_the_identifier_alphabet_is_hashed() -> None:
    event = outcomes.failed(
        MessageKind.OPS_CARRIER_EXCEPTION,
        "ord-1/ops_carrier_exception/chat",
        order_id="ord-1",
        trigger_id="id with spaces/and slashes",
        error="x" * 5000,
        permanent=False,
        at=AT,
    )
    assert event.data.trigger_event_id.startswith("sha256:")
    assert len(event.data.error) == 1000
    assert event.data.channel == "chat"
