"""Dead-letter values sealed with the first key, opened with any listed key."""

import pytest
from pydantic import SecretStr

from shared.infra.deadletter import Sealer, SealError, sealer_from


def test_sealed_value_reads_nothing_and_opens_after_a_rotation() -> None:
    old, new = Sealer.new_key(), Sealer.new_key()
    sealed = Sealer(SecretStr(old)).seal(b'{"email": "a@example.com"}')
    assert b"example" not in sealed
    rotated = Sealer(SecretStr(f" {new} , {old} "))
    assert rotated.open(sealed) == b'{"email": "a@example.com"}'
    with pytest.raises(SealError, match="not in DLQ_ENCRYPTION_KEYS"):
        Sealer(SecretStr(new)).open(sealed)


def test_the_first_key_seals() -> None:
    old, new = Sealer.new_key(), Sealer.new_key()
    sealed = Sealer(SecretStr(f"{new},{old}")).seal(b"x")
    assert Sealer(SecretStr(new)).open(sealed) == b"x"
    with pytest.raises(SealError):
        Sealer(SecretStr(old)).open(sealed)


@pytest.mark.parametrize("keys", ["not-a-key", "abc,def", ","])
def test_a_malformed_key_is_refused_with_a_clear_message(keys: str) -> None:
    with pytest.raises(ValueError, match="DLQ_ENCRYPTION_KEYS"):
        Sealer(SecretStr(keys))


def test_no_keys_means_no_sealer() -> None:
    assert sealer_from(None) is None
    assert sealer_from(SecretStr("  ")) is None
