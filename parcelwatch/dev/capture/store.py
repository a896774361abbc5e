"""Captured messages on disk: ``<folder>/<ns>-<digest>.eml``; chat posts under ``chat/``."""

import hashlib
import json
import re
import time
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^\d{10,24}-[0-9a-f]{12}\.(eml|json)$")


class UnknownMessage(LookupError):
    """No captured message has that name (or the name is not one we make)."""


class MailStore:
    """A folder of captured e-mails (and chat posts); names sort by arrival."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.chat_folder = folder / "chat"

    def save(self, raw: bytes) -> str:
        """Keep one message exactly as received; returns its name."""
        return self._write(self.folder, raw, "eml")

    def save_chat(self, payload: dict[str, Any]) -> str:
        """Keep one webhook post; returns its name."""
        return self._write(self.chat_folder, json.dumps(payload, indent=2).encode(), "json")

    def names(self) -> list[str]:
        """Captured e-mails, newest first."""
        return _listing(self.folder, "eml")

    def chat_names(self) -> list[str]:
        """Captured chat posts, newest first."""
        return _listing(self.chat_folder, "json")

    def read(self, name: str) -> bytes:
        return _read(self.folder, name, "eml")

    def read_chat(self, name: str) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(_read(self.chat_folder, name, "json"))
        return payload

    @staticmethod
    def _write(folder: Path, data: bytes, suffix: str) -> str:
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{hashlib.sha256(data).hexdigest()[:12]}.{suffix}"
        partial = folder / f".{name}.part"
        partial.write_bytes(data)
        partial.rename(folder / name)  # readers never see half a file
        return name


def _listing(folder: Path, suffix: str) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted((p.name for p in folder.glob(f"*.{suffix}") if _NAME.match(p.name)), reverse=True)


def _read(folder: Path, name: str, suffix: str) -> bytes:
    if not _NAME.match(name) or not name.endswith(f".{suffix}"):
        raise UnknownMessage(name)
    try:
        return (folder / name).read_bytes()
    except FileNotFoundError:
        raise UnknownMessage(name) from None
