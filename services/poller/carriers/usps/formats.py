"""USPS tracking-number formats: 20 digits and the IMpb shapes (mod 10 check digits).

Rules and test numbers from jkeen/tracking_number_data.
"""

import re

from services.poller.tracking_numbers import Format, mod10

FORMATS: tuple[Format, ...] = (
    Format(
        "usps_20",
        re.compile(r"(?P<SerialNumber>[0-9]{19})(?P<CheckDigit>[0-9])"),
        mod10(3, 1),
    ),
    Format(
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
        "usps_legacy",
        re.compile(
            r"(?:420[0-9]{5}(?:[0-9]{4})?)?"
            r"(?P<SerialNumber>(?:91)?[0-9]{2}[0-9]{9}[0-9]{8})(?P<CheckDigit>[0-9])"
        ),
        mod10(3, 1),
        serial_prefix=(re.compile(r"(?!91)"), "91"),
    ),
    Format(
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
)
