"""CloudEvents 1.0 envelope in structured JSON mode, and decoding into typed payloads."""

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.contracts.common import UtcDatetime
from shared.contracts.events import BY_TYPE, EventData

D = TypeVar("D", bound=EventData)


class CloudEvent(BaseModel, Generic[D]):
    """A CloudEvents 1.0 structured-mode event; ``subject`` is the order id."""

    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: Annotated[str, Field(min_length=1, max_length=128)]
    source: Annotated[str, Field(min_length=1, max_length=256)]
    type: Annotated[str, Field(min_length=1, max_length=128)]
    time: UtcDatetime
    subject: str
    datacontenttype: Literal["application/json"] = "application/json"
    data: D

    @model_validator(mode="after")
    def _consistent(self) -> "CloudEvent[D]":
        if self.type != self.data.event_type:
            raise ValueError(
                f"type {self.type!r} does not match the data of {self.data.event_type!r}"
            )
        if self.subject != self.data.order_id:
            raise ValueError("subject must equal data.order_id")
        return self

    @property
    def key(self) -> bytes:
        """The Kafka message key: the order id, so one order's events keep their order."""
        return self.data.order_id.encode()

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


class InvalidEvent(ValueError):
    """A message that is not a valid event of a known type. ``str()`` names the fields."""


def new_event(
    data: D,
    source: str,
    *,
    event_id: str | None = None,
    time: datetime | None = None,
) -> CloudEvent[D]:
    """Wrap a payload in an envelope. Pass ``event_id`` for a deterministic id."""
    envelope: type[CloudEvent[D]] = CloudEvent[type(data)]  # type: ignore[misc,assignment]
    return envelope(
        id=event_id or str(uuid.uuid4()),
        source=source,
        type=data.event_type,
        time=time or datetime.now(UTC),
        subject=data.order_id,
        data=data,
    )


def _describe(exc: ValidationError, prefix: str = "") -> str:
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error["loc"]) or "(root)"
        parts.append(f"{prefix}{where}: {error['msg']}")
    return "; ".join(parts)


MAX_EVENT_BYTES = 1024 * 1024
"""The largest message :func:`decode` accepts (1 MiB, Kafka's default ``max.message.bytes``)."""


_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
"""A ``\\u0000`` escape in a JSON text (not an escaped backslash followed by ``u0000``)."""


class _Header(BaseModel):
    """What picks the payload model; other fields are skipped unconverted."""

    specversion: Literal["1.0"]
    id: Annotated[str, Field(min_length=1, max_length=128)]
    type: str


def decode(raw: bytes | str) -> CloudEvent[EventData]:
    """Parse one message into an envelope with its typed payload.

    Raises :class:`InvalidEvent` naming every bad field, e.g.
    ``data.customer.email: value is not a valid email address``. Messages over
    :data:`MAX_EVENT_BYTES`, nesting too deep to parse and NUL characters are invalid too.
    """
    raw = raw.encode() if isinstance(raw, str) else raw
    if len(raw) > MAX_EVENT_BYTES:
        raise InvalidEvent(f"(root): message of {len(raw)} bytes exceeds {MAX_EVENT_BYTES}")
    if b"\\u0000" in raw and _NUL_ESCAPE.search(raw):
        # PostgreSQL text and jsonb cannot hold U+0000: refuse it here, not in a handler.
        raise InvalidEvent("(root): NUL character (\\u0000) in a string")
    try:
        header = _Header.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidEvent(_describe(exc)) from None
    except RecursionError:
        raise InvalidEvent("(root): nested too deeply") from None
    model = BY_TYPE.get(header.type)
    if model is None:
        raise InvalidEvent(f"type: unknown event type {header.type!r}")
    try:
        return CloudEvent[model].model_validate_json(raw)  # type: ignore[valid-type]
    except ValidationError as exc:
        raise InvalidEvent(_describe(exc)) from None
    except RecursionError:
        raise InvalidEvent("(root): nested too deeply") from None
