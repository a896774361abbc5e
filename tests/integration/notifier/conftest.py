"""Headless Chromium for the rendering test, installed from Debian where missing."""

import os
import shutil
import subprocess

import pytest

INSTALL_HINT = "apt-get install -y chromium (Debian's package; needs root)"


def ensure_chromium() -> str | None:
    """The path of ``chromium``, installing Debian's package first when we can."""
    found = shutil.which("chromium")
    if found or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"],
    ):
        if subprocess.run(command, env=env, capture_output=True, timeout=1200).returncode:
            return None
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium() -> str:
    path = ensure_chromium()
    if path is None:
        pytest.skip(f"Chromium is missing and could not be installed here: {INSTALL_HINT}")
    return path
