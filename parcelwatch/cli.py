"""``parcelwatch``: the single entry point for operators."""

import click

from parcelwatch.asyncapi import asyncapi
from parcelwatch.commands import migrate, run, schemas, topics
from parcelwatch.devstack.cli import dev
from parcelwatch.dlq import dlq
from parcelwatch.faultproxy import proxy_command
from parcelwatch.ops.cli import ops
from parcelwatch.simulator.cli import simulate
from services.notifier.capture.cli import mail
from services.notifier.cli import notify
from services.poller.cli import carriers
from services.poller.emulator.cli import carriers_command
from services.sla.cli import sla


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """ParcelWatch: event-driven carrier tracking."""


main.add_command(sla)
main.add_command(carriers)
main.add_command(notify)
main.add_command(run)
main.add_command(migrate)
dev.add_command(carriers_command)
main.add_command(dev)
dev.add_command(simulate)
dev.add_command(mail)
dev.add_command(ops)
dev.add_command(proxy_command)
main.add_command(schemas)
main.add_command(asyncapi)
main.add_command(topics)
main.add_command(dlq)

if __name__ == "__main__":
    main()
