"""``parcelwatch dev simulate``: realistic order traffic for the embedded stack."""

import asyncio
import signal

import click

from parcelwatch.dev.simulator.runner import Simulator, SimulatorSettings
from parcelwatch.dev.simulator.stories import Story
from shared.infra.logging import configure_logging


@click.command("simulate")
@click.option("--orders", type=click.IntRange(min=1), help="Stop after this many orders.")
@click.option(
    "--per-minute",
    type=click.FloatRange(min=0, min_open=True),
    help="New orders per real minute [SIMULATOR_ORDERS_PER_MINUTE, 20].",
)
@click.option(
    "--stories",
    help="Comma-separated stories the orders follow in turn [SIMULATOR_STORIES, every story].",
)
def simulate(orders: int | None, per_minute: float | None, stories: str | None) -> None:
    """Publish orders, shipments and disputes on orders.v1 that walk every path of the
    system: on time, late, never shipped, never scanned, stalled, lost, damaged, returned,
    pickup, invalid number, delivered-then-disputed, unconfirmed, cancelled.

    Time follows CLOCK_SCALE / CLOCK_ORIGIN, shared with the rest of the stack."""
    overrides: dict[str, object] = {"simulator_orders_per_minute": per_minute} if per_minute else {}
    if stories:
        try:
            overrides["simulator_stories"] = [Story(name.strip()) for name in stories.split(",")]
        except ValueError as exc:
            choices = ", ".join(Story)
            message = f"{exc}; stories are {choices}"
            raise click.BadParameter(message, param_hint="--stories") from None
    settings = SimulatorSettings.model_validate(overrides)
    configure_logging("INFO", "json", service="simulator")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await Simulator(settings, settings.clock()).run(stop, orders)

    asyncio.run(main())
