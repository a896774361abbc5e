"""Base of the tolerant pydantic models that read carrier JSON."""

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel


def _blank_to_none(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    return value


Text = Annotated[str | None, BeforeValidator(_blank_to_none)]
"""Optional carrier text: stripped, numbers kept as text, blank read as missing."""


class Payload(BaseModel):
    """Tolerant model: camelCase keys, unknown fields ignored, every field optional."""

    model_config = ConfigDict(
        extra="ignore", alias_generator=to_camel, populate_by_name=True, frozen=True
    )
