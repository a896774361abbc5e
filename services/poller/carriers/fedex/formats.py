"""FedEx tracking-number formats: Express 12 and 34 digits, ASTRA, Ground and SSCC.

Rules and test numbers from jkeen/tracking_number_data.
"""

import re

from services.poller.tracking_numbers import Format, mod10, weighted

_FEDEX_13 = weighted((1, 7, 3, 1, 7, 3, 1, 7, 3, 1, 7, 3, 1), 11, 10)
_FEDEX_11 = weighted((3, 1, 7, 3, 1, 7, 3, 1, 7, 3, 1), 11, 10)

FORMATS: tuple[Format, ...] = (
    Format(
        "fedex_12",
        re.compile(r"(?P<SerialNumber>[0-9]{11})(?P<CheckDigit>[0-9])"),
        _FEDEX_11,
    ),
    Format(
        "fedex_34",
        re.compile(r"[0-8][0-9]{14}[0-9]{5}(?P<SerialNumber>[0-9]{13})(?P<CheckDigit>[0-9])"),
        _FEDEX_13,
    ),
    Format(
        "fedex_astra_32",
        re.compile(r"3[0-9]{15}(?P<SerialNumber>[0-9]{11})(?P<CheckDigit>[0-9])[0-9]{4}"),
        _FEDEX_11,
    ),
    Format(
        "fedex_ground",
        re.compile(r"(?P<SerialNumber>[0-9]{14})(?P<CheckDigit>[0-9])"),
        mod10(1, 3),
    ),
    Format(
        "fedex_ground_sscc_18",
        re.compile(r"[0-9]{2}(?P<SerialNumber>[0-9]{15})(?P<CheckDigit>[0-9])"),
        mod10(3, 1),
    ),
    Format(
        "fedex_ground_96",
        re.compile(r"96[0-9]{5}(?P<SerialNumber>[0-9]{14})(?P<CheckDigit>[0-9])"),
        mod10(1, 3),
    ),
    Format(
        "fedex_ground_gsn",
        re.compile(r"96[0-9]{17}[0-9](?P<SerialNumber>[0-9]{13})(?P<CheckDigit>[0-9])"),
        _FEDEX_13,
    ),
)
