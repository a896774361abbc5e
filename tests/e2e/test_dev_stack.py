"""``parcelwatch dev up``: the embedded stack starts, serves health, and stops cleanly."""

import signal
import time
from pathlib import Path

import httpx
import psutil

from parcelwatch.devstack.processes import port_open
from tests.support.dev_up import environment, free_ports, start

SERVICES = ("POLLER", "SLA", "NOTIFIER")


def test_dev_up_starts_everything_and_ctrl_c_leaves_nothing_behind(tmp_path: Path) -> None:
    ports = free_ports()
    env = environment(ports, tmp_path / "var")
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
