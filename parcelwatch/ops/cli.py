"""`parcelwatch dev ops`: serve the ops page."""

import click
import uvicorn

from parcelwatch.ops.app import build_app
from parcelwatch.ops.settings import OpsSettings


@click.command("ops")
@click.option("--port", type=int, default=None, help="Port (default: OPS_HTTP_PORT, 8080).")
def ops(port: int | None) -> None:
    """Serve the ops page over the services' query APIs (settings: OPS_*)."""
    settings = OpsSettings()
    uvicorn.run(
        build_app(settings),
        host=settings.http_host,
        port=port or settings.http_port,
        log_level="warning",
    )
