"""DHL tracking-number formats: Express (mod 7), piece ids and eCommerce numbers.

Rules and test numbers from jkeen/tracking_number_data.
"""

import re

from services.poller.tracking_numbers import Format, mod7

FORMATS: tuple[Format, ...] = (
    Format(
        "dhl_express",
        re.compile(r"(?P<SerialNumber>[0-9]{9,10})(?P<CheckDigit>[0-9])"),
        mod7,
    ),
    Format("dhl_express_piece_id", re.compile(r"J[A-Z]{2,3}[0-9]{9,10}")),
    Format(
        "dhl_ecommerce",
        re.compile(r"(?:GM|LX|RX|UV|CN|SG|TH|IN|HK|MY)[0-9][0-9A-Z]{9,38}"),
    ),
    Format("dhl_ecommerce_14", re.compile(r"[0-9]{14}")),
)
