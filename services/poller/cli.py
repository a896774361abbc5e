"""``parcelwatch carriers``: parse saved carrier responses and inspect tracking numbers."""

import importlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import NoReturn

import click

from services.poller.carriers import render
from services.poller.carriers.codes import CodeTable, load
from services.poller.carriers.registry import registry, tracking_numbers


@click.group("carriers")
def carriers() -> None:
    """Carrier adapters: parse responses, detect tracking-number formats."""


@carriers.command("parse")
@click.option("--carrier", type=click.Choice(sorted(registry())), required=True)
@click.option("--tracking-number", help="The number asked for, when the body does not name it.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def parse(carrier: str, file: Path, tracking_number: str | None) -> None:
    """Print the normalized result of a saved tracking response FILE as a JSON array.

    Not found / not yet available prints status ``unknown`` with a ``not_found`` problem.
    Times with no known zone print as local ISO strings without offset, flagged by a
    ``naive_time`` problem. Exit 2, with one line on stderr, when FILE is not JSON or not
    a tracking response of CARRIER (auth, quota and server errors included).
    """
    try:
        body = json.loads(file.read_bytes())
    except ValueError as exc:
        _fail(f"{file}: not valid JSON ({exc})")
    result = registry()[carrier].parse(body, [tracking_number] if tracking_number else [])
    if not isinstance(result, list):
        failure = render.failure(result)
        _fail(f"{file}: not a {carrier} tracking result: {failure['failure']}: {result.detail}")
    click.echo(json.dumps(render.result(carrier, result), indent=2, ensure_ascii=False))


@carriers.command("codes")
@click.option("--carrier", type=click.Choice(sorted(registry())), required=True)
def codes(carrier: str) -> None:
    """Print CARRIER's code table (codes.csv) as the Markdown table of docs/carriers/."""
    click.echo(code_table(carrier).markdown(), nl=False)


def code_table(carrier: str) -> CodeTable:
    """The code table kept beside a carrier's mapper."""
    folder = Path(importlib.import_module(registry()[carrier].parse.__module__).__file__ or "")
    return load(folder.with_name("codes.csv"))


@carriers.command("detect")
@click.argument("number")
def detect(number: str) -> None:
    """Print every carrier format NUMBER has, as a JSON array (never picks a carrier)."""
    matches = [asdict(m) for m in tracking_numbers().detect(number)]
    click.echo(json.dumps(matches, indent=2))


def _fail(message: str) -> NoReturn:
    click.echo(" ".join(message.split()), err=True)
    raise SystemExit(2)
