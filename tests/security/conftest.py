"""Fixtures of the security checks."""

import io
import logging
from collections.abc import Iterator

import pytest

from shared.infra.logging import configure_logging


@pytest.fixture
def log_buffer() -> Iterator[io.StringIO]:
    """The project's JSON logging, at DEBUG, into a buffer instead of stderr."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("DEBUG", "json", service="security")
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
