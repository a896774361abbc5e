"""``parcelwatch dev up`` run by a test: every port free, nothing shared."""

import os
import subprocess
import sys
from pathlib import Path

from parcelwatch.dev.stack.processes import free_port

PORT_SETTINGS = (
    "DEV_POSTGRES_PORT",
    "DEV_BROKER_PORT",
    "DEV_EMULATOR_PORT",
    "DEV_MAIL_SMTP_PORT",
    "DEV_MAIL_HTTP_PORT",
    "DEV_OPS_PORT",
    "POLLER_HTTP_PORT",
    "SLA_HTTP_PORT",
    "NOTIFIER_HTTP_PORT",
)


def free_ports() -> dict[str, int]:
    """A free port for each of :data:`PORT_SETTINGS`."""
    return {name: free_port() for name in PORT_SETTINGS}


def environment(ports: dict[str, int], var: Path, **extra: str) -> dict[str, str]:
    """This process's environment for the stack: embedded PostgreSQL and broker (never a
    ``DATABASE_URL`` or ``KAFKA_BOOTSTRAP_SERVERS`` from outside), ``ports``, runtime data in
    ``var``, and ``extra`` settings."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")
    }
    return env | {k: str(v) for k, v in ports.items()} | {"PARCELWATCH_VAR_DIR": str(var)} | extra


def start(env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    """Start the stack; returns once it printed its banner (or ended) with the lines so far.
    Stop it with SIGINT, as Ctrl-C does."""
    stack = subprocess.Popen(
        [sys.executable, "-m", "parcelwatch.cli", "dev", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert stack.stdout is not None
    banner = []
    for line in stack.stdout:
        banner.append(line)
        if line.startswith("Ctrl-C stops it"):
            break
    return stack, banner
