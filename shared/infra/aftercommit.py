"""Effects that must follow a commit, such as counting in a metric.

A handler registers them with :func:`after_commit` inside the consumer's transaction; they
run once that transaction has committed and are dropped when it rolls back, so a batch
applied again record by record counts each record once.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

_PENDING: ContextVar[list[Callable[[], None]] | None] = ContextVar("after_commit", default=None)


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the enclosing :func:`collecting` block ends without an error;
    outside one, at once."""
    pending = _PENDING.get()
    if pending is None:
        callback()
    else:
        pending.append(callback)


@asynccontextmanager
async def collecting() -> AsyncIterator[None]:
    """Wraps one transaction (entered before it, left after its commit): the callbacks
    registered within run when it succeeds, in order."""
    pending: list[Callable[[], None]] = []
    token = _PENDING.set(pending)
    try:
        yield
    finally:
        _PENDING.reset(token)
    for callback in pending:
        callback()
