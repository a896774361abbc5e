"""Named places of a carrier's route, with fixed UTC offsets for local wall times."""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from parcelwatch.dev.emulator.lifecycle import Place


@dataclass(frozen=True, slots=True)
class Site:
    """A scan location as carriers print it."""

    city: str
    state: str | None
    postal_code: str
    country: str
    utc_offset_hours: int

    def local(self, at: datetime) -> datetime:
        """``at`` as wall time here (aware, with this site's offset)."""
        return at.astimezone(timezone(timedelta(hours=self.utc_offset_hours)))

    def offset_text(self) -> str:
        """The offset as ``-05:00``."""
        sign = "-" if self.utc_offset_hours < 0 else "+"
        return f"{sign}{abs(self.utc_offset_hours):02d}:00"


Route = dict[Place, Site]


def us_route(hub: Site) -> Route:
    """Los Angeles to Brooklyn through a carrier's hub."""
    return {
        Place.ORIGIN: Site("LOS ANGELES", "CA", "90021", "US", -8),
        Place.HUB: hub,
        Place.DESTINATION: Site("BROOKLYN", "NY", "11201", "US", -5),
    }
