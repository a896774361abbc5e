"""The declaration of non-receipt drawn by pdftoppm (Debian's poppler-utils), as a person sees it.

The pictures are kept as ``var/declaration-{en,fr,long}.png`` (git ignores ``var/``) to look at.
"""

import subprocess
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image

from services.notifier.declaration import DeclarationFacts, render_declaration
from tests.support.tools import require

VAR = Path(__file__).resolve().parents[3] / "var"
DPI = 100
PAGE_POINTS = {"en": (612.0, 792.0), "fr": (595.28, 841.89)}  # US Letter, A4
FACTS = {
    "en": DeclarationFacts(
        order_id="o-20261203-0042",
        items=("Refurbished iPhone 13, 128 GB, Midnight \u2014 grade A", "USB-C charger, 20 W"),
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
        delivered_at="Thursday, December 3, 2026 at 2:31\u202fPM EST",
        delivered_place="Left at front door, signed by J. O\u2019NEILL",
        customer_name="Zoé L\u2019Heureux-Dvořák",
    ),
    "fr": DeclarationFacts(
        order_id="o-20261203-0042",
        items=("Écouteurs reconditionnés d\u2019occasion, grade A", "Chargeur USB-C 20 W"),
        carrier="DHL Express",
        tracking_number="JD014600003456789012",
        delivered_at="jeudi 3 décembre 2026 à 14:31 UTC\u22125",
        delivered_place="Déposé devant la porte d\u2019entrée",
        customer_name="Zoé L\u2019Heureux-Dvořák",
    ),
}
LONG = DeclarationFacts(  # every field longer than a real one: still one page, nothing cut off
    order_id="o-" + "9" * 120,
    items=tuple(
        f"Item {n}: refurbished phone, unlocked, with its box, charger and cable" for n in range(30)
    ),
    carrier="DHL Express Worldwide " * 5,
    tracking_number="JD0146000034567890" * 6,
    delivered_at="",
    delivered_place="Left with a neighbour at number 12 " * 10,
    customer_name="Maximiliana Wolfeschlegelsteinhausenbergerdorff-Łukaszewicz " * 3,
)


@pytest.mark.parametrize(
    ("name", "language", "facts"),
    [("en", "en", FACTS["en"]), ("fr", "fr", FACTS["fr"]), ("long", "fr", LONG)],
)
def test_the_page_renders_as_a_picture(
    name: str, language: str, facts: DeclarationFacts, tmp_path: Path
) -> None:
    """A page of the right size, drawn, with nothing in its margins."""
    pdftoppm = require("pdftoppm")
    VAR.mkdir(exist_ok=True)
    declaration = VAR / f"declaration-{name}.pdf"
    declaration.write_bytes(render_declaration(facts, language))
    blank = FPDF(format="letter")
    blank.add_page()
    (tmp_path / "blank.pdf").write_bytes(blank.output())

    page = to_picture(pdftoppm, declaration)
    width, height = PAGE_POINTS[language]
    assert page.size == pytest.approx((width * DPI / 72, height * DPI / 72), abs=1)
    assert dark_share(to_picture(pdftoppm, tmp_path / "blank.pdf")) < 0.001  # the measure…
    assert dark_share(page) > 0.01  # …tells an empty page from the declaration, drawn
    assert drawn_margins(page) == []


def test_the_margin_check_sees_text_in_a_margin(tmp_path: Path) -> None:
    overflowing = FPDF(format="letter")
    overflowing.add_page()
    overflowing.set_font("helvetica", size=12)
    overflowing.text(x=5, y=140, text="cut")
    (tmp_path / "overflowing.pdf").write_bytes(overflowing.output())
    picture = to_picture(require("pdftoppm"), tmp_path / "overflowing.pdf")
    assert drawn_margins(picture) == ["left"]


def to_picture(pdftoppm: str, pdf: Path) -> Image.Image:
    """The first page of ``pdf``, written as ``<same name>.png`` beside it, in grey."""
    png = pdf.with_suffix(".png")
    png.unlink(missing_ok=True)
    subprocess.run(
        [pdftoppm, "-png", "-r", str(DPI), "-singlefile", pdf, pdf.with_suffix("")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    with Image.open(png) as image:
        return image.convert("L")


def dark_share(image: Image.Image, threshold: int = 240) -> float:
    """The share of pixels darker than ``threshold``."""
    return sum(image.histogram()[:threshold]) / (image.width * image.height)


def drawn_margins(page: Image.Image) -> list[str]:
    """The page's margins (15 mm, inside the declaration's) with anything drawn in them."""
    edge = round(15 / 25.4 * DPI)
    strips = {
        "top": (0, 0, page.width, edge),
        "bottom": (0, page.height - edge, page.width, page.height),
        "left": (0, 0, edge, page.height),
        "right": (page.width - edge, 0, page.width, page.height),
    }
    return [name for name, box in strips.items() if dark_share(page.crop(box), 200) > 0]
