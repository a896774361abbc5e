"""Migration file discovery (no database needed)."""

from pathlib import Path

import pytest

from shared.infra.migrations import INFRA_MIGRATIONS, MigrationError, discover


def test_discover_orders_by_version(tmp_path: Path) -> None:
    for name in ("0010_c.sql", "0002_b.sql", "0001_a.sql"):
        (tmp_path / name).write_text("SELECT 1;")
    assert [m.version for m in discover("service", tmp_path)] == [1, 2, 10]


@pytest.mark.parametrize("name", ["1_short.sql", "0001-dash.sql", "0001_UPPER.sql"])
def test_discover_rejects_misnamed_files(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_description"):
        discover("service", tmp_path)


def test_discover_rejects_a_repeated_version(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0001_b.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="appears twice"):
        discover("service", tmp_path)


def test_infra_migrations_are_shipped() -> None:
    assert [m.name for m in discover("infra", INFRA_MIGRATIONS)] == ["infra/0001_outbox_inbox.sql"]
