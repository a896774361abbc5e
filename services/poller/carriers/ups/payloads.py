"""Tolerant models of the UPS Track API v1 response and error envelope."""

from services.poller.carriers.payload import Payload, Text


class Address(Payload):
    city: Text = None
    state_province: Text = None
    postal_code: Text = None
    country_code: Text = None
    country: Text = None


class ActivityLocation(Payload):
    address: Address | None = None


class Status(Payload):
    type: Text = None
    code: Text = None
    status_code: Text = None
    description: Text = None


class Activity(Payload):
    date: Text = None
    time: Text = None
    gmt_date: Text = None
    gmt_time: Text = None
    gmt_offset: Text = None
    location: ActivityLocation | None = None
    status: Status | None = None


class DeliveryDate(Payload):
    type: Text = None
    date: Text = None


class DeliveryTime(Payload):
    type: Text = None
    end_time: Text = None


class DeliveryInformation(Payload):
    received_by: Text = None


class Package(Payload):
    tracking_number: Text = None
    current_status: Status | None = None
    activity: list[Activity] = []
    delivery_date: list[DeliveryDate] = []
    delivery_time: DeliveryTime | None = None
    delivery_information: DeliveryInformation | None = None


class Message(Payload):
    code: Text = None
    message: Text = None


class Shipment(Payload):
    inquiry_number: Text = None
    package: list[Package] = []
    warnings: list[Message] = []


class TrackResponse(Payload):
    shipment: list[Shipment]


class TrackApiResponse(Payload):
    track_response: TrackResponse


class ErrorBody(Payload):
    errors: list[Message]


class ErrorResponse(Payload):
    """``{"response": {"errors": [{"code", "message"}]}}`` used by every UPS API."""

    response: ErrorBody
