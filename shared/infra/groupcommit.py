"""Group commit: writes that come while one is under way share the next one."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupCommit(Generic[T]):
    """Writes items together: the first caller writes every item waiting, then those that
    came meanwhile, while the others wait for theirs. Nothing waits for a group to fill:
    a lone item is written at once, and a busy writer's next group is whatever queued."""

    def __init__(self, write: Callable[[Sequence[T]], Awaitable[None]]) -> None:
        self._write = write
        self._waiting: list[tuple[T, asyncio.Future[None]]] = []
        self._writing = False

    async def record(self, item: T) -> None:
        """Return once ``item`` is written; raise what its group's write raised."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if not self._writing:
            self._writing = True
            try:
                while self._waiting:
                    group, self._waiting = self._waiting, []
                    try:
                        await self._write([item for item, _ in group])
                    except Exception as exc:
                        for _, future in group:
                            future.set_exception(exc)
                    else:
                        for _, future in group:
                            future.set_result(None)
            finally:
                self._writing = False
        await done
