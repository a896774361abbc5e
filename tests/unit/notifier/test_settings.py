import pytest
from pydantic import ValidationError

from services.notifier.links import LinkSettings
from services.notifier.settings import NotifierSettings


def test_defaults_send_to_the_local_capture_without_a_chat_webhook() -> None:
    settings = NotifierSettings.model_validate({})
    assert (settings.transport, settings.smtp_host, settings.smtp_port) == (
        "smtp",
        "127.0.0.1",
        1025,
    )
    assert settings.chat_webhook_url is None
    assert settings.links == LinkSettings()


def test_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("SMTP_USERNAME", "parcelwatch")
    monkeypatch.setenv("SMTP_PASSWORD", "hunter2")
    monkeypatch.setenv("NOTIFIER_NOTIFY_OUT_FOR_DELIVERY", "true")
    monkeypatch.setenv("NOTIFIER_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("NOTIFIER_TRACKING_LINKS", '{"ups": "https://ups.example.com/t/{n}"}')
    settings = NotifierSettings()
    assert settings.smtp_host == "smtp.example.com"
    assert settings.smtp_password is not None
    assert "hunter2" not in repr(settings)
    assert settings.routing.out_for_delivery is True
    assert settings.retry.max_attempts == 3
    assert settings.links.templates["ups"] == "https://ups.example.com/t/{n}"
    assert settings.links.templates["fedex"] == LinkSettings().templates["fedex"]


@pytest.mark.parametrize(
    "values",
    [
        {"transport": "http_api"},
        {"smtp_password": "secret"},
        {"tracking_links": {"ups": "http://insecure.example.com/{n}"}},
        {"message_id_domain": "bad domain"},
    ],
)
def test_inconsistent_settings_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        NotifierSettings.model_validate(values)
