"""``parcelwatch dev up``: the embedded stack starts, serves health, and stops cleanly."""

import shutil
import signal
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from parcelwatch.dev.stack import postgres
from parcelwatch.dev.stack.processes import port_open
from tests.support.dev_up import environment, free_ports, start
from tests.support.modes import changed_modes, modes_along

SERVICES = ("POLLER", "SLA", "NOTIFIER")


def test_dev_up_starts_everything_and_ctrl_c_leaves_nothing_behind() -> None:
    """Run from a private (0700) folder, like a clone in a home folder: it works, the banner
    says where the database files are, and no folder's permissions change."""
    private = Path(tempfile.mkdtemp(prefix="pw-clone-"))
    try:
        _run_dev_up(private / "var")
    finally:
        postgres.discard(private / "var" / "postgres")
        shutil.rmtree(private)


def _run_dev_up(var: Path) -> None:
    modes_before = modes_along(var.parent)
    ports = free_ports()
    env = environment(ports, var)
    started = time.monotonic()
    stack, banner = start(env)
    try:
        assert time.monotonic() - started < 60, "the stack must start within a minute"
        assert stack.poll() is None, "".join(banner)
        for name in SERVICES:
            reply = httpx.get(f"http://127.0.0.1:{ports[f'{name}_HTTP_PORT']}/healthz", timeout=5)
            assert reply.json() == {"status": "ok", "service": name.lower()}
            ready = httpx.get(f"http://127.0.0.1:{ports[f'{name}_HTTP_PORT']}/readyz", timeout=10)
            assert ready.status_code == 200, ready.text
        emulator = httpx.get(f"http://127.0.0.1:{ports['DEV_EMULATOR_PORT']}/healthz", timeout=5)
        assert emulator.is_success
        inbox = httpx.get(f"http://127.0.0.1:{ports['DEV_MAIL_HTTP_PORT']}/", timeout=5)
        assert inbox.is_success
        overview = httpx.get(f"http://127.0.0.1:{ports['DEV_OPS_PORT']}/api/overview", timeout=10)
        assert overview.is_success, overview.text
        children = psutil.Process(stack.pid).children(recursive=True)
        # postgres, broker, three services, emulator, mail capture, ops page, simulator
        assert len(children) >= 9
    finally:
        stack.send_signal(signal.SIGINT)
        output = stack.communicate(timeout=90)[0]
    assert stack.returncode == 0, output
    assert "stopped" in output
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(c.is_running() for c in children):
        time.sleep(0.1)
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert not [p for p in ports.values() if port_open("127.0.0.1", p)]
    data = next(line.split(": ", 1)[1].strip() for line in banner if "database files:" in line)
    assert Path(data) == postgres.data_location(var / "postgres")
    if postgres.running_as_root():  # its user cannot enter the private folder
        assert Path(data).parent == postgres.DATA_ROOT
    assert changed_modes(modes_before, modes_along(var.parent)) == []
