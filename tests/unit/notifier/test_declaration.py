"""The declaration of non-receipt, read back with pypdf (its picture: tests/integration).

Expected text comes from the facts given and from the help page's words (written out
here again, as issue 13 quotes them), never from what the renderer produced.
"""

import io
import json
import logging
import os
import re
import subprocess
import sys
from dataclasses import asdict, replace

import pytest
from pypdf import PdfReader

from services.notifier.declaration import (
    FORM_DATE,
    REPLACEMENT,
    DeclarationFacts,
    render_declaration,
)

FACTS = DeclarationFacts(
    order_id="o-20261203-0042",
    items=("Écouteurs reconditionnés d\u2019occasion — grade A", "USB-C charger, 20 W"),
    carrier="DHL Express",
    tracking_number="JD014600003456789012",
    delivered_at="Thursday, December 3, 2026 at 2:31\u202fPM EST",
    delivered_place="Left at front door, signed by J. O\u2019NEILL",
    customer_name="Zoé L\u2019Heureux-Dvořák",
)
FACTS_FR = replace(
    FACTS,
    delivered_at="jeudi 3 décembre 2026 à 14:31 UTC\u22125",
    delivered_place="Déposé devant la porte d\u2019entrée",
)

# What the page must say, in the help page's words (issue 13) and the titles.
WORDING = {
    "en": [
        "Declaration of non-receipt",
        "did not receive the parcel",
        "a copy of a photo ID (state-issued driver's license, passport, or state ID)",
        "in the service request opened with Customer Care",
        "Name",
        "Signature",
        "Date",
    ],
    "fr": [
        "Déclaration de non-réception",
        "ne pas avoir reçu le colis",
        "pièce d'identité avec photo",
        "passeport",
        "auprès du Service client",
        "Nom",
        "Signature",
        "Date",
    ],
}
NOT_GIVEN = {"en": "Not given by the carrier", "fr": "Non communiqué par le transporteur"}
PAGE_POINTS = {"en": (612.0, 792.0), "fr": (595.28, 841.89)}  # US Letter, A4


def flat(text: str) -> str:
    """Whitespace collapsed (line breaks fall anywhere) and apostrophes made plain."""
    return " ".join(text.split()).replace("\u2019", "'")


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return flat(" ".join(page.extract_text() for page in reader.pages))


def missing_facts(text: str, facts: DeclarationFacts, language: str) -> list[str]:
    """The facts ``text`` does not show: empty, or absent from the text."""
    expected = [(name, value) for name, value in asdict(facts).items() if name != "items"]
    expected += [(f"items[{index}]", title) for index, title in enumerate(facts.items)]
    missing = []
    for name, value in expected:
        if not value and name in ("delivered_at", "delivered_place"):
            value = NOT_GIVEN[language]
        if not value or flat(value) not in text:
            missing.append(name)
    return missing


@pytest.mark.parametrize(("language", "facts"), [("en", FACTS), ("fr", FACTS_FR)])
def test_the_declaration_shows_every_fact_and_what_to_do(
    language: str, facts: DeclarationFacts
) -> None:
    pdf = render_declaration(facts, language)
    reader = PdfReader(io.BytesIO(pdf))
    text = pdf_text(pdf)
    assert len(reader.pages) == 1
    assert missing_facts(text, facts, language) == []
    assert [words for words in WORDING[language] if flat(words) not in text] == []
    assert NOT_GIVEN[language] not in text
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(PAGE_POINTS[language], abs=0.5)


def test_the_declaration_carries_no_deadline() -> None:
    facts = DeclarationFacts("o-x", ("Phone",), "UPS", "1Z-x", "", "", "Ann Lee")  # no digits
    text = pdf_text(render_declaration(facts, "en"))
    assert re.findall(r"\d+", text) == ["1", "1", "2"], text  # 1Z-x, then the steps 1. 2.


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_delivery_without_time_or_place_says_the_carrier_gave_none(language: str) -> None:
    facts = replace(FACTS, delivered_at="", delivered_place="")
    text = pdf_text(render_declaration(facts, language))
    assert text.count(NOT_GIVEN[language]) == 2
    assert missing_facts(text, facts, language) == []


def test_the_text_check_catches_a_missing_or_empty_fact() -> None:
    without_number = pdf_text(render_declaration(replace(FACTS, tracking_number=""), "en"))
    assert missing_facts(without_number, FACTS, "en") == ["tracking_number"]
    empty_order = replace(FACTS, order_id="")
    assert missing_facts(pdf_text(render_declaration(empty_order, "en")), empty_order, "en") == [
        "order_id"
    ]


def test_an_unsupported_locale_falls_back_to_english() -> None:
    assert render_declaration(FACTS, "de-DE") == render_declaration(FACTS, "en")
    assert "Déclaration de non-réception" in pdf_text(render_declaration(FACTS_FR, "fr-CA"))


def test_the_same_facts_give_the_same_bytes_in_another_process() -> None:
    here = render_declaration(FACTS, "fr")
    assert render_declaration(FACTS, "fr") == here
    script = (
        "import json, sys\n"
        "from services.notifier.declaration import DeclarationFacts, render_declaration\n"
        "facts = json.loads(sys.argv[1])\n"
        "facts = DeclarationFacts(**{**facts, 'items': tuple(facts['items'])})\n"
        "sys.stdout.buffer.write(render_declaration(facts, 'fr'))"
    )
    other = subprocess.run(
        [sys.executable, "-c", script, json.dumps(asdict(FACTS))],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        timeout=60,
    ).stdout
    assert other == here
    assert PdfReader(io.BytesIO(here)).metadata.creation_date == FORM_DATE  # type: ignore[union-attr]
    assert render_declaration(replace(FACTS, order_id="o-2"), "fr") != here


def test_characters_the_font_cannot_draw_are_replaced(caplog: pytest.LogCaptureFixture) -> None:
    # DejaVu Sans has no CJK ideographs and no emoji; control characters are never drawn.
    facts = replace(FACTS, customer_name="王芳 Zoë\x00O\u2019Brien", items=("Câble 📦\nUSB",))
    with caplog.at_level(logging.WARNING):
        text = pdf_text(render_declaration(facts, "en"))
    assert f"{REPLACEMENT * 2} Zoë O'Brien" in text
    assert f"Câble {REPLACEMENT} USB" in text
    assert caplog.records == []  # fpdf2 warns about glyphs it had to leave out: none


def test_a_long_order_stays_on_one_page_and_counts_the_items_left_out() -> None:
    items = tuple(f"Item {n}: refurbished phone, unlocked, with box and cable" for n in range(40))
    facts = replace(FACTS, items=items, delivered_place="Left with a neighbour " * 20)
    pdf = render_declaration(facts, "en")
    text = pdf_text(pdf)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    shown = [item for item in items if flat(item) in text]
    [left] = re.findall(r"Other items in this order: (\d+)", text)
    assert shown == list(items[: len(shown)]) and len(shown) >= 3
    assert len(shown) + int(left) == len(items)
