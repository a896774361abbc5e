"""Header safety: neutralize control characters, validate addresses, derive Message-IDs.

Errors never quote the offending address, so they are safe to log.
"""

import hashlib
import unicodedata
from email.headerregistry import Address

from email_validator import EmailNotValidError, validate_email

_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOSTNAME_PATTERN = rf"^({_LABEL}\.)*{_LABEL}$"
"""A DNS host name (give it a length limit of 253), for the right-hand side of Message-IDs."""

_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


class InvalidAddress(ValueError):
    """An e-mail address that must not go into a header."""


def _unsafe(char: str) -> bool:
    """Control characters, line and paragraph separators, bidirectional overrides."""
    return unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS


def clean_header_text(value: str) -> str:
    """Text for a subject or display name: unsafe characters become spaces, runs collapse."""
    return " ".join("".join(" " if _unsafe(char) else char for char in value).split())


def checked_address(address: str) -> str:
    """The normalized ASCII form of ``address``; :class:`InvalidAddress` if it is unsafe."""
    if any(_unsafe(char) for char in address):
        raise InvalidAddress("e-mail address contains control characters")
    try:
        valid = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(f"invalid e-mail address: {exc}") from None
    return valid.ascii_email or valid.normalized


def mailbox(display_name: str, address: str) -> Address:
    """A header mailbox; the e-mail package quotes or RFC 2047-encodes the name as needed."""
    local, _, domain = checked_address(address).rpartition("@")
    return Address(display_name=clean_header_text(display_name), username=local, domain=domain)


def message_id(dedup_key: str, domain: str) -> str:
    """A Message-ID that is the same for every attempt at the same notification."""
    digest = hashlib.sha256(dedup_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"
