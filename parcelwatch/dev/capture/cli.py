"""``parcelwatch dev mail``: the local SMTP capture and its inbox page."""

import logging
from pathlib import Path

import click

from parcelwatch.dev.capture.server import CaptureConfig, run_until_signalled
from shared.infra.logging import configure_logging

_DEFAULT = CaptureConfig()


@click.command("mail")
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=_DEFAULT.folder,
    show_default=True,
    envvar="DEV_MAIL_FOLDER",
    help="Where each message is kept as an .eml file.",
)
@click.option("--host", default=_DEFAULT.host, show_default=True, envvar="DEV_MAIL_HOST")
@click.option(
    "--smtp-port", default=_DEFAULT.smtp_port, show_default=True, envvar="DEV_MAIL_SMTP_PORT"
)
@click.option(
    "--http-port", default=_DEFAULT.http_port, show_default=True, envvar="DEV_MAIL_HTTP_PORT"
)
def mail(folder: Path, host: str, smtp_port: int, http_port: int) -> None:
    """Capture e-mail on SMTP and show it on an inbox page, until Ctrl-C."""
    configure_logging("INFO", "text")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    click.echo(
        f"SMTP capture on {host}:{smtp_port}, inbox on http://{host}:{http_port}/ "
        f"(messages in {folder}); Ctrl-C stops it.",
    )
    run_until_signalled(CaptureConfig(folder, host, smtp_port, http_port))
