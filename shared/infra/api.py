"""Pieces every read-only query API shares: the bearer-token guard and offset pages."""

import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, HTTPException, Query, params, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, SecretStr

MAX_LIMIT = 200
"""The largest page any list endpoint returns."""

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip.")]


class Page(BaseModel, Generic[T]):
    """One page of a list, in a stable order; ``next_offset`` is null on the last page."""

    items: list[T]
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page, null if none.")


def page(rows: list[T], limit: int, offset: int) -> Page[T]:
    """A page from ``limit + 1`` fetched rows: the extra row only says a next page exists."""
    more = len(rows) > limit
    return Page[T](
        items=rows[:limit], limit=limit, offset=offset, next_offset=offset + limit if more else None
    )


_BEARER = HTTPBearer(auto_error=False, description="The service's `<PREFIX>_API_TOKEN`.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]


def bearer_guard(token: SecretStr | None) -> Callable[[Credentials], Awaitable[None]]:
    """A dependency requiring ``Authorization: Bearer <token>`` when ``token`` is set,
    compared in constant time; without a token it lets every request through."""

    async def guard(credentials: Credentials) -> None:
        if token is None:
            return
        given = credentials.credentials.encode() if credentials else b""
        if not secrets.compare_digest(given, token.get_secret_value().encode()):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a valid bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return guard


def guarded(token: SecretStr | None) -> list[params.Depends]:
    """Router dependencies for :func:`bearer_guard`."""
    return [params.Depends(bearer_guard(token))]
