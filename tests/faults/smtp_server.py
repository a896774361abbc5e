"""A misbehaving SMTP server for the fault suite: aiosmtpd on its own event loop in a thread.

Each recipient address gets one :class:`Behaviour`; the server counts every ``RCPT`` per
address and every ``DATA`` per Message-ID, and keeps each message it stored.
"""

import email
import email.policy
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aiosmtpd.controller import Controller

from parcelwatch.dev.stack.processes import free_port


class Behaviour(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    """``550 5.1.1`` to ``RCPT``, every time."""
    TEMPFAIL_ONCE = "tempfail_once"
    """``451`` after a message's first ``DATA`` (greylisting), ``250`` afterwards."""
    DROP_ONCE = "drop_once"
    """First ``DATA`` of a message: keep it, then close the connection without a reply."""


@dataclass
class Misbehaving:
    """The aiosmtpd handler: answers by recipient, counts and keeps what it receives."""

    rule: Callable[[str], Behaviour]
    rcpt: Counter[str] = field(default_factory=Counter)
    data: Counter[str] = field(default_factory=Counter)
    stored: Counter[str] = field(default_factory=Counter)
    recipients: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        with self.lock:
            self.rcpt[address] += 1
        if self.rule(address) is Behaviour.REJECT:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        message_id = str(message["Message-ID"]).strip()
        behaviour = self.rule(envelope.rcpt_tos[0])
        with self.lock:
            self.data[message_id] += 1
            first = self.data[message_id] == 1
            self.recipients[message_id] = envelope.rcpt_tos[0]
            if behaviour is Behaviour.TEMPFAIL_ONCE and first:
                return "451 4.7.1 Greylisted, please try again later"
            self.stored[message_id] += 1
        if behaviour is Behaviour.DROP_ONCE and first:
            # Kept, but the client never hears so: the reply below goes nowhere.
            server.transport.abort()
        return "250 2.0.0 OK"

    def counts(self) -> tuple[Counter[str], Counter[str], Counter[str]]:
        """Copies of the RCPT, DATA and stored counts, consistent with each other."""
        with self.lock:
            return Counter(self.rcpt), Counter(self.data), Counter(self.stored)


@contextmanager
def misbehaving_smtp(rule: Callable[[str], Behaviour]) -> Iterator[tuple[Misbehaving, int]]:
    """Run the server on a free loopback port; yields its handler and the port."""
    handler = Misbehaving(rule)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()
