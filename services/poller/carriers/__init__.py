"""Carrier adapters, one subpackage per carrier slug; adding a carrier means adding a folder.

Each subpackage exposes ``PLUGIN``, a :class:`~services.poller.carriers.base.CarrierPlugin`.
"""

import importlib
import pkgutil
from collections.abc import Mapping
from functools import cache
from typing import Any

from services.poller.carriers.base import CarrierPlugin


@cache
def registry() -> Mapping[str, CarrierPlugin[Any]]:
    """Every carrier plugin found in this package, keyed by slug."""
    plugins: dict[str, CarrierPlugin[Any]] = {}
    for module in pkgutil.iter_modules(__path__):
        if not module.ispkg:
            continue
        plugin = getattr(importlib.import_module(f"{__name__}.{module.name}"), "PLUGIN", None)
        if isinstance(plugin, CarrierPlugin):
            plugins[plugin.slug] = plugin
    return plugins
