"""External programs some tests drive (kubectl, promtool, chromium): found on PATH,
installed by `make test-tools` (Debian packages) where missing."""

import shutil

import pytest


def require(program: str) -> str:
    """The path of ``program``; fails (never skips) when it is missing."""
    path = shutil.which(program)
    if path is None:
        pytest.fail(f"{program} is not installed: run `make test-tools` (it uses apt-get)")
    return path
