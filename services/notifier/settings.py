"""Settings of the notifier service: the shared ones plus its own `NOTIFIER_…` settings.

SMTP settings keep the unprefixed names DESIGN gives them (`SMTP_HOST`, `SMTP_PORT`, …).
The pure parts' settings (:class:`RoutingSettings`, :class:`LinkSettings`,
:class:`MailSettings`) are composed from the flat environment variables here.
"""

from datetime import time
from typing import Literal

from pydantic import EmailStr, Field, HttpUrl, SecretStr, model_validator

from services.notifier.carriers import CarrierContactSettings, ContactPage
from services.notifier.headers import HOSTNAME_PATTERN
from services.notifier.links import LinkSettings, LinkTemplate
from services.notifier.mail import MailSettings
from services.notifier.retry import RetryPolicy
from services.notifier.routing import RoutingSettings
from shared.infra.service import ServiceSettings

_MAIL = MailSettings()


class NotifierSettings(ServiceSettings):
    """Everything the notifier service reads from the environment (or `.env`)."""

    http_port: int = Field(
        8083,
        validation_alias="NOTIFIER_HTTP_PORT",
        description="Port of the notifier health, metrics and query API server.",
    )

    api_token: SecretStr | None = Field(
        None,
        validation_alias="NOTIFIER_API_TOKEN",
        description="Bearer token the query API requires when set (health and metrics stay open).",
    )

    # --- who hears what ---------------------------------------------------------------
    notify_out_for_delivery: bool = Field(
        False,
        validation_alias="NOTIFIER_NOTIFY_OUT_FOR_DELIVERY",
        description="Send customers the short out-for-delivery update.",
    )
    notify_available_for_pickup: bool = Field(
        True,
        validation_alias="NOTIFIER_NOTIFY_AVAILABLE_FOR_PICKUP",
        description="Send customers the short available-for-pickup update.",
    )
    notify_delivery_attempted: bool = Field(
        True,
        validation_alias="NOTIFIER_NOTIFY_DELIVERY_ATTEMPTED",
        description="Send customers the short delivery-attempted update.",
    )
    notify_delivered: bool = Field(
        True,
        validation_alias="NOTIFIER_NOTIFY_DELIVERED",
        description="Send customers the delivered e-mail (when, where, and what to do if it "
        "is not there).",
    )
    quiet_hours_start: time = Field(
        time(21, 0),
        validation_alias="NOTIFIER_QUIET_HOURS_START",
        description="Customers' quiet hours start (their local time): delay and problem "
        "e-mails created from then on wait for the end.",
    )
    quiet_hours_end: time = Field(
        time(8, 0),
        validation_alias="NOTIFIER_QUIET_HOURS_END",
        description="Customers' quiet hours end (local time): held e-mails go then, once. "
        "Equal to the start: no quiet hours.",
    )
    tracking_links: dict[str, LinkTemplate] = Field(
        default_factory=dict,
        validation_alias="NOTIFIER_TRACKING_LINKS",
        description="JSON object of per-carrier tracking URL templates with `{n}` (and "
        "optionally `{locale}`), overriding the built-in ones; `dhl_express` for DHL Express "
        'numbers, e.g. `{"ups": "https://…?loc={locale}&tracknum={n}"}`.',
    )
    carrier_phones: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        validation_alias="NOTIFIER_CARRIER_PHONES",
        description="JSON object of carrier phone numbers by customer country, laid over "
        'the built-in US ones, e.g. `{"ups": {"CA": "1-800-742-5877"}}`. Where none is '
        "known for the customer's country, e-mails link the carrier's contact page.",
    )
    carrier_contact_pages: dict[str, ContactPage] = Field(
        default_factory=dict,
        validation_alias="NOTIFIER_CARRIER_CONTACT_PAGES",
        description="JSON object of carrier contact pages (https), overriding the built-in ones.",
    )

    # --- e-mail identity ---------------------------------------------------------------
    sender_address: EmailStr = Field(
        _MAIL.sender_address,
        validation_alias="NOTIFIER_SENDER_ADDRESS",
        description="From address (and SMTP envelope sender) of every e-mail.",
    )
    sender_name: str = Field(
        _MAIL.sender_name,
        validation_alias="NOTIFIER_SENDER_NAME",
        description="Display name of the From address.",
    )
    message_id_domain: str = Field(
        _MAIL.message_id_domain,
        max_length=253,
        pattern=HOSTNAME_PATTERN,
        validation_alias="NOTIFIER_MESSAGE_ID_DOMAIN",
        description="Right-hand side of the deterministic Message-IDs.",
    )

    # --- transports --------------------------------------------------------------------
    transport: Literal["smtp", "http_api"] = Field(
        "smtp",
        validation_alias="NOTIFIER_TRANSPORT",
        description="How e-mail leaves: `smtp` or `http_api`.",
    )
    smtp_host: str = Field(
        "127.0.0.1",
        validation_alias="SMTP_HOST",
        description="SMTP server; the default is the embedded stack's capture.",
    )
    smtp_port: int = Field(1025, ge=1, le=65535, validation_alias="SMTP_PORT", description="Port.")
    smtp_security: Literal["auto", "starttls", "tls", "none"] = Field(
        "auto",
        validation_alias="SMTP_SECURITY",
        description="`starttls` (required), `tls` (implicit, port 465), `none`, or "
        "`auto`: STARTTLS when the server offers it.",
    )
    smtp_username: str | None = Field(
        None, validation_alias="SMTP_USERNAME", description="AUTH user; unset: no AUTH."
    )
    smtp_password: SecretStr | None = Field(
        None, validation_alias="SMTP_PASSWORD", description="AUTH password (secret)."
    )
    smtp_timeout: float = Field(
        30.0, gt=0, validation_alias="SMTP_TIMEOUT", description="Seconds per SMTP command."
    )
    smtp_validate_certs: bool = Field(
        True, validation_alias="SMTP_VALIDATE_CERTS", description="Check the TLS certificate."
    )
    email_api_url: HttpUrl | None = Field(
        None,
        validation_alias="NOTIFIER_EMAIL_API_URL",
        description="Endpoint the `http_api` transport POSTs each e-mail to (JSON).",
    )
    email_api_key: SecretStr | None = Field(
        None,
        validation_alias="NOTIFIER_EMAIL_API_KEY",
        description="Bearer token of the e-mail API.",
    )
    chat_webhook_url: SecretStr | None = Field(
        None,
        validation_alias="NOTIFIER_CHAT_WEBHOOK_URL",
        description="Slack-compatible incoming webhook for operations alerts. Unset: ops "
        "alerts are recorded as skipped (metric), nothing is posted.",
    )
    http_timeout: float = Field(
        10.0,
        gt=0,
        validation_alias="NOTIFIER_HTTP_TIMEOUT",
        description="Seconds per request to the e-mail API or the chat webhook.",
    )

    # --- sending and retries -----------------------------------------------------------
    send_batch_size: int = Field(
        50, ge=1, validation_alias="NOTIFIER_SEND_BATCH_SIZE", description="Rows per claim."
    )
    send_concurrency: int = Field(
        8,
        ge=1,
        validation_alias="NOTIFIER_SEND_CONCURRENCY",
        description="Messages in flight at once (SMTP connections kept open).",
    )
    send_poll_interval: float = Field(
        1.0,
        gt=0,
        validation_alias="NOTIFIER_SEND_POLL_INTERVAL",
        description="Seconds between looks for due messages when nothing wakes the sender.",
    )
    retry_initial: float = Field(
        5.0,
        gt=0,
        validation_alias="NOTIFIER_RETRY_INITIAL_SECONDS",
        description="First retry delay after a transient failure (doubles, with jitter).",
    )
    retry_max: float = Field(
        900.0, gt=0, validation_alias="NOTIFIER_RETRY_MAX_SECONDS", description="Delay cap."
    )
    max_attempts: int = Field(
        12,
        ge=1,
        validation_alias="NOTIFIER_MAX_ATTEMPTS",
        description="Attempts before a transiently failing message is given up.",
    )
    max_age: float = Field(
        86400.0,
        gt=0,
        validation_alias="NOTIFIER_MAX_AGE_SECONDS",
        description="Age after which a message still failing is given up.",
    )

    @model_validator(mode="after")
    def _transport_configured(self) -> "NotifierSettings":
        if self.transport == "http_api" and self.email_api_url is None:
            raise ValueError("NOTIFIER_TRANSPORT=http_api needs NOTIFIER_EMAIL_API_URL")
        if self.smtp_password is not None and self.smtp_username is None:
            raise ValueError("SMTP_PASSWORD needs SMTP_USERNAME")
        return self

    @property
    def routing(self) -> RoutingSettings:
        return RoutingSettings(
            out_for_delivery=self.notify_out_for_delivery,
            available_for_pickup=self.notify_available_for_pickup,
            delivery_attempted=self.notify_delivery_attempted,
            delivered=self.notify_delivered,
            quiet_from=self.quiet_hours_start,
            quiet_until=self.quiet_hours_end,
        )

    @property
    def contacts(self) -> CarrierContactSettings:
        return CarrierContactSettings().merged(self.carrier_phones, self.carrier_contact_pages)

    @property
    def links(self) -> LinkSettings:
        return LinkSettings(templates={**LinkSettings().templates, **self.tracking_links})

    @property
    def mail(self) -> MailSettings:
        return MailSettings(
            sender_address=self.sender_address,
            sender_name=self.sender_name,
            message_id_domain=self.message_id_domain,
        )

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(
            initial=self.retry_initial,
            maximum=self.retry_max,
            max_attempts=self.max_attempts,
            max_age=self.max_age,
        )
