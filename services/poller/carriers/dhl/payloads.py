"""Tolerant models of the DHL Shipment Tracking - Unified response (REFERENCE §4.3)."""

from services.poller.carriers.payload import Payload, Text


class Address(Payload):
    address_locality: Text = None
    postal_code: Text = None
    country_code: Text = None


class Place(Payload):
    address: Address | None = None


class Event(Payload):
    """Shape shared by ``shipments[].status`` and ``shipments[].events[]``."""

    timestamp: Text = None
    status_code: Text = None
    status: Text = None
    status_detailed: Text = None
    description: Text = None
    location: Place | None = None


class Person(Payload):
    name: Text = None
    given_name: Text = None
    family_name: Text = None


class ProofOfDelivery(Payload):
    timestamp: Text = None
    signed: Person | None = None


class Details(Payload):
    proof_of_delivery: ProofOfDelivery | None = None


class TimeFrame(Payload):
    estimated_from: Text = None
    estimated_through: Text = None


class Shipment(Payload):
    id: Text = None
    status: Event | None = None
    events: list[Event] = []
    estimated_time_of_delivery: Text = None
    estimated_delivery_time_frame: TimeFrame | None = None
    return_flag: bool | None = None
    details: Details | None = None


class TrackResponse(Payload):
    shipments: list[Shipment]


class Problem(Payload):
    """RFC 7807-style error body: ``{"title", "detail", "status" | "statusCode"}``."""

    title: Text = None
    detail: Text = None
    status: Text = None
    status_code: Text = None
    instance: Text = None
