"""Migrations against a real PostgreSQL."""

from pathlib import Path

import asyncpg
import pytest

from shared.infra.migrations import MigrationError, migrate


async def _tables(conn: asyncpg.Connection, schema: str) -> set[str]:
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
    )
    return {r["table_name"] for r in rows}


@pytest.fixture
def service_dir(tmp_path: Path) -> Path:
    (tmp_path / "0001_widgets.sql").write_text("CREATE TABLE widgets (id int PRIMARY KEY);")
    (tmp_path / "0002_gadgets.sql").write_text("CREATE TABLE gadgets (id int PRIMARY KEY);")
    return tmp_path


async def test_migrating_from_empty_gives_the_full_schema(
    database_url: str, service_dir: Path
) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        applied = await migrate(conn, "demo", service_dir)
        assert applied == [
            "infra/0001_outbox_inbox.sql",
            "service/0001_widgets.sql",
            "service/0002_gadgets.sql",
        ]
        assert await _tables(conn, "demo") == {
            "schema_migrations",
            "outbox",
            "inbox",
            "widgets",
            "gadgets",
        }
        assert await _tables(conn, "public") == set()
    finally:
        await conn.close()


async def test_migrating_twice_is_a_no_op(database_url: str, service_dir: Path) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn, "demo", service_dir)
        assert await migrate(conn, "demo", service_dir) == []
        (service_dir / "0003_more.sql").write_text("CREATE TABLE more (id int);")
        assert await migrate(conn, "demo", service_dir) == ["service/0003_more.sql"]
    finally:
        await conn.close()


async def test_concurrent_migrations_apply_each_file_once(
    database_url: str, service_dir: Path
) -> None:
    import asyncio

    conns = [await asyncpg.connect(database_url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(c, "demo", service_dir) for c in conns))
        assert sorted(len(r) for r in results) == [0, 0, 3]
    finally:
        for conn in conns:
            await conn.close()


async def test_migration_fails_when_an_applied_file_changed(
    database_url: str, service_dir: Path
) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn, "demo", service_dir)
        (service_dir / "0001_widgets.sql").write_text("CREATE TABLE widgets (id bigint);")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(conn, "demo", service_dir)
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_nothing_half_applied(
    database_url: str, service_dir: Path
) -> None:
    (service_dir / "0003_broken.sql").write_text(
        "CREATE TABLE half (id int); SELECT no_such_function();"
    )
    conn = await asyncpg.connect(database_url)
    try:
        with pytest.raises(asyncpg.UndefinedFunctionError):
            await migrate(conn, "demo", service_dir)
        assert "half" not in await _tables(conn, "demo")
        assert "gadgets" in await _tables(conn, "demo")
    finally:
        await conn.close()
