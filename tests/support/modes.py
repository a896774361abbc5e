"""The permission bits of a folder and of every folder above it: what no tool may change."""

import stat
from pathlib import Path


def modes_along(path: Path) -> dict[Path, str]:
    """``path`` and each of its ancestors → its mode, as ``ls`` shows it."""
    path = path.resolve()
    return {folder: stat.filemode(folder.stat().st_mode) for folder in (path, *path.parents)}


def changed_modes(before: dict[Path, str], after: dict[Path, str]) -> list[str]:
    """The folders whose mode differs between two readings, as ``path: old -> new``."""
    return [f"{p}: {before[p]} -> {after.get(p)}" for p in before if after.get(p) != before[p]]
