"""Periodic pruning of the inbox and of published outbox rows."""

import asyncio
import logging

import asyncpg

from shared.infra import inbox, outbox
from shared.infra.periodic import every

log = logging.getLogger(__name__)

_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Housekeeper:
    """Forgets inbox ids and published outbox rows older than ``retention_days``.

    The retention must exceed the longest time a record can be redelivered (consumer lag
    plus the broker's retention), or a very late duplicate would be applied again.
    """

    def __init__(self, pool: asyncpg.Pool, *, retention_days: int, interval: float = 3600.0):
        self._pool = pool
        self._retention_days = retention_days
        self._interval = interval

    async def prune_once(self) -> tuple[int, int]:
        """Prune now; returns (inbox rows, outbox rows) removed."""
        async with self._pool.acquire() as conn:
            return (
                await inbox.prune(conn, self._retention_days),
                await outbox.prune(conn, self._retention_days),
            )

    async def run(self, stop: asyncio.Event) -> None:
        await every(self._interval, stop, self._prune_logged)

    async def _prune_logged(self) -> None:
        try:
            removed = await self.prune_once()
            if any(removed):
                log.info("pruned inbox and outbox", extra={"removed": removed})
        except _ERRORS as exc:
            log.warning("housekeeping skipped: %s", type(exc).__name__)
