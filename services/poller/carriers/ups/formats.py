"""UPS tracking-number formats: ``1Z`` numbers and waybills, mod 10 check digits.

Rules and test numbers from jkeen/tracking_number_data.
"""

import re

from services.poller.tracking_numbers import Format, mod10

FORMATS: tuple[Format, ...] = (
    Format(
        "ups",
        re.compile(r"1Z(?P<SerialNumber>[A-Z0-9]{15})(?P<CheckDigit>[0-9])"),
        mod10(1, 2),
    ),
    Format(
        "ups_waybill",
        re.compile(r"[AHJKTV](?P<SerialNumber>[0-9]{9})(?P<CheckDigit>[0-9])"),
        mod10(1, 2),
    ),
)
