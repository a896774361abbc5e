"""``parcelwatch``: the single entry point for operators."""

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """ParcelWatch: event-driven carrier tracking."""
