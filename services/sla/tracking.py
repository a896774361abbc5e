"""Tracking state of a shipment derived from its whole scan history.

Scans are replayed in the order they occurred; a status replaces the current one only
when :func:`shared.contracts.statuses.advances` allows it, so a late or out-of-order
scan never moves a parcel backwards.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.sla.rules import SlaRules
from shared.contracts.statuses import TrackingStatus, advances, is_shipped


class Scan(Protocol):
    """What the rules read of a scan; :class:`~shared.contracts.events.TrackingEvent` fits."""

    @property
    def status(self) -> TrackingStatus: ...

    @property
    def occurred_at(self) -> datetime | None: ...

    @property
    def observed_at(self) -> datetime: ...


def scan_time(scan: Scan) -> datetime:
    """When the scan happened: the carrier's time, else when the poller first saw it."""
    return scan.occurred_at or scan.observed_at


@dataclass(frozen=True, slots=True)
class TrackingState:
    """Derived status of one shipment; all ``None`` before its first scan."""

    status: TrackingStatus | None
    since: datetime | None
    """When the scan that set ``status`` happened."""
    last_scan_at: datetime | None
    """When the most recent scan happened (the stall clock starts there)."""


def derive_state(scans: Iterable[Scan]) -> TrackingState:
    """Replay ``scans`` in occurrence order (ties keep their given order)."""
    status: TrackingStatus | None = None
    since: datetime | None = None
    last_scan_at: datetime | None = None
    for scan in sorted(scans, key=scan_time):
        last_scan_at = scan_time(scan)
        if scan.status is not status and advances(status, scan.status):
            status, since = scan.status, last_scan_at
    return TrackingState(status, since, last_scan_at)


def first_shipped_at(scans: Iterable[Scan], rules: SlaRules) -> datetime | None:
    """When the carrier first had the parcel: the earliest in-transit class scan or later."""
    times = [
        scan_time(scan)
        for scan in scans
        if is_shipped(scan.status)
        or (rules.label_created_counts_as_shipped and scan.status is TrackingStatus.LABEL_CREATED)
    ]
    return min(times, default=None)


class DescribedScan(Scan, Protocol):
    """A scan with the carrier's text."""

    @property
    def description(self) -> str: ...


def status_description(scans: Iterable[DescribedScan], status: TrackingStatus | None) -> str | None:
    """The carrier's text of the most recent scan with ``status`` (the derived status)."""
    matching = [scan for scan in scans if scan.status is status]
    return max(matching, key=scan_time).description if matching else None
