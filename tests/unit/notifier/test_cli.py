import json

from click.testing import CliRunner

from parcelwatch.cli import main
from services.notifier.cli import notify


def test_preview_prints_subject_and_text_when_no_format_is_given() -> None:
    result = CliRunner().invoke(notify, ["preview", "customer_shipped"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Subject: Your order ord-2025-004817 has shipped\n\n")
    assert "1Z999AA10123456784" in result.stdout


def test_preview_renders_french_html_when_asked() -> None:
    result = CliRunner().invoke(
        notify, ["preview", "customer_delivered_disputed", "--locale", "fr", "--format", "html"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert '<html lang="fr"' in result.stdout
    # the French sample customer lives in France: the carrier's contact page, no US number
    assert "https://www.usps.com/help/contact-us.htm" in result.stdout
    assert "(800)" not in result.stdout


def test_preview_prints_json_when_the_kind_is_an_ops_alert() -> None:
    result = CliRunner().invoke(notify, ["preview", "ops_carrier_exception"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["blocks"]


def test_preview_fails_with_one_line_and_exit_2_when_the_kind_is_unknown() -> None:
    result = CliRunner().invoke(notify, ["preview", "customer_teleported"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "unknown kind 'customer_teleported'" in result.stderr


def test_preview_fails_with_exit_2_when_the_locale_is_malformed() -> None:
    result = CliRunner().invoke(notify, ["preview", "customer_shipped", "--locale", "FRENCH"])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_notify_is_registered_on_the_parcelwatch_command() -> None:
    result = CliRunner().invoke(main, ["notify", "preview", "seller_ship_by_missed"])
    assert result.exit_code == 0, result.output
    assert "past its ship-by deadline" in result.stdout
