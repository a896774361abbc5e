"""Poller settings: carriers configured by credentials, sandbox hosts, rates and intervals."""

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

from services.poller.carriers.fedex.settings import SANDBOX_URL as FEDEX_SANDBOX
from services.poller.carriers.registry import registry
from services.poller.carriers.ups.settings import PRODUCTION_URL as UPS_PRODUCTION
from services.poller.ratelimit import Rate
from services.poller.settings import PollerSettings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the working copy
    for field in PollerSettings.model_fields.values():
        if isinstance(field.validation_alias, str):
            monkeypatch.delenv(field.validation_alias, raising=False)
    for plugin in registry().values():
        prefix = plugin.settings.model_config.get("env_prefix", "")
        for name in plugin.settings.model_fields:
            monkeypatch.delenv(f"{prefix}{name}".upper(), raising=False)


def _polled(settings: PollerSettings) -> dict[str, BaseModel]:
    """The client settings of each carrier with credentials."""
    clients = {s: c.client_settings(settings.sandbox) for s, c in settings.carriers.items()}
    return {slug: client for slug, client in clients.items() if client is not None}


def test_only_carriers_with_credentials_are_polled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPS_CLIENT_ID", "id")
    monkeypatch.setenv("UPS_CLIENT_SECRET", "secret")
    monkeypatch.setenv("DHL_API_KEY", "key")
    settings = PollerSettings()
    carriers = _polled(settings)
    assert sorted(carriers) == ["dhl", "ups"]
    assert carriers["ups"].model_dump()["base_url"] == UPS_PRODUCTION
    assert settings.carriers["dhl"].rate_limit == (Rate(1, 1.0), Rate(250, 86400.0))


def test_sandbox_mode_picks_sandbox_hosts_unless_a_url_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POLLER_SANDBOX", "true")
    monkeypatch.setenv("FEDEX_API_KEY", "key")
    monkeypatch.setenv("FEDEX_SECRET_KEY", "secret")
    monkeypatch.setenv("USPS_CLIENT_ID", "id")
    monkeypatch.setenv("USPS_CLIENT_SECRET", "secret")
    monkeypatch.setenv("USPS_BASE_URL", "http://127.0.0.1:8090")
    carriers = _polled(PollerSettings())
    assert carriers["fedex"].model_dump()["base_url"] == FEDEX_SANDBOX
    assert carriers["usps"].model_dump()["base_url"] == "http://127.0.0.1:8090"


def test_rates_and_intervals_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPS_RATE_LIMIT", "5/s, 1000/h")
    monkeypatch.setenv("POLLER_INTERVAL_OUT_FOR_DELIVERY", "600")
    monkeypatch.setenv("POLLER_WATCH_WINDOW", "P3D")
    settings = PollerSettings()
    assert settings.carriers["ups"].rate_limit == (Rate(5, 1.0), Rate(1000, 3600.0))
    policy = settings.policy()
    assert policy.out_for_delivery == timedelta(minutes=10)
    assert policy.watch_window == timedelta(days=3)


def test_a_malformed_rate_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DHL_RATE_LIMIT", "fast")
    with pytest.raises(ValueError, match="COUNT"):
        PollerSettings()
