"""Structured logging: one JSON object a line, carrying ids passed in ``extra``."""

import logging
import sys

from pythonjsonlogger.json import JsonFormatter


def configure_logging(level: str = "INFO", fmt: str = "json", service: str | None = None) -> None:
    """Route every logger to stderr in the chosen format. Call once, at start-up."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        static = {"service": service} if service else None
        handler.setFormatter(
            JsonFormatter(
                "{asctime}{levelname}{name}{message}",
                style="{",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                static_fields=static,
                timestamp=False,
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka logs every rebalance and connection retry at INFO/WARNING; keep ours readable.
    logging.getLogger("aiokafka").setLevel(max(root.level, logging.WARNING))
    # httpx logs every request's full URL at INFO: the chat webhook URL is a secret (it
    # embeds its token), and carrier URLs carry tracking numbers.
    logging.getLogger("httpx").setLevel(max(root.level, logging.WARNING))
