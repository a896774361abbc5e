"""The Prometheus metrics each service exports, read from the real metric classes.

Each service's registry holds the shared :class:`~shared.infra.metrics.InfraMetrics` and
the metrics class its spec names; building them in a fresh registry connects nothing.
Dashboards and alert rules are checked against :func:`exported_series` (tests/deploy).
"""

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from parcelwatch.registry import SERVICES
from shared.infra.metrics import InfraMetrics

_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
}


@dataclass(frozen=True)
class Family:
    """One metric family as Prometheus sees it."""

    service: str
    name: str
    type: str

    @property
    def series(self) -> tuple[str, ...]:
        """The series names a scrape shows for this family (``_total``, ``_bucket``, …)."""
        return tuple(self.name + suffix for suffix in _SUFFIXES[self.type])


def registry_of(service: str) -> CollectorRegistry:
    """A fresh registry holding every metric ``service`` registers when it runs."""
    registry = CollectorRegistry()
    InfraMetrics(service, registry)
    SERVICES[service].metrics(registry)
    return registry


def families() -> list[Family]:
    """Every metric family of every service, sorted by name."""
    found = [
        Family(service, family.name, family.type)
        for service in SERVICES
        for family in registry_of(service).collect()
    ]
    return sorted(found, key=lambda f: f.name)


def exported_series() -> frozenset[str]:
    """Every series name a scrape of the three services can show."""
    return frozenset(name for family in families() for name in family.series)
