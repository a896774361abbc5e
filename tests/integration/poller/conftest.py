"""A poller service on a migrated pool of its own schema, its clock at ``NOW``."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from prometheus_client import CollectorRegistry

from services.poller.carriers.registry import tracking_numbers
from services.poller.metrics import PollerMetrics
from services.poller.scheduler import PollingPolicy
from services.poller.service import PollerService
from services.poller.spec import SPEC
from shared.infra.settings import DatabaseSettings
from tests.support.batches import migrated_pool
from tests.support.clock import FakeClock

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.fixture
async def pool(database_settings: DatabaseSettings) -> AsyncIterator[asyncpg.Pool]:
    async with migrated_pool(database_settings, SPEC) as pool:
        yield pool


@pytest.fixture
def service(pool: asyncpg.Pool) -> PollerService:
    return PollerService(
        pool,
        clock=FakeClock(NOW),
        policy=PollingPolicy(),
        numbers=tracking_numbers(),
        skip_check_digits=False,
        metrics=PollerMetrics(CollectorRegistry()),
    )
