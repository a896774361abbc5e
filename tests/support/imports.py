"""What importing a module loads, seen from a fresh interpreter."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_LIST_MODULES = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(*sorted(sys.modules))
"""


def modules_after_importing(*modules: str) -> list[str]:
    """Every module a fresh interpreter holds after importing ``modules``, sorted."""
    done = subprocess.run(
        [sys.executable, "-c", _LIST_MODULES, *modules],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()
