"""Tracking-number formats and check digits per carrier (jkeen/tracking_number_data rules).

A number may match formats of several carriers (a DHL eCommerce ``0034…`` number passes
the USPS 20-digit rule), so the carrier is never inferred from the number: it comes with
the shipment, and :func:`validate` checks the number against that carrier only.
Spaces and lower case are tolerated. CIE/sandbox numbers may fail their check digit.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from shared.contracts.events import InvalidNumberReason

Check = Callable[[str, str], bool]
"""``check(serial, check_digit)``: whether the check digit fits the serial."""


def _value(char: str) -> int:
    """Digit value; letters map to ``(ord(c) - 3) % 10`` as in the dataset."""
    return int(char) if char.isdigit() else (ord(char) - 3) % 10


def mod10(evens: int, odds: int, *, reverse: bool = False) -> Check:
    """Weight even/odd 0-based positions, check digit = (10 - sum % 10) % 10."""

    def check(serial: str, digit: str) -> bool:
        chars = serial[::-1] if reverse else serial
        total = sum(_value(c) * (odds if i % 2 else evens) for i, c in enumerate(chars))
        return (10 - total % 10) % 10 == int(digit)

    return check


def mod7(serial: str, digit: str) -> bool:
    """DHL Express: the serial modulo 7 is the check digit."""
    return int(serial) % 7 == int(digit)


def weighted(weights: tuple[int, ...], modulo1: int, modulo2: int) -> Check:
    """Sum of digit x weight, modulo ``modulo1`` then ``modulo2``, is the check digit."""

    def check(serial: str, digit: str) -> bool:
        total = sum(_value(c) * w for c, w in zip(serial, weights, strict=True))
        return total % modulo1 % modulo2 == int(digit)

    return check


@dataclass(frozen=True)
class Format:
    """One tracking-number format of a carrier."""

    carrier: str
    name: str
    pattern: re.Pattern[str]
    check: Check | None = None
    serial_prefix: tuple[re.Pattern[str], str] | None = None
    """Prefix added to the serial when it matches the pattern (USPS legacy ``91``)."""

    def match(self, compact: str) -> bool | None:
        """None if the number does not have this format, else whether it is valid."""
        found = self.pattern.fullmatch(compact)
        if found is None:
            return None
        if self.check is None:
            return True
        serial = found["SerialNumber"]
        if self.serial_prefix is not None and self.serial_prefix[0].match(serial):
            serial = self.serial_prefix[1] + serial
        return self.check(serial, found["CheckDigit"])


_FEDEX_13 = weighted((1, 7, 3, 1, 7, 3, 1, 7, 3, 1, 7, 3, 1), 11, 10)
_FEDEX_11 = weighted((3, 1, 7, 3, 1, 7, 3, 1, 7, 3, 1), 11, 10)

FORMATS: tuple[Format, ...] = (
    Format(
        "ups",
        "ups",
        re.compile(r"1Z(?P<SerialNumber>[A-Z0-9]{15})(?P<CheckDigit>[0-9])"),
        mod10(1, 2),
    ),
    Format(
        "ups",
        "ups_waybill",
        re.compile(r"[AHJKTV](?P<SerialNumber>[0-9]{9})(?P<CheckDigit>[0-9])"),
        mod10(1, 2),
    ),
    Format(
        "fedex",
        "fedex_12",
        re.compile(r"(?P<SerialNumber>[0-9]{11})(?P<CheckDigit>[0-9])"),
        _FEDEX_11,
    ),
    Format(
        "fedex",
        "fedex_34",
        re.compile(r"[0-8][0-9]{14}[0-9]{5}(?P<SerialNumber>[0-9]{13})(?P<CheckDigit>[0-9])"),
        _FEDEX_13,
    ),
    Format(
        "fedex",
        "fedex_astra_32",
        re.compile(r"3[0-9]{15}(?P<SerialNumber>[0-9]{11})(?P<CheckDigit>[0-9])[0-9]{4}"),
        _FEDEX_11,
    ),
    Format(
        "fedex",
        "fedex_ground",
        re.compile(r"(?P<SerialNumber>[0-9]{14})(?P<CheckDigit>[0-9])"),
        mod10(1, 3),
    ),
    Format(
        "fedex",
        "fedex_ground_sscc_18",
        re.compile(r"[0-9]{2}(?P<SerialNumber>[0-9]{15})(?P<CheckDigit>[0-9])"),
        mod10(3, 1),
    ),
    Format(
        "fedex",
        "fedex_ground_96",
        re.compile(r"96[0-9]{5}(?P<SerialNumber>[0-9]{14})(?P<CheckDigit>[0-9])"),
        mod10(1, 3),
    ),
    Format(
        "fedex",
        "fedex_ground_gsn",
        re.compile(r"96[0-9]{17}[0-9](?P<SerialNumber>[0-9]{13})(?P<CheckDigit>[0-9])"),
        _FEDEX_13,
    ),
    Format(
        "usps",
        "usps_20",
        re.compile(r"(?P<SerialNumber>[0-9]{19})(?P<CheckDigit>[0-9])"),
        mod10(3, 1),
    ),
    Format(
        "usps",
        "usps_impb_n",
        re.compile(
            r"(?:420[0-9]{5}(?=[0-9]{22}(?![0-9])|[0-9]{26}(?![0-9]))"
            r"(?:[0-9]{4}(?=[0-9]{22}(?![0-9])))?)?"
            r"(?P<SerialNumber>94[0-9]{3}"
            r"(?=9[0-9]{8}(?:[0-9]{15}|[0-9]{11}|[0-9]{7})[0-9](?![0-9])"
            r"|[0-8][0-9]{5}(?:[0-9]{14}|[0-9]{10})[0-9](?![0-9]))"
            r"(?:9[0-9]{8}|[0-8][0-9]{5})"
            r"(?:[0-9]{15}|[0-9]{14}|[0-9]{11}|[0-9]{10}|[0-9]{7}))"
            r"(?P<CheckDigit>[0-9])"
        ),
        mod10(3, 1, reverse=True),
    ),
    Format(
        "usps",
        "usps_legacy",
        re.compile(
            r"(?:420[0-9]{5}(?:[0-9]{4})?)?"
            r"(?P<SerialNumber>(?:91)?[0-9]{2}[0-9]{9}[0-9]{8})(?P<CheckDigit>[0-9])"
        ),
        mod10(3, 1),
        serial_prefix=(re.compile(r"(?!91)"), "91"),
    ),
    Format(
        "usps",
        "usps_impb_c",
        re.compile(
            r"(?:420[0-9]{5}(?:[0-9]{4}(?=[0-9]{22}(?![0-9])))?)?"
            r"(?P<SerialNumber>(?:92(?=[0-9]{3}9)|93(?=[0-9]{3}[0-8])|95)[0-9]{3}"
            r"(?=9[0-9]{8}(?:[0-9]{11}|[0-9]{7})[0-9](?![0-9])"
            r"|[0-8][0-9]{5}(?:[0-9]{14}|[0-9]{10})[0-9](?![0-9]))"
            r"(?:9[0-9]{8}|[0-8][0-9]{5})"
            r"(?:[0-9]{14}|[0-9]{11}|[0-9]{10}|[0-9]{7}))"
            r"(?P<CheckDigit>[0-9])"
        ),
        mod10(3, 1),
    ),
    Format(
        "dhl",
        "dhl_express",
        re.compile(r"(?P<SerialNumber>[0-9]{9,10})(?P<CheckDigit>[0-9])"),
        mod7,
    ),
    Format("dhl", "dhl_express_piece_id", re.compile(r"J[A-Z]{2,3}[0-9]{9,10}")),
    Format(
        "dhl",
        "dhl_ecommerce",
        re.compile(r"(?:GM|LX|RX|UV|CN|SG|TH|IN|HK|MY)[0-9][0-9A-Z]{9,38}"),
    ),
    Format("dhl", "dhl_ecommerce_14", re.compile(r"[0-9]{14}")),
)
CARRIERS = frozenset(f.carrier for f in FORMATS)


@dataclass(frozen=True, slots=True)
class Match:
    """A format the number has; ``valid`` is False when its check digit is wrong."""

    carrier: str
    format: str
    valid: bool


def compact(number: str) -> str:
    """Spaces removed, upper case."""
    return "".join(number.split()).upper()


def detect(number: str) -> list[Match]:
    """Every format of every carrier the number has. Never use it to pick the carrier."""
    text = compact(number)
    matches = []
    for fmt in FORMATS:
        valid = fmt.match(text)
        if valid is not None:
            matches.append(Match(fmt.carrier, fmt.name, valid))
    return matches


def validate(carrier: str, number: str) -> InvalidNumberReason | None:
    """None when ``number`` is valid for ``carrier``, else why it is not."""
    if carrier not in CARRIERS:
        return InvalidNumberReason.UNKNOWN_CARRIER
    results = [m.valid for m in detect(number) if m.carrier == carrier]
    if any(results):
        return None
    return InvalidNumberReason.CHECK_DIGIT if results else InvalidNumberReason.FORMAT
