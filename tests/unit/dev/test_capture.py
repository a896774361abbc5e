from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from parcelwatch.dev.capture.store import MailStore, UnknownMessage
from parcelwatch.dev.capture.view import parse
from parcelwatch.dev.capture.web import HTML_PART_POLICY, inbox_app


def raw_email(subject: str = "Your order has shipped", html: str = "<p>Hello</p>") -> bytes:
    message = EmailMessage()
    message["From"] = "ParcelWatch <notifications@parcelwatch.example.com>"
    message["To"] = "Jamie Rivera <jamie@example.com>"
    message["Subject"] = subject
    message["Message-ID"] = "<abc@parcelwatch.invalid>"
    message.set_content("Hello")
    message.add_alternative(html, subtype="html")
    return message.as_bytes()


def test_the_store_keeps_messages_byte_for_byte_newest_first(tmp_path: Path) -> None:
    store = MailStore(tmp_path)
    first = store.save(b"first")
    second = store.save(b"second")
    assert store.names() == [second, first]
    assert store.read(first) == b"first"
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize("name", ["../secret.eml", "x.eml", "/etc/passwd", "1234567890-zz.eml"])
def test_the_store_refuses_names_it_did_not_make(tmp_path: Path, name: str) -> None:
    with pytest.raises(UnknownMessage):
        MailStore(tmp_path).read(name)


def test_parse_decodes_headers_and_both_parts() -> None:
    view = parse("n.eml", raw_email(subject="Votre commande a été expédiée"))
    assert view.subject == "Votre commande a été expédiée"
    assert view.to == "Jamie Rivera <jamie@example.com>"
    assert view.text == "Hello\n"
    assert view.html == "<p>Hello</p>\n"
    assert ("Message-ID", "<abc@parcelwatch.invalid>") in view.headers


async def test_the_inbox_escapes_what_it_lists_and_sandboxes_the_html_part(
    tmp_path: Path,
) -> None:
    store = MailStore(tmp_path)
    name = store.save(raw_email(subject="<script>alert(1)</script>", html="<script>x()</script>"))
    transport = httpx.ASGITransport(app=inbox_app(store))
    async with httpx.AsyncClient(transport=transport, base_url="http://capture") as client:
        inbox = await client.get("/")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in inbox.text
        assert "<script>" not in inbox.text
        page = await client.get(f"/messages/{name}")
        assert f'<iframe sandbox="" src="/messages/{name}/html"' in page.text
        part = await client.get(f"/messages/{name}/html")
        assert part.headers["content-security-policy"] == HTML_PART_POLICY
        assert (await client.get(f"/messages/{name}/raw")).content == store.read(name)
        assert (await client.get("/messages/nope.eml")).status_code == 404


async def test_the_chat_webhook_keeps_slack_style_posts(tmp_path: Path) -> None:
    store = MailStore(tmp_path)
    transport = httpx.ASGITransport(app=inbox_app(store))
    async with httpx.AsyncClient(transport=transport, base_url="http://capture") as client:
        ok = await client.post("/chat", json={"text": "Carrier exception", "blocks": []})
        assert (ok.status_code, ok.text) == (200, "ok")
        assert (await client.post("/chat", json={"blocks": []})).status_code == 400
        assert "Carrier exception" in (await client.get("/")).text
    [name] = store.chat_names()
    assert store.read_chat(name)["text"] == "Carrier exception"
