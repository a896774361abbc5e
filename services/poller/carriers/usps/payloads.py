"""Tolerant models of the USPS Tracking API v3 response (``expand=DETAIL``) and errors."""

from pydantic import Field

from services.poller.carriers.payload import Payload, Text


class TrackingEvent(Payload):
    event_type: Text = None
    event_code: Text = None
    event_timestamp: Text = None
    gmt_timestamp: Text = Field(default=None, alias="GMTTimestamp")
    gmt_offset: Text = Field(default=None, alias="GMTOffset")
    event_city: Text = None
    event_state: Text = None
    event_zip: Text = Field(default=None, alias="eventZIP")
    event_zip_code: Text = Field(default=None, alias="eventZIPCode")
    event_country: Text = None
    name: Text = None
    recipient_name: Text = None
    firm: Text = None


class DeliveryDateExpectation(Payload):
    """v3r2 groups the dates: ``deliveryDateExpectation``."""

    expected_delivery_date: Text = None
    predicted_delivery_date: Text = None
    guaranteed_delivery_date: Text = None


class TrackingResponse(Payload):
    tracking_number: str
    status: Text = None
    status_category: Text = None
    expected_delivery_time_stamp: Text = None
    expected_delivery_date: Text = None
    predicted_delivery_date: Text = None
    predicted_delivery_time_stamp: Text = None
    guaranteed_delivery_time_stamp: Text = None
    delivery_date_expectation: DeliveryDateExpectation | None = None
    tracking_events: list[TrackingEvent] = []


class ErrorDetail(Payload):
    code: Text = None
    title: Text = None
    detail: Text = None


class Error(Payload):
    code: Text = None
    message: Text = None
    errors: list[ErrorDetail] = []


class ErrorResponse(Payload):
    """``{"apiVersion", "error": {"code", "message", "errors": [...]}}``."""

    error: Error
