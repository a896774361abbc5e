"""What an SLA rule is: the context it reads at an instant, the situation it watches, the
event it says and what clears it."""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.sla.assessment.facts import DisputeFacts, OrderDetails, OrderFacts, ShipmentFacts
from services.sla.assessment.verdict import Breach, DeliveryWindow, DisputeDeadline
from services.sla.calendar import BusinessCalendar
from services.sla.deadlines import (
    customer_ship_promise,
    dispute_documents_deadline,
    expected_delivery_date,
    ship_by_deadline,
)
from services.sla.rules import SlaRules
from shared.contracts.events import EventData, Severity, SlaKind
from shared.contracts.statuses import TrackingStatus


@dataclass(frozen=True)
class Context:
    """What every rule reads: the order's facts at ``now``, its zones and its deadlines."""

    facts: OrderFacts
    details: OrderDetails
    now: datetime
    rules: SlaRules
    calendar: BusinessCalendar
    seller_zone: ZoneInfo
    customer_zone: ZoneInfo
    ship_by_deadline: datetime | None
    ship_promise: datetime | None

    @classmethod
    def of(
        cls,
        facts: OrderFacts,
        details: OrderDetails,
        now: datetime,
        rules: SlaRules,
        calendar: BusinessCalendar,
    ) -> "Context":
        """What the rules read of ``facts`` at ``now``: the seller's and the customer's time
        zones, and the seller's deadline and the customer's promise once confirmed."""
        seller_zone = ZoneInfo(details.seller_time_zone)
        confirmed_at = facts.confirmed_at
        return cls(
            facts=facts,
            details=details,
            now=now,
            rules=rules,
            calendar=calendar,
            seller_zone=seller_zone,
            customer_zone=ZoneInfo(details.customer_time_zone),
            ship_by_deadline=None
            if confirmed_at is None
            else ship_by_deadline(
                confirmed_at, large=details.large, calendar=calendar, zone=seller_zone, rules=rules
            ),
            ship_promise=None
            if confirmed_at is None
            else customer_ship_promise(
                confirmed_at, large=details.large, calendar=calendar, zone=seller_zone, rules=rules
            ),
        )

    def shipment(self, shipment_id: str | None) -> ShipmentFacts | None:
        return next((s for s in self.facts.shipments if s.shipment_id == shipment_id), None)

    def dispute(self, case_id: str | None) -> DisputeFacts | None:
        return next((d for d in self.facts.disputes if d.case_id == case_id), None)

    @property
    def shipped_at(self) -> datetime | None:
        """When the carrier first had any parcel of the order."""
        return min((s.shipped_at for s in self.facts.shipments if s.shipped_at), default=None)

    def common(self, severity: Severity) -> dict[str, Any]:
        return {
            "order_id": self.facts.order_id,
            "seller_id": self.details.seller_id,
            "detected_at": self.now,
            "severity": severity,
        }

    def parcel(self, shipment: ShipmentFacts, severity: Severity) -> dict[str, Any]:
        return {
            **self.common(severity),
            "shipment_id": shipment.shipment_id,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "latest_status": shipment.status or TrackingStatus.UNKNOWN,
            "latest_description": shipment.status_description,
            "latest_scan_at": shipment.last_scan_at,
        }

    def documents_deadline(self, dispute: DisputeFacts) -> DisputeDeadline | None:
        """The case's fixed deadline, or the one it gets if accepted now: the window
        announced with the delivery, else one computed from the shipment now."""
        if dispute.documents_deadline is not None and dispute.expected_delivery is not None:
            return DisputeDeadline(
                dispute.case_id, dispute.expected_delivery, dispute.documents_deadline
            )
        shipment = self.shipment(dispute.shipment_id)
        if shipment is None or shipment.status is not TrackingStatus.DELIVERED:
            return None
        window = shipment.window or self.delivery_window(shipment)
        return DisputeDeadline(dispute.case_id, window.expected_delivery, window.deadline)

    def delivery_window(self, shipment: ShipmentFacts) -> DeliveryWindow:
        """The documents window of a delivered shipment, computed now."""
        expected = expected_delivery_date(
            shipment.estimated_delivery, shipment.delivery_time, self.customer_zone
        )
        deadline = dispute_documents_deadline(
            expected, calendar=self.calendar, zone=self.seller_zone, rules=self.rules
        )
        return DeliveryWindow(shipment.shipment_id, expected, deadline)


@dataclass(frozen=True, slots=True)
class Watch:
    """A situation that becomes a breach at ``due_at`` (now or later)."""

    due_at: datetime
    subject: str | None = None


class Rule(ABC):
    """One SLA kind: when it breaches, what its event says, what clears it."""

    kind: SlaKind

    @abstractmethod
    def watch(self, ctx: Context) -> Watch | None:
        """The situation to watch while no breach of this kind was raised."""

    @abstractmethod
    def event(self, ctx: Context, subject: str | None, severity: Severity) -> EventData:
        """The breach event about ``subject`` at tier ``severity``."""

    @abstractmethod
    def cleared(self, ctx: Context, breach: Breach) -> str | None:
        """Why the open ``breach`` no longer holds, or ``None`` while it does."""
