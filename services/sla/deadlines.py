"""When each SLA rule breaches: pure functions of the facts, returning aware datetimes.

Deadlines fall at 23:59:59 local time of a business day (see :func:`end_of_day`);
durations are elapsed time, so they stay exact across DST changes.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.sla.calendar import BusinessCalendar
from services.sla.localtime import end_of_day, require_aware, shift, start_of_day
from services.sla.rules import SlaRules


def ship_by_deadline(
    confirmed_at: datetime,
    *,
    large: bool,
    calendar: BusinessCalendar,
    zone: ZoneInfo,
    rules: SlaRules,
) -> datetime:
    """23:59:59 in the seller's ``zone`` on the last business day to ship.

    Day 0 is the local confirmation day if it is a business day and the local time is
    before the cutoff hour (the cutoff itself counts as after), else the next business
    day. A normal order ships by the end of day 0, a large one a business day later.
    """
    require_aware(confirmed_at, "confirmed_at")
    local = confirmed_at.astimezone(zone)
    day0 = local.date()
    if not (calendar.is_business_day(day0) and local.hour < rules.ship_cutoff_hour):
        day0 = calendar.add_business_days(day0, 1)
    days = rules.ship_business_days_large if large else rules.ship_business_days
    return end_of_day(calendar.add_business_days(day0, days - 1), zone)


def customer_ship_promise(
    confirmed_at: datetime,
    *,
    large: bool,
    calendar: BusinessCalendar,
    zone: ZoneInfo,
    rules: SlaRules,
) -> datetime:
    """What the help page tells the customer: "allow 1 business day from the order
    confirmation" (2 for a large item).

    23:59:59 in the seller's ``zone`` on the first (second) business day after the local
    confirmation day, whatever the hour. Never earlier than :func:`ship_by_deadline`.
    """
    require_aware(confirmed_at, "confirmed_at")
    days = rules.ship_business_days_large if large else rules.ship_business_days
    confirmed_day = confirmed_at.astimezone(zone).date()
    return end_of_day(calendar.add_business_days(confirmed_day, days), zone)


def ship_by_missed_at(deadline: datetime, rules: SlaRules) -> datetime:
    """When the sweeper may declare ``sla.ship_by_missed``: the deadline plus the grace."""
    return shift(deadline, rules.ship_detection_grace)


def ship_by_missed(
    *, deadline: datetime, shipped_at: datetime | None, now: datetime, rules: SlaRules
) -> bool:
    """Whether the ship-by SLA is breached at ``now``.

    Shipped in time means a shipped scan that occurred at or before ``deadline``; the
    breach is declared only once the detection grace has passed.
    """
    require_aware(now, "now")
    on_time = shipped_at is not None and shipped_at <= deadline
    return not on_time and now >= ship_by_missed_at(deadline, rules)


def order_unconfirmed_at(placed_at: datetime, rules: SlaRules) -> datetime:
    """When an order still unconfirmed gets ``sla.order_unconfirmed``."""
    return shift(placed_at, rules.confirmation_window)


def delivery_late_at(estimated_delivery: date, *, zone: ZoneInfo, rules: SlaRules) -> datetime:
    """When an undelivered parcel is late: end of the estimated day in ``zone``, plus grace.

    The service passes the customer's zone: the estimate is a promise about their door.
    """
    return shift(end_of_day(estimated_delivery, zone), rules.delivery_grace)


def tracking_stalled_at(
    last_scan_at: datetime, *, calendar: BusinessCalendar, zone: ZoneInfo, rules: SlaRules
) -> datetime:
    """When a parcel with no newer scan is stalled.

    23:59:59 on the ``stall_business_days``-th business day after the local date of the
    last scan, so that many whole business days pass without a scan.
    """
    require_aware(last_scan_at, "last_scan_at")
    scan_day = last_scan_at.astimezone(zone).date()
    return end_of_day(calendar.add_business_days(scan_day, rules.stall_business_days), zone)


def expected_delivery_date(
    estimated: date | None, delivered_at: datetime | None, zone: ZoneInfo
) -> date:
    """The carrier's estimate, else the local date in ``zone`` of the delivery."""
    if estimated is not None:
        return estimated
    if delivered_at is None:
        raise ValueError("an expected delivery date needs an estimate or a delivery time")
    require_aware(delivered_at, "delivered_at")
    return delivered_at.astimezone(zone).date()


def _documents_day(expected_delivery: date, calendar: BusinessCalendar, rules: SlaRules) -> date:
    return calendar.add_business_days(expected_delivery, rules.dispute_documents_business_days)


def dispute_documents_deadline(
    expected_delivery: date, *, calendar: BusinessCalendar, zone: ZoneInfo, rules: SlaRules
) -> datetime:
    """23:59:59 in ``zone`` on the 3rd (configurable) business day after expected delivery.

    ``sla.dispute_documents_overdue`` fires once this instant has passed.
    """
    return end_of_day(_documents_day(expected_delivery, calendar, rules), zone)


def dispute_late_report_from(documents_deadline: datetime, zone: ZoneInfo) -> datetime:
    """From when a dispute is a *late report*: less than one business day of the window is
    left (00:00 local on the deadline's day) or it has passed."""
    return start_of_day(documents_deadline.astimezone(zone).date(), zone)


def dispute_documents_overdue_at(
    documents_deadline: datetime,
    accepted_at: datetime,
    *,
    calendar: BusinessCalendar,
    zone: ZoneInfo,
) -> datetime:
    """When missing documents are overdue: one second after the deadline, but never before
    the end of the business day after the dispute was accepted, so a late report (asked
    for the documents "as soon as possible") gets a business day before the reminder."""
    accepted_day = accepted_at.astimezone(zone).date()
    grace = end_of_day(calendar.add_business_days(accepted_day, 1), zone)
    return shift(max(documents_deadline, grace), timedelta(seconds=1))


def dispute_documents_due_at(
    expected_delivery: date, *, calendar: BusinessCalendar, zone: ZoneInfo, rules: SlaRules
) -> datetime:
    """When ``sla.dispute_documents_due`` reminds: 00:00 local on the business day before
    the deadline's day, so the customer still has two whole business days to act.
    """
    day = calendar.add_business_days(_documents_day(expected_delivery, calendar, rules), -1)
    return start_of_day(day, zone)
