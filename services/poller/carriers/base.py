"""Carrier-independent results of parsing a tracking response and of calling a carrier.

Everything here is pure data. A carrier folder maps its own JSON onto these types;
the poller only ever sees these.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from services.poller.carriers import timestamps
from services.poller.carriers.timestamps import Stamp
from shared.contracts.common import Location
from shared.contracts.statuses import TrackingStatus, advances


class ProblemCode(StrEnum):
    """What went wrong while reading a response; the poller counts these in a metric."""

    NOT_FOUND = "not_found"
    INVALID_NUMBER = "invalid_number"
    UNMAPPED_CODE = "unmapped_code"
    NAIVE_TIME = "naive_time"
    UNPARSEABLE_TIME = "unparseable_time"
    DUPLICATE_RESULTS = "duplicate_results"
    CARRIER_ERROR = "carrier_error"


class FailureReason(StrEnum):
    """Why a call failed, finer than its failure type; the poller counts these in a metric."""

    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    DEADLINE = "deadline"
    CONNECTION = "connection"
    AUTH = "auth"
    TOO_LARGE = "too_large"
    NOT_JSON = "not_json"
    UNKNOWN_ERROR = "unknown_error"
    MALFORMED = "malformed"


@dataclass(frozen=True, slots=True)
class Problem:
    """A problem found in a response, kept as data beside the result."""

    code: ProblemCode
    detail: str


@dataclass(frozen=True, slots=True)
class Scan:
    """One carrier event, normalized, with the carrier's own code and text kept beside it.

    ``occurred_at`` is aware UTC when the carrier gave an offset or a UTC time; otherwise it
    is None and ``occurred_at_local`` holds the naive local wall time (zone unknown).
    """

    status: TrackingStatus
    carrier_code: str
    description: str
    occurred_at: datetime | None = None
    occurred_at_local: str | None = None
    location: Location | None = None
    delayed: bool = False

    def __post_init__(self) -> None:
        if self.occurred_at is not None and self.occurred_at.utcoffset() != timedelta(0):
            raise ValueError("occurred_at must be aware UTC")


@dataclass(frozen=True, slots=True)
class ParsedShipment:
    """Everything a carrier said about one tracking number; events newest first."""

    carrier: str
    tracking_number: str
    status: TrackingStatus
    estimated_delivery: date | None = None
    delivered_at: datetime | None = None
    delivered_at_local: str | None = None
    signed_by: str | None = None
    events: tuple[Scan, ...] = ()
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class NotFound:
    """The carrier does not know the number (yet): keep polling."""

    tracking_number: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class InvalidNumber:
    """The carrier rejects the number itself: stop polling it."""

    tracking_number: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class AuthFailed:
    """Credentials refused (after one token refresh where the carrier uses OAuth)."""

    detail: str


@dataclass(frozen=True, slots=True)
class RateLimited:
    """Over quota; ``retry_after`` in seconds when the carrier said so."""

    detail: str
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class CarrierDown:
    """5xx, timeout or connection failure: retriable (``retry_after`` when the carrier said)."""

    detail: str
    retry_after: float | None = None
    reason: FailureReason = FailureReason.SERVER_ERROR


@dataclass(frozen=True, slots=True)
class Malformed:
    """A body that is not a tracking response of that carrier (too large, not JSON, an
    unknown error code, or JSON of another shape)."""

    detail: str
    reason: FailureReason = FailureReason.MALFORMED


NumberOutcome = ParsedShipment | NotFound | InvalidNumber
"""What a response says about one tracking number."""

CallFailure = AuthFailed | RateLimited | CarrierDown | Malformed
"""A failure of the whole call, for every number it carried."""

ParseResult = list[NumberOutcome] | CallFailure
TrackOutcome = NumberOutcome | CallFailure

Parser = Callable[[object, Sequence[str]], ParseResult]
"""``parse(body, requested_numbers)``: pure; numbers fill in where the body has none."""


@dataclass(frozen=True)
class ErrorCodes:
    """A carrier's error codes, by the outcome each means."""

    carrier: str
    not_found: frozenset[str] = frozenset()
    invalid_number: frozenset[str] = frozenset()
    auth: frozenset[str] = frozenset()
    rate_limited: frozenset[str] = frozenset()
    transient: frozenset[str] = frozenset()

    def classify(self, codes: Iterable[str], detail: str, requested: Sequence[str]) -> ParseResult:
        """The outcome of an error body carrying ``codes``; a per-number outcome applies
        to every requested number."""
        found = set(codes)
        numbers: Sequence[str | None] = requested or [None]
        if found & self.not_found:
            return [NotFound(n, detail) for n in numbers]
        if found & self.invalid_number:
            return [InvalidNumber(n, detail) for n in numbers]
        if found & self.auth:
            return AuthFailed(detail)
        if found & self.rate_limited:
            return RateLimited(detail)
        if found & self.transient:
            return CarrierDown(detail)
        return Malformed(
            f"unrecognized {self.carrier} error {detail or '(empty)'}",
            FailureReason.UNKNOWN_ERROR,
        )


class CarrierClient(Protocol):
    """An HTTP adapter for one carrier's tracking API."""

    max_batch: int

    async def track(self, numbers: Sequence[str]) -> dict[str, TrackOutcome]:
        """Track up to ``max_batch`` numbers; one outcome per requested number."""
        ...


@dataclass
class ShipmentDraft:
    """Mutable collector a mapper fills before :func:`finish` sorts and derives status."""

    carrier: str
    tracking_number: str
    current: TrackingStatus | None = None
    fallback: TrackingStatus | None = None
    estimated_delivery: date | None = None
    delivered: Stamp | None = None
    signed_by: str | None = None
    events: list[Scan] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def problem(self, code: ProblemCode, detail: str) -> None:
        """Record a problem once."""
        item = Problem(code, detail)
        if item not in self.problems:
            self.problems.append(item)

    def estimate(
        self,
        candidates: Iterable[str | None],
        parse_date: Callable[[str], date | None] = timestamps.iso_date,
    ) -> None:
        """Set the estimated delivery from the first given candidate, in the carrier's order
        of preference; an unparseable one is a problem."""
        text = next((c for c in candidates if c), None)
        if text is None:
            return
        self.estimated_delivery = parse_date(text)
        if self.estimated_delivery is None:
            self.problem(
                ProblemCode.UNPARSEABLE_TIME, f"estimated delivery {text!r} not understood"
            )

    def finish(self) -> ParsedShipment:
        """Sort events newest first and derive the shipment status; a signer is kept only
        for a delivered parcel (a return's receiver at the shipper is not the customer)."""
        events = sort_newest_first(self.events)
        if self.delivered is None:
            self.delivered = _newest_delivered(events)
        naive = sum(1 for e in events if e.occurred_at_local is not None)
        if naive:
            self.problem(
                ProblemCode.NAIVE_TIME,
                f"{naive} of {len(events)} events carry only a local wall time (zone unknown)",
            )
        if self.delivered is not None and self.delivered.local is not None:
            self.problem(ProblemCode.NAIVE_TIME, "delivery time is local wall time (zone unknown)")
        status = derive_status(self.current, events, self.fallback)
        delivered = status is TrackingStatus.DELIVERED or self.delivered is not None
        return ParsedShipment(
            carrier=self.carrier,
            tracking_number=self.tracking_number,
            status=status,
            estimated_delivery=self.estimated_delivery,
            delivered_at=self.delivered.utc if self.delivered else None,
            delivered_at_local=self.delivered.local if self.delivered else None,
            signed_by=self.signed_by if delivered else None,
            events=tuple(events),
            problems=tuple(self.problems),
        )


def scan_time(scan: Scan) -> datetime | None:
    """Sort key: UTC wall time, or the local wall time when that is all we have."""
    if scan.occurred_at is not None:
        return scan.occurred_at.replace(tzinfo=None)
    if scan.occurred_at_local is not None:
        return datetime.fromisoformat(scan.occurred_at_local)
    return None


def sort_newest_first(events: Iterable[Scan]) -> list[Scan]:
    """Newest first by parsed time; undated events last; ties keep the carrier's order."""
    listed = list(events)
    dated = [e for e in listed if scan_time(e) is not None]
    undated = [e for e in listed if scan_time(e) is None]
    dated.sort(key=lambda e: scan_time(e) or datetime.min, reverse=True)
    return dated + undated


def derive_status(
    current: TrackingStatus | None,
    events: Sequence[Scan],
    fallback: TrackingStatus | None = None,
) -> TrackingStatus:
    """The status the whole history gives; the carrier's summary only when no scan says one.

    Scans are replayed oldest first and each moves the status where
    :func:`~shared.contracts.statuses.advances` allows it, as the poller does with new scans:
    the newest meaningful scan wins over a stale summary field (``current``, else
    ``fallback``), and a late scan never moves a parcel backwards. Scans mapped to
    ``unknown`` (informational or unmapped) never set it.
    """
    status: TrackingStatus | None = None
    for event in reversed(events):
        if event.status is not TrackingStatus.UNKNOWN and advances(status, event.status):
            status = event.status
    if status is not None:
        return status
    if current not in (None, TrackingStatus.UNKNOWN):
        return current
    return fallback or TrackingStatus.UNKNOWN


def location(
    city: str | None, state: str | None, postal_code: str | None, country: str | None
) -> Location | None:
    """A shared Location, or None when the carrier gave no part of one."""
    if not any((city, state, postal_code, country)):
        return None
    return Location(city=city, state=state, postal_code=postal_code, country=country)


def _newest_delivered(events: Sequence[Scan]) -> Stamp | None:
    for event in events:
        if event.status is TrackingStatus.DELIVERED:
            if event.occurred_at is None and event.occurred_at_local is None:
                return None
            return Stamp(event.occurred_at, event.occurred_at_local)
    return None
