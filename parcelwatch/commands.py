"""``parcelwatch run`` and ``parcelwatch migrate``."""

import asyncio
from pathlib import Path

import click

from parcelwatch.registry import SERVICES, run_migrations
from shared.contracts.schemas import event_schemas, render
from shared.contracts.topics import all_with_dead_letters
from shared.infra.kafka import ensure_topics
from shared.infra.logging import configure_logging
from shared.infra.service import run_until_signalled
from shared.infra.settings import KafkaSettings, ObservabilitySettings

_SERVICE = click.Choice(sorted(SERVICES))


@click.command()
@click.argument("service", type=_SERVICE)
def run(service: str) -> None:
    """Run one service until SIGTERM or Ctrl-C (settings from the environment)."""
    spec = SERVICES[service]
    observability = ObservabilitySettings()
    configure_logging(observability.log_level, observability.log_format, service=service)
    settings = spec.settings()
    run_until_signalled(lambda: spec.build(settings))


@click.command()
@click.option("--service", "services", type=_SERVICE, multiple=True, help="Only these services.")
def migrate(services: tuple[str, ...]) -> None:
    """Apply pending database migrations (all services by default). Safe to repeat."""
    observability = ObservabilitySettings()
    configure_logging(observability.log_level, "text")
    names = list(services) or list(SERVICES)
    for name, applied in run_migrations(names).items():
        click.echo(f"{name}: {', '.join(applied) if applied else 'up to date'}")


@click.command()
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("docs/events")
)
@click.option("--check", is_flag=True, help="Fail if the committed schemas differ.")
def schemas(out: Path, check: bool) -> None:
    """Write (or check) the JSON Schema of every event type."""
    expected = {f"{name}.json": render(schema) for name, schema in event_schemas().items()}
    if check:
        stale = sorted(
            name
            for name, text in expected.items()
            if not (out / name).exists() or (out / name).read_text() != text
        )
        extra = sorted(p.name for p in out.glob("*.json") if p.name not in expected)
        if stale or extra:
            raise click.ClickException(f"schemas out of date: {stale + extra}; run make schemas")
        click.echo(f"{len(expected)} schemas up to date")
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, text in expected.items():
        (out / name).write_text(text)
    click.echo(f"wrote {len(expected)} schemas to {out}")


@click.command()
def topics() -> None:
    """Create the missing topics (and their dead-letter topics). Safe to repeat."""
    created = asyncio.run(ensure_topics(KafkaSettings(), all_with_dead_letters()))
    click.echo(f"created: {', '.join(created)}" if created else "all topics exist")
