"""Counts captured e-mails as a reader would, apart from the notifier's own bookkeeping.

An e-mail is identified by its recipient (``To``), the order it is about (the first known
order id in its subject, else in its text) and its kind (the subject with the order id
taken out). Two e-mails with the same three are a duplicate, whatever their Message-IDs.
"""

import email
import email.policy
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

Identity = tuple[str, str, str]
"""(order id, kind, recipient address)."""
Addressee = tuple[str, str]
"""(order id, recipient address)."""

_WORD = re.compile(r"[\w-]+")


@dataclass(frozen=True)
class MailCensus:
    """What a capture folder holds against what the run should have sent."""

    emails: int
    duplicates: int
    """E-mails beyond the first of each (order, kind, recipient)."""
    missing: list[Addressee]
    """Expected e-mails to an order's recipient that did not come (one entry each)."""
    unexpected: list[Addressee]
    """E-mails of kinds nobody expected for that order's recipient (one entry each)."""

    @property
    def exact(self) -> bool:
        """Every expected e-mail came, once, and nothing else."""
        return not (self.duplicates or self.missing or self.unexpected)


def identity(raw: bytes, orders: Collection[str]) -> Identity:
    """The (order, kind, recipient) of one e-mail; ``ValueError`` if it names no order."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    subject = str(message["Subject"] or "")
    recipient = message["To"].addresses[0].addr_spec.lower()
    body = message.get_body(("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    for where in (subject, text):
        named = [word for word in _WORD.findall(where) if word in orders]
        if named:
            return named[0], subject.replace(named[0], "{order}"), recipient
    raise ValueError(f"an e-mail to {recipient} names no order of the run: {subject!r}")


def census(folder: Path, expected: Counter[Addressee]) -> MailCensus:
    """Compare the ``.eml`` files in ``folder`` with ``expected``: how many e-mails (of
    distinct kinds) each order's recipient should get."""
    orders = {order for order, _ in expected}
    seen = Counter(identity(path.read_bytes(), orders) for path in folder.glob("*.eml"))
    kinds = Counter((order, recipient) for order, _, recipient in seen)
    return MailCensus(
        emails=sum(seen.values()),
        duplicates=sum(n - 1 for n in seen.values()),
        missing=sorted((expected - kinds).elements()),
        unexpected=sorted((kinds - expected).elements()),
    )
