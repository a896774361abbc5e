"""``parcelwatch sla``: the deadlines the sla service computes, from the command line.

Each command prints one ISO 8601 timestamp with the offset of the seller's zone. Bad
input gives a one-line ``Error: ...`` on stderr and exit status 2.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click

from services.sla.calendar import BusinessCalendar
from services.sla.deadlines import (
    customer_ship_promise,
    dispute_documents_deadline,
    ship_by_deadline,
)
from services.sla.localtime import UnknownTimeZone, time_zone
from services.sla.rules import SlaRules

F = TypeVar("F", bound=Callable[..., Any])


class _BadInput(click.ClickException):
    exit_code = 2


class _Command(click.Command):
    """A command that reports usage errors on one line, without the usage text."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise _BadInput(exc.format_message()) from None


class _Group(click.Group):
    command_class = _Command


class _AwareDateTime(click.ParamType[datetime]):
    name = "datetime"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 date-time", param, ctx)
        if moment.utcoffset() is None:
            self.fail(f"{value!r} has no UTC offset, e.g. 2026-11-23T14:05:00-05:00", param, ctx)
        return moment


class _TimeZone(click.ParamType[ZoneInfo]):
    name = "zone"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> ZoneInfo:
        try:
            return time_zone(value)
        except UnknownTimeZone as exc:
            self.fail(str(exc), param, ctx)


def _seller_options(command: F) -> F:
    options = (
        click.option("--country", required=True, help="Seller's country, ISO 3166-1: US, DE."),
        click.option("--subdivision", help="Seller's state or province code: NY, BY."),
        click.option(
            "--timezone", "zone", required=True, type=_TimeZone(), help="America/New_York."
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


@contextmanager
def _bad_input() -> Iterator[None]:
    try:
        yield
    except (ValueError, OverflowError) as exc:
        raise _BadInput(str(exc)) from None


@click.group(cls=_Group)
def sla() -> None:
    """SLA deadlines, computed as the sla service does."""


@sla.command("ship-by")
@click.option(
    "--confirmed-at",
    required=True,
    type=_AwareDateTime(),
    help="Confirmation time with its UTC offset: 2026-11-23T14:05:00-05:00.",
)
@_seller_options
@click.option("--large", is_flag=True, help="The order contains a large item.")
@click.option(
    "--audience",
    type=click.Choice(["seller", "customer"]),
    default="seller",
    show_default=True,
    help="seller: the deadline (13:00 cutoff) behind seller and ops breaches; customer: the "
    "help page's promise, end of the first business day after the confirmation day.",
)
def ship_by(
    confirmed_at: datetime,
    country: str,
    subdivision: str | None,
    zone: ZoneInfo,
    large: bool,
    audience: str,
) -> None:
    """The ship-by deadline of an order, for the seller or as promised to the customer."""
    deadline_of = ship_by_deadline if audience == "seller" else customer_ship_promise
    with _bad_input():
        calendar = BusinessCalendar(country, subdivision)
        deadline = deadline_of(
            confirmed_at, large=large, calendar=calendar, zone=zone, rules=SlaRules()
        )
    click.echo(deadline.isoformat())


@sla.command("dispute-deadline")
@click.option(
    "--expected-delivery",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Expected delivery date: 2026-11-25.",
)
@_seller_options
def dispute_deadline(
    expected_delivery: datetime, country: str, subdivision: str | None, zone: ZoneInfo
) -> None:
    """The deadline for a customer's dispute documents."""
    with _bad_input():
        calendar = BusinessCalendar(country, subdivision)
        deadline = dispute_documents_deadline(
            expected_delivery.date(), calendar=calendar, zone=zone, rules=SlaRules()
        )
    click.echo(deadline.isoformat())
