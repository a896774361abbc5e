"""Notices, not breaches: a delivery announced (with the documents window it fixes) and a
dispute's documents all received."""

from services.sla.assessment.dispute_rules import accepted_case, dispute_payload, missing_documents
from services.sla.assessment.rule import Context
from services.sla.assessment.verdict import DeliveryWindow, Emission, notice_event_id
from shared.contracts.events import Severity, SlaDelivered, SlaDisputeDocumentsReceived, SlaKind
from shared.contracts.statuses import TrackingStatus


def delivery_windows(ctx: Context) -> list[DeliveryWindow]:
    """The documents windows to fix now: delivered shipments whose delivery was reported."""
    return [
        ctx.delivery_window(shipment)
        for shipment in ctx.facts.shipments
        if shipment.status is TrackingStatus.DELIVERED
        and shipment.delivery_reported
        and shipment.window is None
        and shipment.delivery_time is not None
    ]


def delivered_notices(ctx: Context, windows: list[DeliveryWindow]) -> list[Emission]:
    """``sla.delivered`` for each window fixed now, unless the customer already reported
    a dispute (the dispute's messages then say more than the notice would)."""
    if any(dispute.reported_at is not None for dispute in ctx.facts.disputes):
        return []
    notices = []
    for window in windows:
        shipment = ctx.shipment(window.shipment_id)
        assert shipment is not None and shipment.delivery_time is not None
        data = SlaDelivered(
            **ctx.common(Severity.SELLER),
            shipment_id=shipment.shipment_id,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            delivered_at=shipment.delivery_time,
            delivery_description=shipment.status_description,
            signed_by=shipment.signed_by,
            expected_delivery=window.expected_delivery,
            documents_due=window.deadline,
        )
        event_id = notice_event_id(ctx.facts.order_id, SlaKind.DELIVERED, shipment.shipment_id)
        notices.append(
            Emission(
                event_id, data, SlaKind.DELIVERED, None, notice=True, subject=shipment.shipment_id
            )
        )
    return notices


def documents_received(ctx: Context) -> Emission | None:
    """``sla.dispute_documents_received`` once every document of the open case is in."""
    accepted = accepted_case(ctx)
    if accepted is None or accepted.dispute.documents_noticed:
        return None
    case_id = accepted.dispute.case_id
    if missing_documents(ctx, case_id):
        return None
    late = accepted.late_report(ctx) or SlaKind.DISPUTE_DOCUMENTS_OVERDUE in ctx.facts.breaches
    data = SlaDisputeDocumentsReceived(**dispute_payload(ctx, case_id, Severity.SELLER), late=late)
    event_id = notice_event_id(ctx.facts.order_id, SlaKind.DISPUTE_DOCUMENTS_RECEIVED, case_id)
    return Emission(
        event_id, data, SlaKind.DISPUTE_DOCUMENTS_RECEIVED, None, notice=True, subject=case_id
    )
