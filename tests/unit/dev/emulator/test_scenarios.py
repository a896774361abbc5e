import pytest

from parcelwatch.dev.emulator.scenarios import (
    CARRIERS,
    MAX_SERIAL,
    Scenario,
    number_for,
    scenario_of,
)
from services.poller.carriers.registry import tracking_numbers

validate = tracking_numbers().validate


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize("scenario", list(Scenario))
@pytest.mark.parametrize("serial", [0, 1, 4242, MAX_SERIAL])
def test_number_for_gives_a_valid_number_that_scenario_of_reads_back(
    carrier: str, scenario: Scenario, serial: int
) -> None:
    number = number_for(carrier, scenario, serial)

    assert validate(carrier, number) is None
    assert scenario_of(carrier, number) is scenario


@pytest.mark.parametrize("carrier", CARRIERS)
def test_serials_tell_numbers_of_one_scenario_apart(carrier: str) -> None:
    numbers = {number_for(carrier, Scenario.LATE, serial) for serial in range(50)}

    assert len(numbers) == 50


def test_scenario_of_tolerates_spaces_and_lower_case() -> None:
    number = number_for("ups", Scenario.LOST, 7)

    assert scenario_of("ups", f" {number[:6].lower()} {number[6:]} ") is Scenario.LOST


@pytest.mark.parametrize(
    ("carrier", "number"),
    [
        ("ups", "1Z5R89390357567127"),
        ("fedex", "789912345670"),  # scheme prefix, but scenario code 99 does not exist
        ("usps", "9400111206206406260787"),
        ("dhl", "3318810025"),
        ("ontrac", "C12345678901234"),
    ],
)
def test_scenario_of_a_number_outside_the_scheme_is_on_time(carrier: str, number: str) -> None:
    assert scenario_of(carrier, number) is Scenario.ON_TIME


def test_number_for_rejects_an_unknown_carrier_or_serial() -> None:
    with pytest.raises(ValueError, match="unknown carrier"):
        number_for("ontrac", Scenario.ON_TIME, 1)
    with pytest.raises(ValueError, match="serial"):
        number_for("ups", Scenario.ON_TIME, MAX_SERIAL + 1)
