from datetime import UTC, datetime

from services.notifier.context import recipient_for
from services.notifier.kinds import MessageKind
from services.notifier.mail import MailSettings, build_email
from services.notifier.rendering import Renderer
from services.notifier.samples import sample_context

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def test_the_email_keeps_its_language_header_beside_both_parts(renderer: Renderer) -> None:
    context = sample_context(MessageKind.CUSTOMER_SHIPPED, "fr")
    recipient = recipient_for(context.order, MessageKind.CUSTOMER_SHIPPED.audience)
    rendered = renderer.render(MessageKind.CUSTOMER_SHIPPED, context, recipient, NOW)
    email = build_email(rendered, recipient, "ord/customer_shipped/x", MailSettings(), NOW)
    assert email["Content-Language"] == "fr"
    assert email.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in email.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
