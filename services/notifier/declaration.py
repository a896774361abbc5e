"""The declaration of non-receipt: a one-page PDF the customer signs and uploads.

Pure: facts and a locale in, PDF bytes out, the same bytes for the same input (the
creation date is the form's own date, the file id a hash of the content). The words are
the ``declaration`` labels in ``templates/<lang>/_labels.jinja``, beside the e-mails'.
Text is set in DejaVu Sans, embedded as a subset (``fonts/LICENSE``: the Bitstream Vera
and Arev licences, which allow embedding and redistribution); a character it cannot draw
becomes U+FFFD. The page never overflows: items that do not fit are counted instead.
"""

import re
import unicodedata
from collections.abc import Sequence, Set
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import cast

from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, XPos, YPos
from fpdf.fonts import TTFFont
from jinja2 import Environment, PackageLoader, StrictUndefined

from services.notifier.rendering import template_language

FORM_DATE = datetime(2026, 12, 5, tzinfo=UTC)
"""The PDF's creation date: when this form's wording was written."""

PAGE_FORMATS = {"en": "letter", "fr": "a4"}
REPLACEMENT = "\ufffd"
_FONTS = Path(__file__).with_name("fonts")
_FAMILY = "DejaVuSans"
_LIMITS = {"short": 80, "title": 120, "place": 160}
"""Longest text shown per kind of fact (characters); longer is cut with an ellipsis."""

_MARGIN = 20.0
_BOTTOM = 18.0
_LABEL_WIDTH = 52.0
_BULLET = 4.0
_LINE = 5.0
_GAP = 2.0


@dataclass(frozen=True)
class DeclarationFacts:
    """What the declaration is pre-filled with; strings already formatted for the customer."""

    order_id: str
    items: tuple[str, ...]
    carrier: str
    tracking_number: str
    delivered_at: str
    delivered_place: str
    customer_name: str


@dataclass(frozen=True)
class _Words:
    title: str
    order: str
    items: str
    more_items: str
    carrier: str
    tracking_number: str
    delivered_at: str
    delivered_place: str
    not_given: str
    statement: str
    true: str
    name: str
    signature: str
    date: str
    next: str
    steps: tuple[str, ...]


def render_declaration(facts: DeclarationFacts, locale: str) -> bytes:
    """The declaration about ``facts`` in ``locale``'s language (English when unsupported)."""
    language = template_language(locale)
    words = _words(language)
    pdf = _document(PAGE_FORMATS[language])
    covered = _covered(pdf)
    clean = _Cleaner(covered)
    pdf.set_title(f"{words.title} \N{EN DASH} {clean(facts.order_id, 'short')}")
    pdf.set_lang(language)
    pdf.add_page()

    _font(pdf, 18, bold=True)
    pdf.multi_cell(pdf.epw, 9, words.title, align=Align.L, new_x=XPos.LMARGIN)
    pdf.ln(1)
    pdf.set_draw_color(120)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(5)

    titles = [clean(title, "title") for title in facts.items]
    rows = [
        (words.carrier, [clean(facts.carrier, "short")]),
        (words.tracking_number, [clean(facts.tracking_number, "short")]),
        (words.delivered_at, [clean(facts.delivered_at, "short") or words.not_given]),
        (words.delivered_place, [clean(facts.delivered_place, "place") or words.not_given]),
    ]
    bottom = _statement(pdf, words, dry_run=True) + _signatures(pdf, words, "", dry_run=True)
    bottom += _next_steps(pdf, words, dry_run=True)
    room = pdf.h - _BOTTOM - bottom - pdf.get_y()
    room -= _row(pdf, words.order, [clean(facts.order_id, "short")], dry_run=True)
    room -= sum(_row(pdf, label, values, dry_run=True) for label, values in rows)

    _row(pdf, words.order, [clean(facts.order_id, "short")])
    _row(pdf, words.items, _fitting_items(pdf, words, titles, room), bullets=True)
    for label, values in rows:
        _row(pdf, label, values)
    _statement(pdf, words)
    _signatures(pdf, words, clean(facts.customer_name, "short"))
    _next_steps(pdf, words)
    return bytes(pdf.output())


@cache
def _words(language: str) -> _Words:
    environment = Environment(
        loader=PackageLoader("services.notifier", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # noqa: S701 - the words go into a PDF, never into HTML
    )
    labels = environment.get_template(f"{language}/_labels.jinja").module
    words = labels.declaration  # type: ignore[attr-defined]
    fact = labels.fact  # type: ignore[attr-defined]
    return _Words(
        title=words["title"],
        order=fact["order"],
        items=words["items"],
        more_items=words["more_items"],
        carrier=fact["carrier"],
        tracking_number=fact["tracking_number"],
        delivered_at=fact["delivered_at"],
        delivered_place=words["delivered_place"],
        not_given=words["not_given"],
        statement=words["statement"],
        true=words["true"],
        name=words["name"],
        signature=words["signature"],
        date=words["date"],
        next=words["next"],
        steps=tuple(words["steps"]),
    )


def _document(page_format: str) -> FPDF:
    pdf = FPDF(format=page_format, unit="mm")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.c_margin = 0  # text starts on the margin, as the rules and the box do
    pdf.set_auto_page_break(True, margin=_BOTTOM)
    pdf.set_creation_date(FORM_DATE)
    pdf.add_font(_FAMILY, "", _FONTS / "DejaVuSans.ttf")
    pdf.add_font(_FAMILY, "B", _FONTS / "DejaVuSans-Bold.ttf")
    return pdf


def _covered(pdf: FPDF) -> frozenset[int]:
    """Code points both the regular and the bold face can draw."""
    faces = [pdf.fonts[f"{_FAMILY.lower()}{style}"] for style in ("", "B")]
    return frozenset.intersection(
        *(frozenset(face.cmap) for face in faces if isinstance(face, TTFFont))
    )


class _Cleaner:
    """One line of text the font can draw: NFC, no control characters, bounded length."""

    _controls = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")

    def __init__(self, covered: Set[int]) -> None:
        self._covered = covered

    def __call__(self, text: str, kind: str) -> str:
        text = self._controls.sub(" ", unicodedata.normalize("NFC", text))
        text = re.sub(r" {2,}", " ", text).strip()
        limit = _LIMITS[kind]
        if len(text) > limit:
            text = text[: limit - 1].rstrip() + "…"
        return "".join(char if ord(char) in self._covered else REPLACEMENT for char in text)


def _font(pdf: FPDF, size: float, *, bold: bool = False) -> None:
    pdf.set_font(_FAMILY, "B" if bold else "", size)


def _text(pdf: FPDF, width: float, text: str, *, dry_run: bool = False) -> float:
    """A left-aligned paragraph at the current position; its height."""
    height = pdf.multi_cell(
        width,
        _LINE,
        text,
        align=Align.L,
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
        dry_run=dry_run,
        output=MethodReturnValue.HEIGHT,
    )
    return cast(float, height)


def _row(
    pdf: FPDF, label: str, values: Sequence[str], *, bullets: bool = False, dry_run: bool = False
) -> float:
    """A label in the left column, one value per line (wrapped) in the right one."""
    top = pdf.get_y()
    value_x = pdf.l_margin + _LABEL_WIDTH
    indent = _BULLET if bullets else 0.0
    _font(pdf, 10, bold=True)
    label_height = _text(pdf, _LABEL_WIDTH - 3, label, dry_run=dry_run)
    pdf.set_xy(value_x, top)
    _font(pdf, 10.5)
    values_height = 0.0
    for value in values:
        if bullets and not dry_run:
            pdf.set_xy(value_x, top + values_height)
            pdf.cell(indent, _LINE, "•")
        pdf.set_xy(value_x + indent, top + values_height)
        values_height += _text(pdf, pdf.epw - _LABEL_WIDTH - indent, value, dry_run=dry_run)
    height = max(label_height, values_height) + _GAP
    pdf.set_xy(pdf.l_margin, top if dry_run else top + height)
    return height


def _fitting_items(pdf: FPDF, words: _Words, titles: list[str], room: float) -> list[str]:
    """Every item title if they fit in ``room``; else the first ones and how many are left."""
    _font(pdf, 10.5)
    width = pdf.epw - _LABEL_WIDTH - _BULLET
    heights = [_text(pdf, width, title, dry_run=True) for title in titles]
    room -= _GAP
    if sum(heights) <= room:
        return titles
    room -= _text(pdf, width, words.more_items.format(count=len(titles)), dry_run=True)
    shown = 0
    while heights[shown] <= room:  # stops before the end: all of them do not fit
        room -= heights[shown]
        shown += 1
    return [*titles[:shown], words.more_items.format(count=len(titles) - shown)]


def _statement(pdf: FPDF, words: _Words, *, dry_run: bool = False) -> float:
    """What the customer declares, below the facts."""
    top = pdf.get_y()
    pdf.set_y(top + 4)
    _font(pdf, 11)
    height = 4 + _text(pdf, pdf.epw, words.statement, dry_run=dry_run)
    pdf.set_y(top + height + 1.5)
    height += 1.5 + _text(pdf, pdf.epw, words.true, dry_run=dry_run)
    pdf.set_y(top if dry_run else top + height)
    return height


def _signatures(pdf: FPDF, words: _Words, name: str, *, dry_run: bool = False) -> float:
    """Lines for the name (pre-filled, still a line to write on), signature and date."""
    top = pdf.get_y()
    heights = ((words.name, name, 14.0), (words.signature, "", 20.0), (words.date, "", 14.0))
    height = 4.0 + sum(row for _, _, row in heights)
    if dry_run:
        return height
    y = top + 4.0
    line_x, line_end = pdf.l_margin + 30, pdf.l_margin + 30 + min(110.0, pdf.epw - 30)
    pdf.set_draw_color(60)
    for label, value, row in heights:
        baseline = y + row - 2
        _font(pdf, 10.5, bold=True)
        pdf.set_xy(pdf.l_margin, baseline - _LINE)
        pdf.cell(30, _LINE, label)
        if value:
            pdf.set_xy(line_x + 1, baseline - _LINE - 0.5)
            _on_the_line(pdf, value, line_end - line_x - 2)
        pdf.line(line_x, baseline, line_end, baseline)
        y += row
    pdf.set_xy(pdf.l_margin, top + height)
    return height


def _on_the_line(pdf: FPDF, text: str, width: float) -> None:
    """``text`` on one line of ``width``: in smaller type when long, cut when still too long."""
    _font(pdf, 11)
    natural = pdf.get_string_width(text)
    if natural > width:
        _font(pdf, max(7.0, 11 * 0.98 * width / natural))
    while len(text) > 1 and pdf.get_string_width(text) > width:
        text = text[:-2].rstrip() + "…"
    pdf.cell(width, _LINE, text)


def _next_steps(pdf: FPDF, words: _Words, *, dry_run: bool = False) -> float:
    """A shaded box: print, sign, date, then where to upload it and with what."""
    top, padding, number = pdf.get_y() + 8, 4.0, 6.0
    width = pdf.epw - 2 * padding
    _font(pdf, 10.5, bold=True)
    heading = _text(pdf, width, words.next, dry_run=True)
    _font(pdf, 10)
    steps = [_text(pdf, width - number, step, dry_run=True) + 1.5 for step in words.steps]
    height = 8 + padding + heading + 2 + sum(steps) + padding
    if dry_run:
        return height
    pdf.set_fill_color(240)
    pdf.set_draw_color(200)
    pdf.rect(pdf.l_margin, top, pdf.epw, height - 8, style="DF")
    pdf.set_xy(pdf.l_margin + padding, top + padding)
    _font(pdf, 10.5, bold=True)
    _text(pdf, width, words.next)
    y = top + padding + heading + 2
    _font(pdf, 10)
    for index, (step, step_height) in enumerate(zip(words.steps, steps, strict=True), 1):
        pdf.set_xy(pdf.l_margin + padding, y)
        pdf.cell(number, _LINE, f"{index}.")
        pdf.set_xy(pdf.l_margin + padding + number, y)
        _text(pdf, width - number, step)
        y += step_height
    pdf.set_xy(pdf.l_margin, top - 8 + height)
    return height
