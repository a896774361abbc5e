"""Tracking-number formats and check digits (jkeen/tracking_number_data rules): the
checks, and every carrier's formats together. Each carrier folder declares its own formats.

A number may match formats of several carriers (a DHL eCommerce ``0034…`` number passes
the USPS 20-digit rule), so the carrier is never inferred from the number: it comes with
the shipment, and :meth:`TrackingNumbers.validate` checks the number against that carrier
only. Spaces and lower case are tolerated. CIE/sandbox numbers may fail their check digit.
"""

import re
from collections.abc import Callable, Mapping, Sequence
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


@dataclass(frozen=True, slots=True)
class Match:
    """A format the number has; ``valid`` is False when its check digit is wrong."""

    carrier: str
    format: str
    valid: bool


def compact(number: str) -> str:
    """Spaces removed, upper case."""
    return "".join(number.split()).upper()


class TrackingNumbers:
    """Every carrier's formats, by carrier slug."""

    def __init__(self, formats: Mapping[str, Sequence[Format]]) -> None:
        self._formats = {carrier: tuple(found) for carrier, found in formats.items()}
        self.carriers = frozenset(self._formats)

    def detect(self, number: str) -> list[Match]:
        """Every format of every carrier the number has. Never use it to pick the carrier."""
        text = compact(number)
        matches = []
        for carrier, formats in self._formats.items():
            for fmt in formats:
                valid = fmt.match(text)
                if valid is not None:
                    matches.append(Match(carrier, fmt.name, valid))
        return matches

    def validate(self, carrier: str, number: str) -> InvalidNumberReason | None:
        """None when ``number`` is valid for ``carrier``, else why it is not."""
        if carrier not in self.carriers:
            return InvalidNumberReason.UNKNOWN_CARRIER
        text = compact(number)
        results = [v for f in self._formats[carrier] if (v := f.match(text)) is not None]
        if any(results):
            return None
        return InvalidNumberReason.CHECK_DIGIT if results else InvalidNumberReason.FORMAT
