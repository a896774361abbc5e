"""Headless Chromium for the journeys' screenshots, as the notifier's rendering test gets it."""

import pytest

from tests.integration.notifier.conftest import INSTALL_HINT, ensure_chromium


@pytest.fixture(scope="session")
def chromium() -> str:
    path = ensure_chromium()
    if path is None:
        pytest.skip(f"Chromium is missing and could not be installed here: {INSTALL_HINT}")
    return path
