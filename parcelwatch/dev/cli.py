"""``parcelwatch dev``: the embedded development stack and its tools."""

import sys

import click

from parcelwatch.dev.capture.cli import mail
from parcelwatch.dev.emulator.cli import carriers_command
from parcelwatch.dev.faultproxy import proxy_command
from parcelwatch.dev.simulator.cli import simulate
from parcelwatch.dev.stack.stack import StackError, up
from parcelwatch.ops.cli import ops


@click.group()
def dev() -> None:
    """Run ParcelWatch locally without Docker."""


@dev.command("up")
def dev_up() -> None:
    """Start PostgreSQL, the broker and every service; Ctrl-C stops them all."""
    try:
        up()
    except StackError as exc:
        click.echo(f"parcelwatch dev up: {exc}", err=True)
        sys.exit(2)


for command in (carriers_command, simulate, mail, ops, proxy_command):
    dev.add_command(command)
