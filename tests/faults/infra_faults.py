"""Pause, restart and probe the embedded broker and PostgreSQL of a :class:`DevStack`; run
a service replica until it dies at a crash point."""

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil  # type: ignore[import-untyped]

from parcelwatch.dev.stack import postgres as embedded
from parcelwatch.dev.stack.processes import port_open, wait_for_port
from shared.infra.crash import ENV_VAR, EXIT_CODE
from tests.faults.harness import SERVICES, DevStack


def ready(stack: DevStack, service: str) -> bool:
    """``/readyz`` answers 200 (broker and database reachable)."""
    try:
        return httpx.get(f"{stack.http(service)}/readyz", timeout=5.0).is_success
    except httpx.TransportError:
        return False


def wait_for(
    condition: str, check: Callable[[], bool], timeout: float, every: float = 0.5
) -> float:
    """Poll ``check()`` until true; returns the seconds it took, fails after ``timeout``."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, f"not {condition} after {timeout:.0f} s"
        time.sleep(every)
    return time.monotonic() - started


def in_flight(stack: DevStack, timeout: float = 120.0) -> None:
    """Until the first message is sent: orders, tracking and SLA events flow."""

    def sent() -> bool:
        rows = asyncio.run(
            stack.fetch("SELECT count(*) AS n FROM notifier.notifications WHERE state = 'sent'")
        )
        return int(rows[0]["n"]) > 0

    wait_for("a message sent", sent, timeout)


def service_pids(stack: DevStack) -> dict[str, int | None]:
    return {name: stack.service_pid(name) for name in SERVICES}


def start_stack(var: Path) -> DevStack:
    """A started :class:`DevStack`."""
    stack = DevStack(var)
    stack.start()
    return stack


def wait_started(stack: DevStack, timeout: float = 90.0) -> None:
    """Until every service has joined its consumer groups and runs its background tasks
    (the outbox relay, the topic guard): ``dev up`` reports healthy before that."""
    logs = [stack.var / "log" / f"{name}.log" for name in SERVICES]
    wait_for(
        "every service started",
        lambda: all("service started" in log.read_text(errors="replace") for log in logs),
        timeout,
    )


def broker_process(stack: DevStack) -> psutil.Process:
    pid = stack.embedded_broker_pid()
    assert pid is not None, "the stack runs no embedded broker"
    return psutil.Process(pid)


@contextlib.contextmanager
def paused(process: psutil.Process) -> Iterator[None]:
    """SIGSTOP ``process`` for the block, SIGCONT after (also on failure)."""
    process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        process.send_signal(signal.SIGCONT)


@dataclass
class RestartedBroker:
    """The broker started again by :func:`restart_broker`: ``dev up`` no longer owns it."""

    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def restart_broker(stack: DevStack, log: Path) -> RestartedBroker:
    """kill -9 the embedded broker and start it again with the same arguments on the
    same port: it comes back empty (memory storage)."""
    process = broker_process(stack)
    command = process.cmdline()
    process.kill()  # ``dev up`` reaps it later: a zombie until then
    port = int(stack.bootstrap.rsplit(":", 1)[1])
    wait_for("the broker port closed", lambda: not port_open("127.0.0.1", port), 10, 0.05)
    with open(log, "ab") as sink:
        started = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    wait_for_port("127.0.0.1", port, timeout=30, process=started)
    return RestartedBroker(started)


@dataclass
class StackPostgres:
    """The stack's PostgreSQL, driven with ``pg_ctl`` (as the server's own user)."""

    data_dir: Path
    bin_dir: Path
    pid: int

    @classmethod
    def of(cls, stack: DevStack) -> "StackPostgres":
        assert stack.process is not None
        for child in psutil.Process(stack.process.pid).children(recursive=False):
            with contextlib.suppress(psutil.Error):
                cmd = child.cmdline()
                if cmd and Path(cmd[0]).name == "postgres" and "-D" in cmd:
                    return cls(Path(cmd[cmd.index("-D") + 1]), Path(cmd[0]).parent, child.pid)
        raise AssertionError("the stack runs no embedded PostgreSQL")

    def pg_ctl(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args],
            capture_output=True,
            timeout=timeout,
            user=embedded.SYSTEM_USER if os.geteuid() == 0 else None,
            check=True,
        )

    def restart_immediate(self) -> None:
        """``pg_ctl restart -m immediate``: no checkpoint, open transactions cut off, crash
        recovery at start-up. The new server is a daemon ``dev up`` does not own."""
        self.pg_ctl("restart", "-m", "immediate", "-w", "-l", str(self.data_dir / "restart.log"))

    def stop(self) -> None:
        """Stop the server ``restart_immediate`` started, if it still runs."""
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.pg_ctl("stop", "-m", "fast", "-w")


def wait_for_rows(stack: DevStack, query: str, timeout: float = 120.0) -> None:
    """Until ``query`` (a count) is positive: traffic reached that point."""
    wait_for(query, lambda: int(asyncio.run(stack.fetch(query))[0][0]) > 0, timeout)


def crash_in_place_of(
    stack: DevStack, service: str, point: str, log: Path, settings: dict[str, str] | None = None
) -> None:
    """Stop the stack's ``service`` with the supervisor paused, run a replica with the crash
    point (and ``settings``) until it dies there, then let the supervisor restart the
    stack's own."""
    with stack.supervisor_paused():
        pid = stack.service_pid(service)
        assert pid is not None, f"{service} is not running"
        env = stack.service_env(service)
        stack.stop_service(service)
        replica, _ = stack.replica(service, log, {**env, **(settings or {}), ENV_VAR: point})
        code = replica.wait(timeout=180)
    assert code == EXIT_CODE, log.read_text()[-3000:]
    assert f"crash point {point} reached" in log.read_text()
    stack.wait_restarted(service, pid)
