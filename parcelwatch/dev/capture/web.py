"""The capture's inbox page (FastAPI): a list, each message rendered, raw downloads.

A message's HTML is shown only inside a sandboxed iframe and served with a sandboxing
Content-Security-Policy: captured mail is untrusted content.
"""

import asyncio
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from parcelwatch.dev.capture.store import MailStore, UnknownMessage
from parcelwatch.dev.capture.view import MessageView, parse

HTML_PART_POLICY = "sandbox; default-src 'none'; img-src data: https:; style-src 'unsafe-inline'"
_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'"
_PAGE_SIZE = 200

_templates = Environment(
    loader=PackageLoader("parcelwatch.dev.capture", "templates"),
    autoescape=select_autoescape(default=True),
)


def inbox_app(store: MailStore) -> FastAPI:
    """The inbox web app over ``store``."""
    app = FastAPI(title="ParcelWatch mail capture", docs_url=None, redoc_url=None)

    async def view(name: str) -> MessageView:
        try:
            raw = await asyncio.to_thread(store.read, name)
        except UnknownMessage:
            raise HTTPException(404, "no such message") from None
        return parse(name, raw)

    def page(template: str, **variables: Any) -> HTMLResponse:
        body = _templates.get_template(template).render(**variables)
        return HTMLResponse(body, headers={"Content-Security-Policy": _PAGE_POLICY})

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "mail-capture"}

    @app.get("/", response_class=HTMLResponse)
    async def inbox() -> HTMLResponse:
        names = (await asyncio.to_thread(store.names))[:_PAGE_SIZE]
        messages = [await view(name) for name in names]
        chats = [
            (name, await asyncio.to_thread(store.read_chat, name))
            for name in (await asyncio.to_thread(store.chat_names))[:_PAGE_SIZE]
        ]
        return page("inbox.html", messages=messages, chats=chats)

    @app.get("/messages/{name}", response_class=HTMLResponse)
    async def message(name: str) -> HTMLResponse:
        return page("message.html", message=await view(name))

    @app.get("/messages/{name}/html")
    async def html_part(name: str) -> Response:
        html = (await view(name)).html
        if html is None:
            raise HTTPException(404, "no HTML part")
        return HTMLResponse(html, headers={"Content-Security-Policy": HTML_PART_POLICY})

    @app.get("/messages/{name}/raw")
    async def raw(name: str) -> Response:
        try:
            data = await asyncio.to_thread(store.read, name)
        except UnknownMessage:
            raise HTTPException(404, "no such message") from None
        return Response(data, media_type="message/rfc822")

    @app.get("/api/messages")
    async def api_messages() -> list[dict[str, str]]:
        names = await asyncio.to_thread(store.names)
        return [
            {"name": v.name, "subject": v.subject, "to": v.to, "message_id": v.message_id}
            for v in [await view(name) for name in names]
        ]

    @app.post("/chat")
    async def chat(request: Request) -> Response:
        """A Slack-compatible incoming webhook: keeps the JSON, answers ``ok``."""
        try:
            payload = await request.json()
        except ValueError:
            raise HTTPException(400, "invalid_payload") from None
        if not isinstance(payload, dict) or not payload.get("text"):
            raise HTTPException(400, "no_text")
        await asyncio.to_thread(store.save_chat, payload)
        return Response("ok", media_type="text/plain")

    return app
