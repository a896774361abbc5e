"""Request helpers shared by the carrier routes: credentials, bodies, responses."""

import asyncio
import base64
import binascii
import json
import math
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from parcelwatch.dev.emulator.faults import Fault, Spoil
from parcelwatch.dev.emulator.state import Emulator
from parcelwatch.dev.emulator.tokens import TokenState


def bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def basic(request: Request) -> tuple[str, str] | None:
    """Client id and secret of an ``Authorization: Basic …`` header, both non-empty."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (client_id, secret) if client_id and secret else None


async def fields(request: Request) -> dict[str, str]:
    """A form-encoded or JSON object body as text fields (empty when it is neither)."""
    raw = await request.body()
    if "json" in request.headers.get("Content-Type", ""):
        try:
            body = json.loads(raw)
        except ValueError:
            return {}
        return {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    return dict(parse_qsl(raw.decode(errors="replace")))


def client_credentials(form: dict[str, str]) -> bool:
    """A client-credentials grant with a non-empty id and secret in the body."""
    return (
        form.get("grant_type") == "client_credentials"
        and bool(form.get("client_id"))
        and bool(form.get("client_secret"))
    )


def answer(status: int, body: Any, *, retry_after: int | None = None) -> JSONResponse:
    """A JSON response, with ``Retry-After`` when given."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(body, status_code=status, headers=headers)


def failure(emulator: Emulator, fault: Fault, body: Any) -> JSONResponse:
    """The response to a fault: ``Retry-After`` on 429 and 503."""
    waits = fault in (Fault.RATE_LIMITED, Fault.UNAVAILABLE)
    return answer(fault.value, body, retry_after=emulator.settings.retry_after if waits else None)


async def admit_with_token(
    emulator: Emulator, carrier: str, token: str, numbers: list[str]
) -> Fault | Spoil | None:
    """Count the request; on an expired-token fault, expire the token it presented."""
    fault = await emulator.admit(carrier, numbers)
    if fault is Fault.TOKEN_EXPIRED:
        emulator.tokens.expire(carrier, token)
    return fault


def authorize(emulator: Emulator, carrier: str, request: Request) -> str | TokenState:
    """The live bearer token of ``carrier`` the request presents, else what is wrong with it."""
    token = bearer(request)
    state = emulator.tokens.state(carrier, token)
    return token if token is not None and state is TokenState.VALID else state


def spoil(emulator: Emulator, fault: Fault | Spoil | None, response: JSONResponse) -> Response:
    """``response`` delivered as the ``fault`` says: trickling, padded or cut in half."""
    if not isinstance(fault, Spoil):
        return response
    body, status, json_type = bytes(response.body), response.status_code, "application/json"
    if fault is Spoil.INVALID_JSON:
        return Response(body[: len(body) // 2], status, media_type=json_type)
    if fault is Spoil.HUGE_BODY:
        padded = _padded(body, emulator.settings.huge_bytes)
        return StreamingResponse(padded, status, media_type=json_type)
    dripping = _drip(body, emulator.settings.drip_seconds)
    return StreamingResponse(dripping, status, media_type=json_type)


_PIECE_SECONDS = 0.5
_CHUNK = 64 * 1024


async def _drip(body: bytes, seconds: float) -> AsyncIterator[bytes]:
    """``body`` in pieces, one every half second, the last after ``seconds``."""
    pieces = math.ceil(seconds / _PIECE_SECONDS) + 1
    for piece in range(pieces):
        if piece:
            await asyncio.sleep(_PIECE_SECONDS)
        yield body[piece * len(body) // pieces : (piece + 1) * len(body) // pieces]


async def _padded(body: bytes, total: int) -> AsyncIterator[bytes]:
    """The JSON object ``body`` with a ``padding`` field first, ``total`` bytes in all;
    made chunk by chunk, never held whole."""
    head, tail = b'{"padding":"', b'",' + body[1:]
    yield head
    left = max(0, total - len(head) - len(tail))
    while left:
        step = min(left, _CHUNK)
        yield b"x" * step
        left -= step
        await asyncio.sleep(0)
    yield tail
