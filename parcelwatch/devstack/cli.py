"""``parcelwatch dev``: the embedded development stack."""

import sys

import click

from parcelwatch.devstack.stack import StackError, up


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
