"""The pipeline benchmark's independent e-mail count (``bench.mail_census``)."""

from collections import Counter
from email.message import EmailMessage
from pathlib import Path

import pytest

from bench.mail_census import census

SHIPPED = ("ship-000001", "ship-000001@example.com", "Your order ship-000001 has shipped")
LATE_CUSTOMER = ("late-000001", "late-000001@example.com", "Your order late-000001 is late")
LATE_SELLER = ("late-000001", "seller@example.com", "Order late-000001 is past its deadline")
EXPECTED = Counter({(order, to): 1 for order, to, _ in (SHIPPED, LATE_CUSTOMER, LATE_SELLER)})


def _capture(folder: Path, *mails: tuple[str, str, str]) -> None:
    """One ``.eml`` file per mail, each with a Message-ID of its own, as a capture holds."""
    for n, (order, to, subject) in enumerate(mails):
        message = EmailMessage()
        message["From"] = "notifications@parcelwatch.example.com"
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = f"<{n}@parcelwatch.invalid>"
        message.set_content(f"About order {order}.")
        (folder / f"{n:04d}.eml").write_bytes(message.as_bytes())


def test_every_expected_email_once_is_exact(tmp_path: Path) -> None:
    _capture(tmp_path, SHIPPED, LATE_CUSTOMER, LATE_SELLER)

    found = census(tmp_path, EXPECTED)

    assert (found.emails, found.duplicates, found.missing, found.unexpected) == (3, 0, [], [])
    assert found.exact


def test_a_second_copy_with_another_message_id_is_a_duplicate(tmp_path: Path) -> None:
    _capture(tmp_path, SHIPPED, LATE_CUSTOMER, LATE_SELLER, LATE_SELLER)

    found = census(tmp_path, EXPECTED)

    assert (found.emails, found.duplicates) == (4, 1)
    assert not found.exact


def test_a_lost_email_and_a_stranger_are_reported(tmp_path: Path) -> None:
    other_kind = ("ship-000001", "ship-000001@example.com", "Your order ship-000001 is late")
    _capture(tmp_path, SHIPPED, other_kind, LATE_CUSTOMER)

    found = census(tmp_path, EXPECTED)

    assert found.duplicates == 0
    assert found.missing == [("late-000001", "seller@example.com")]
    assert found.unexpected == [("ship-000001", "ship-000001@example.com")]


def test_the_order_is_read_from_the_text_when_the_subject_names_none(tmp_path: Path) -> None:
    _capture(tmp_path, ("ship-000001", "ship-000001@example.com", "Your parcel is on its way"))

    found = census(tmp_path, Counter({("ship-000001", "ship-000001@example.com"): 1}))

    assert found.exact


def test_an_email_about_no_order_of_the_run_is_an_error(tmp_path: Path) -> None:
    _capture(tmp_path, ("ord-9", "ord-9@example.com", "Your order ord-9 has shipped"))

    with pytest.raises(ValueError, match="names no order"):
        census(tmp_path, EXPECTED)
