"""Each service's HTTP server: ``/healthz`` (alive), ``/readyz`` (dependencies), ``/metrics``."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Generator, Mapping

import uvicorn
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

ReadinessCheck = Callable[[], Awaitable[bool]]


def health_app(
    *,
    service: str,
    registry: CollectorRegistry,
    checks: Mapping[str, ReadinessCheck],
    check_timeout: float = 3.0,
) -> FastAPI:
    """A FastAPI app with the health and metrics endpoints; services add their routes."""
    app = FastAPI(title=f"ParcelWatch {service}", docs_url="/docs", redoc_url=None)

    @app.get("/healthz", tags=["health"], summary="Liveness: the process serves requests")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get("/readyz", tags=["health"], summary="Readiness: the broker and database answer")
    async def readyz() -> JSONResponse:
        names = list(checks)
        results = await asyncio.gather(*(_bounded(checks[name], check_timeout) for name in names))
        status = dict(zip(names, ("ok" if ok else "failing" for ok in results), strict=True))
        ready = all(results)
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": status},
            status_code=200 if ready else 503,
        )

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


_abandoned: set[asyncio.Task[bool]] = set()


async def _bounded(check: ReadinessCheck, seconds: float) -> bool:
    """The check's answer, or False after ``seconds``: a check cancelled late can still
    take long to unwind (asyncpg shields a connection's release), so we do not wait for
    that, and the answer stays bounded."""
    task = asyncio.ensure_future(check())
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        _abandoned.add(task)
        task.add_done_callback(_forget)
        return False
    return not task.cancelled() and task.exception() is None and task.result()


def _forget(task: asyncio.Task[bool]) -> None:
    _abandoned.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: a failure after the answer is not worth a log line


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the service runtime owns shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def http_server(app: FastAPI, host: str, port: int) -> uvicorn.Server:
    """A server to run with ``await server.serve()`` and stop with ``should_exit = True``."""
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, lifespan="off"
    )
    return _Server(config)
