"""Tunable numbers of the SLA rules; the defaults are the marketplace's published policy."""

from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

BusinessDays = Annotated[int, Field(ge=1, le=60)]
Duration = Annotated[timedelta, Field(ge=timedelta(0))]


class SlaRules(BaseModel):
    """Settings of every SLA rule (DESIGN §1). Immutable; build once at start-up."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    ship_cutoff_hour: Annotated[int, Field(ge=0, le=24)] = 13
    """Confirmed at or after this local hour, an order counts from the next business day."""

    ship_business_days: BusinessDays = 1
    """Business days to ship a normal order; 1 means by the end of day 0."""

    ship_business_days_large: BusinessDays = 2
    """Business days to ship an order that contains a large item."""

    ship_detection_grace: Duration = timedelta(hours=2)
    """Wait after the ship-by deadline for late-arriving scans before declaring a miss."""

    label_created_counts_as_shipped: bool = False
    """Count a label-created scan as shipped (normally only in-transit class scans do)."""

    confirmation_window: Duration = timedelta(minutes=30)
    """An order placed but still unconfirmed this long after is worth a message."""

    delivery_grace: Duration = timedelta(hours=2)
    """Wait after the end of the estimated delivery day before calling a delivery late."""

    stall_business_days: BusinessDays = 3
    """Business days without a new scan after which a parcel in transit is stalled."""

    dispute_documents_business_days: BusinessDays = 3
    """Business days after the expected delivery date to upload the dispute documents."""

    escalate_after: Duration = timedelta(hours=24)
    """A breach still open this long after its last escalation goes one tier up."""
