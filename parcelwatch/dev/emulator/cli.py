"""``parcelwatch dev carriers``: serve the carrier emulator in the foreground."""

import click

from parcelwatch.dev.emulator.app import server
from parcelwatch.dev.emulator.settings import EmulatorSettings


@click.command("carriers")
@click.option("--host", help="Interface to listen on [EMULATOR_HOST, 127.0.0.1].")
@click.option("--port", type=int, help="Port to listen on [EMULATOR_PORT, 8090].")
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0, min_open=True),
    help="Emulated seconds per real second [CLOCK_SCALE, 1].",
)
def carriers_command(host: str | None, port: int | None, time_scale: float | None) -> None:
    """Serve the UPS, FedEx, USPS and DHL tracking APIs with scripted lifecycles.

    The tracking number chooses the lifecycle; see docs/emulator.md. Ctrl-C stops it.
    """
    given = {"host": host, "port": port, "clock_scale": time_scale}
    settings = EmulatorSettings.model_validate({k: v for k, v in given.items() if v is not None})
    click.echo(
        f"carrier emulator on http://{settings.host}:{settings.port} "
        f"(1 real second = {settings.clock_scale:g} emulated seconds)"
    )
    server(settings).run()
