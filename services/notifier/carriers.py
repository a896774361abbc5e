"""Carrier facts shown to people: display name and customer-service phone number."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CarrierInfo:
    name: str
    phone: str


CARRIERS: dict[str, CarrierInfo] = {
    "usps": CarrierInfo("USPS", "(800) 222-1811"),
    "ups": CarrierInfo("UPS", "(800) 742-5877"),
    "fedex": CarrierInfo("FedEx", "(800) 463-3339"),
    "dhl": CarrierInfo("DHL Express", "(800) 225-5345"),
}


def carrier_info(slug: str | None) -> CarrierInfo | None:
    """Facts about a known carrier; ``None`` for no or an unknown carrier."""
    return CARRIERS.get(slug) if slug else None
