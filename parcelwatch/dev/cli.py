"""``parcelwatch dev``: the embedded development stack and its tools (each imported on use)."""

import sys

import click

from parcelwatch.cli import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy={
        "carriers": "parcelwatch.dev.emulator.cli:carriers_command",
        "mail": "parcelwatch.dev.capture.cli:mail",
        "ops": "parcelwatch.ops.cli:ops",
        "proxy": "parcelwatch.dev.faultproxy:proxy_command",
        "simulate": "parcelwatch.dev.simulator.cli:simulate",
    },
)
def dev() -> None:
    """Run ParcelWatch locally without Docker."""


@dev.command("up")
def dev_up() -> None:
    """Start PostgreSQL, the broker and every service; Ctrl-C stops them all."""
    from parcelwatch.dev.stack.stack import StackError, up

    try:
        up()
    except StackError as exc:
        click.echo(f"parcelwatch dev up: {exc}", err=True)
        sys.exit(2)
