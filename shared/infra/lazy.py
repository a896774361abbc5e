"""References to code that is imported only when used (``"package.module:attribute"``)."""

import importlib
from typing import Any


def resolve(reference: str) -> Any:
    """The attribute ``reference`` names, importing its module now."""
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)
