"""Tolerant models of the FedEx Track API v1 response (REFERENCE §2.3)."""

from services.poller.carriers.payload import Payload, Text


class Message(Payload):
    code: Text = None
    message: Text = None


class ScanLocation(Payload):
    city: Text = None
    state_or_province_code: Text = None
    postal_code: Text = None
    country_code: Text = None


class DelayDetail(Payload):
    status: Text = None


class AncillaryDetail(Payload):
    reason: Text = None
    reason_description: Text = None


class LatestStatusDetail(Payload):
    code: Text = None
    derived_code: Text = None
    description: Text = None
    ancillary_details: list[AncillaryDetail] = []
    delay_detail: DelayDetail | None = None


class ScanEvent(Payload):
    date: Text = None
    event_type: Text = None
    event_description: Text = None
    derived_status_code: Text = None
    exception_code: Text = None
    exception_description: Text = None
    scan_location: ScanLocation | None = None
    delay_detail: DelayDetail | None = None


class DateAndTime(Payload):
    type: Text = None
    date_time: Text = None


class Window(Payload):
    begins: Text = None
    ends: Text = None


class TimeWindow(Payload):
    window: Window | None = None


class DeliveryDetails(Payload):
    received_by_name: Text = None
    signed_by_name: Text = None
    delivery_attempts: Text = None


class ServiceCommitMessage(Payload):
    type: Text = None
    message: Text = None


class TrackResult(Payload):
    error: Message | None = None
    service_commit_message: ServiceCommitMessage | None = None
    latest_status_detail: LatestStatusDetail | None = None
    scan_events: list[ScanEvent] = []
    date_and_times: list[DateAndTime] = []
    estimated_delivery_time_window: TimeWindow | None = None
    standard_transit_time_window: TimeWindow | None = None
    delivery_details: DeliveryDetails | None = None


class CompleteTrackResult(Payload):
    tracking_number: Text = None
    track_results: list[TrackResult] = []


class Output(Payload):
    complete_track_results: list[CompleteTrackResult]


class TrackResponse(Payload):
    output: Output


class ErrorResponse(Payload):
    """Request-level error: ``{"transactionId", "errors": [{"code", "message"}]}``."""

    errors: list[Message]
