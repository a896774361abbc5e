import pytest
from click.testing import CliRunner

from parcelwatch.cli import main
from services.sla.cli import sla


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["sla", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("confirmed_at", "country", "subdivision", "zone", "large", "expected"),
    [
        ("2026-11-23T14:05:00-05:00", "US", "NY", "America/New_York", False,
         "2026-11-24T23:59:59-05:00"),
        ("2026-12-24T15:00:00+00:00", "GB", "ENG", "Europe/London", False,
         "2026-12-29T23:59:59+00:00"),
        ("2026-01-05T14:00:00+01:00", "DE", "BY", "Europe/Berlin", False,
         "2026-01-07T23:59:59+01:00"),
        ("2026-11-10T13:00:00+01:00", "FR", None, "Europe/Paris", False,
         "2026-11-12T23:59:59+01:00"),
        ("2026-06-04T16:30:00Z", "JP", None, "Asia/Tokyo", False,
         "2026-06-05T23:59:59+09:00"),
        ("2026-11-23T11:30:00+09:00", "JP", None, "Asia/Tokyo", False,
         "2026-11-24T23:59:59+09:00"),
        ("2026-10-02T06:00:00+10:00", "AU", "NSW", "Australia/Sydney", True,
         "2026-10-06T23:59:59+11:00"),
        ("2026-11-19T15:00:00-03:00", "BR", None, "America/Sao_Paulo", False,
         "2026-11-23T23:59:59-03:00"),
        ("2026-10-01T14:00:00+05:30", "IN", None, "Asia/Kolkata", False,
         "2026-10-05T23:59:59+05:30"),
        ("2026-06-10T23:00:00+00:00", "US", "HI", "Pacific/Honolulu", False,
         "2026-06-12T23:59:59-10:00"),
    ],
)  # fmt: skip
def test_ship_by_prints_deadline_in_seller_zone(
    confirmed_at: str,
    country: str,
    subdivision: str | None,
    zone: str,
    large: bool,
    expected: str,
) -> None:
    args = ["--confirmed-at", confirmed_at, "--country", country, "--timezone", zone]
    args += ["--subdivision", subdivision] if subdivision else []
    args += ["--large"] if large else []
    assert run("ship-by", *args) == (0, expected + "\n", "")


@pytest.mark.parametrize(
    ("expected_delivery", "country", "subdivision", "zone", "expected"),
    [
        ("2026-11-25", "US", None, "America/New_York", "2026-12-01T23:59:59-05:00"),
        ("2026-12-23", "GB", "ENG", "Europe/London", "2026-12-30T23:59:59+00:00"),
        ("2026-06-02", "DE", "BY", "Europe/Berlin", "2026-06-08T23:59:59+02:00"),
        ("2026-05-01", "JP", None, "Asia/Tokyo", "2026-05-11T23:59:59+09:00"),
        ("2026-11-20", "IN", None, "Asia/Kolkata", "2026-11-26T23:59:59+05:30"),
    ],
)
def test_dispute_deadline_prints_deadline_in_seller_zone(
    expected_delivery: str, country: str, subdivision: str | None, zone: str, expected: str
) -> None:
    args = ["--expected-delivery", expected_delivery, "--country", country, "--timezone", zone]
    args += ["--subdivision", subdivision] if subdivision else []
    assert run("dispute-deadline", *args) == (0, expected + "\n", "")


NY = ["--country", "US", "--timezone", "America/New_York"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["ship-by", "--confirmed-at", "2026-11-23T14:05:00", *NY],
            "Error: Invalid value for '--confirmed-at': '2026-11-23T14:05:00' has no UTC offset,"
            " e.g. 2026-11-23T14:05:00-05:00",
        ),
        (
            ["ship-by", "--confirmed-at", "yesterday", *NY],
            "Error: Invalid value for '--confirmed-at': 'yesterday' is not an ISO 8601 date-time",
        ),
        (
            ["ship-by", "--confirmed-at", "2026-11-23T14:05:00Z", "--country", "XX",
             "--timezone", "UTC"],
            "Error: unknown country 'XX': no holiday calendar for it",
        ),
        (
            ["ship-by", "--confirmed-at", "2026-11-23T14:05:00Z", *NY, "--subdivision", "ZZ"],
            "Error: unknown subdivision 'ZZ' of country 'US'",
        ),
        (
            ["ship-by", "--confirmed-at", "2026-11-23T14:05:00Z", "--country", "US",
             "--timezone", "Mars/Olympus_Mons"],
            "Error: Invalid value for '--timezone': unknown time zone 'Mars/Olympus_Mons'",
        ),
        (["ship-by", *NY], "Error: Missing option '--confirmed-at'."),
        (
            ["ship-by", "--confirmed-at", "9999-12-31T14:00:00Z", *NY],
            "Error: date value out of range",
        ),
        (
            ["dispute-deadline", "--expected-delivery", "2026-11-31", *NY],
            "Error: Invalid value for '--expected-delivery': '2026-11-31' does not match"
            " the format '%Y-%m-%d'.",
        ),
        (
            ["dispute-deadline", "--expected-delivery", "2026-11-25", "--country", "JP",
             "--subdivision", "13", "--timezone", "Asia/Tokyo"],
            "Error: unknown subdivision '13' of country 'JP'",
        ),
    ],
)  # fmt: skip
def test_command_prints_one_line_error_and_exits_2_when_input_is_bad(
    args: list[str], message: str
) -> None:
    assert run(*args) == (2, "", message + "\n")


NY_ARGS = ["--country", "US", "--subdivision", "NY", "--timezone", "America/New_York"]


@pytest.mark.parametrize(
    ("confirmed_at", "large", "seller", "customer"),
    [
        # Monday 10:00: the seller ships by Monday's end, the customer is told Tuesday's.
        ("2026-11-23T10:00:00-05:00", False, "2026-11-23T23:59:59-05:00",
         "2026-11-24T23:59:59-05:00"),
        # Monday 14:05 (after the cutoff): both end on Tuesday.
        ("2026-11-23T14:05:00-05:00", False, "2026-11-24T23:59:59-05:00",
         "2026-11-24T23:59:59-05:00"),
        # Wednesday before Thanksgiving (Thursday 26th): Friday 27th for the customer.
        ("2026-11-25T09:00:00-05:00", False, "2026-11-25T23:59:59-05:00",
         "2026-11-27T23:59:59-05:00"),
        # Saturday: Monday for both.
        ("2026-11-28T09:00:00-05:00", False, "2026-11-30T23:59:59-05:00",
         "2026-11-30T23:59:59-05:00"),
        # A large item, Monday 10:00: two business days after the confirmation day.
        ("2026-11-23T10:00:00-05:00", True, "2026-11-24T23:59:59-05:00",
         "2026-11-25T23:59:59-05:00"),
    ],
)  # fmt: skip
def test_ship_by_prints_the_seller_deadline_or_the_customer_promise(
    confirmed_at: str, large: bool, seller: str, customer: str
) -> None:
    args = ["ship-by", "--confirmed-at", confirmed_at, *NY_ARGS, *(["--large"] if large else [])]
    assert run(*args) == (0, seller + "\n", "")
    assert run(*args, "--audience", "seller") == (0, seller + "\n", "")
    assert run(*args, "--audience", "customer") == (0, customer + "\n", "")


def test_ship_by_help_lists_options() -> None:
    code, out, _ = run("ship-by", "--help")
    assert code == 0
    for option in (
        "--confirmed-at",
        "--country",
        "--subdivision",
        "--timezone",
        "--large",
        "--audience",
    ):
        assert option in out


def test_sla_group_runs_standalone() -> None:
    result = CliRunner().invoke(
        sla, ["ship-by", "--confirmed-at", "2026-11-23T12:00:00-05:00", *NY, "--large"]
    )
    assert (result.exit_code, result.stdout) == (0, "2026-11-24T23:59:59-05:00\n")
