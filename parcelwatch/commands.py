"""``parcelwatch run`` and ``parcelwatch migrate``."""

import click

from parcelwatch.registry import SERVICES, run_migrations
from shared.infra.logging import configure_logging
from shared.infra.service import run_until_signalled
from shared.infra.settings import ObservabilitySettings

_SERVICE = click.Choice(sorted(SERVICES))


@click.command()
@click.argument("service", type=_SERVICE)
def run(service: str) -> None:
    """Run one service until SIGTERM or Ctrl-C (settings from the environment)."""
    entry = SERVICES[service]
    observability = ObservabilitySettings()
    configure_logging(observability.log_level, observability.log_format, service=service)
    run_until_signalled(entry.build())


@click.command()
@click.option("--service", "services", type=_SERVICE, multiple=True, help="Only these services.")
def migrate(services: tuple[str, ...]) -> None:
    """Apply pending database migrations (all services by default). Safe to repeat."""
    observability = ObservabilitySettings()
    configure_logging(observability.log_level, "text")
    names = list(services) or list(SERVICES)
    for name, applied in run_migrations(names).items():
        click.echo(f"{name}: {', '.join(applied) if applied else 'up to date'}")
