"""The carriers the poller knows: one line each in ``CARRIERS``, naming its folder.

A carrier folder ``<slug>/`` exposes ``PLUGIN`` (a :class:`CarrierPlugin`) in ``plugin.py``.
"""

import importlib
from collections.abc import Mapping
from functools import cache
from typing import Any

from services.poller.carriers.plugin import CarrierPlugin
from services.poller.tracking_numbers import TrackingNumbers

CARRIERS = (
    "dhl",
    "fedex",
    "ups",
    "usps",
)


@cache
def registry() -> Mapping[str, CarrierPlugin[Any]]:
    """Every carrier's plugin, keyed by slug."""
    plugins: dict[str, CarrierPlugin[Any]] = {}
    for slug in CARRIERS:
        plugin = importlib.import_module(f"{__package__}.{slug}.plugin").PLUGIN
        if not isinstance(plugin, CarrierPlugin) or plugin.slug != slug:
            raise TypeError(f"{slug}/plugin.py must define PLUGIN, a CarrierPlugin for {slug!r}")
        plugins[slug] = plugin
    return plugins


@cache
def tracking_numbers() -> TrackingNumbers:
    """Every carrier's tracking-number formats."""
    return TrackingNumbers({slug: plugin.formats for slug, plugin in registry().items()})
