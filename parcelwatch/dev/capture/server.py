"""Run the capture: SMTP on :1025 and the inbox page on :8025 (by default), until stopped."""

import asyncio
import logging
import signal
from dataclasses import dataclass
from pathlib import Path

from parcelwatch.dev.capture.smtp import CaptureHandler, SmtpCapture
from parcelwatch.dev.capture.store import MailStore
from parcelwatch.dev.capture.web import inbox_app
from shared.infra.http import http_server

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaptureConfig:
    folder: Path = Path("var/mail")
    host: str = "127.0.0.1"
    smtp_port: int = 1025
    http_port: int = 8025


async def serve(config: CaptureConfig, stop: asyncio.Event) -> None:
    """Serve SMTP and the inbox until ``stop`` is set."""
    store = MailStore(config.folder)
    smtp = SmtpCapture(CaptureHandler(store), config.host, config.smtp_port)
    await smtp.start()
    web = http_server(inbox_app(store), config.host, config.http_port)
    serving = asyncio.create_task(web.serve(), name="mail-capture-http")
    log.info(
        "mail capture: smtp %s:%d, inbox http://%s:%d, folder %s",
        config.host,
        smtp.port,
        config.host,
        config.http_port,
        config.folder,
    )
    try:
        await stop.wait()
    finally:
        web.should_exit = True
        await serving
        await smtp.stop()


def run_until_signalled(config: CaptureConfig) -> None:
    """Serve in a fresh event loop until SIGTERM or SIGINT."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await serve(config, stop)

    asyncio.run(main())
