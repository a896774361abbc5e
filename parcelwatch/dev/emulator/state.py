"""The emulator's memory: when each number was first seen, its request count, tokens."""

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from parcelwatch.dev.emulator import lifecycle
from parcelwatch.dev.emulator.faults import Fault, Spoil, fault_for
from parcelwatch.dev.emulator.scenarios import Scenario, scenario_of
from parcelwatch.dev.emulator.settings import EmulatorSettings
from parcelwatch.dev.emulator.tokens import TokenStore
from services.poller.tracking_numbers import compact
from shared.infra.clock import ScaledClock


class Emulator:
    """Shared by the four carrier APIs; all state lives in memory."""

    def __init__(self, settings: EmulatorSettings, clock: ScaledClock) -> None:
        self.settings = settings
        self.clock = clock
        self.tokens = TokenStore(settings.token_ttl, clock.real.now)
        self._started: dict[tuple[str, str], datetime] = {}
        self._requests: Counter[tuple[str, str]] = Counter()

    def journey(self, carrier: str, number: str) -> tuple[Scenario, lifecycle.Journey]:
        """The number's scenario and what the carrier knows now; the first call starts it."""
        now = self.clock.now()
        started = self._started.setdefault((carrier, compact(number)), now)
        scenario = scenario_of(carrier, number)
        return scenario, lifecycle.journey(scenario, started, now)

    def requests(self, carrier: str, number: str) -> int:
        """Tracking requests counted for ``number`` so far."""
        return self._requests[(carrier, compact(number))]

    async def admit(self, carrier: str, numbers: Sequence[str]) -> Fault | Spoil | None:
        """Count one request for ``numbers``, wait if one is slow, and pick its failure.

        A batch fails as a whole when any of its numbers calls for a failure; a failure
        (an error status) wins over a spoiled answer.
        """
        faults: list[Fault | Spoil] = []
        slow = False
        for number in numbers:
            key = (carrier, compact(number))
            self._requests[key] += 1
            scenario = scenario_of(carrier, number)
            slow = slow or scenario is Scenario.SLOW
            fault = fault_for(
                scenario,
                self._requests[key],
                spoiled=self.settings.fault_requests,
                outage=self.settings.outage_requests,
            )
            if fault is not None:
                faults.append(fault)
        if slow:
            await asyncio.sleep(self.settings.slow_seconds)
        faults.sort(key=lambda fault: not isinstance(fault, Fault))
        return faults[0] if faults else None
