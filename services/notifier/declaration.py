"""The signed declaration of non-receipt, as a one-page PDF (fpdf2), in English or French.

Pre-filled with the order, the items, the carrier, the tracking number and what the carrier
reported about the delivery; lines for the customer's name, signature and date. Pure: the
facts and a locale in, the PDF's bytes out.

TODO(issue 13): the smallest real implementation, written so the disputed e-mail can attach
it; the full module (layout, its own tests and PDF screenshots) comes from another worktree
with this same interface, and replaces this file.
"""

from dataclasses import dataclass

from fpdf import FPDF

LANGUAGES = ("en", "fr")


@dataclass(frozen=True)
class DeclarationFacts:
    order_id: str
    items: tuple[str, ...]
    carrier: str
    """Display name: "UPS", "DHL Express"."""
    tracking_number: str
    delivered_at: str
    """Already formatted in the customer's locale and zone; "" when unknown."""
    delivered_place: str
    """What the carrier said (signed by, left at); "" when unknown."""
    customer_name: str


_WORDS = {
    "en": {
        "title": "Declaration of non-receipt",
        "intro": "I declare that I have not received the package described below, which the "
        "carrier reports as delivered.",
        "order": "Order",
        "items": "Items",
        "carrier": "Carrier",
        "tracking": "Tracking number",
        "delivered_at": "Delivered (carrier)",
        "place": "Carrier's delivery note",
        "unknown": "not reported",
        "name": "Name",
        "signature": "Signature",
        "date": "Date",
        "upload": "Sign this page and upload it, with a copy of a photo ID, in the service "
        "request opened with Customer Care.",
    },
    "fr": {
        "title": "Déclaration de non-réception",
        "intro": "Je déclare ne pas avoir reçu le colis décrit ci-dessous, que le "
        "transporteur indique comme livré.",
        "order": "Commande",
        "items": "Articles",
        "carrier": "Transporteur",
        "tracking": "Numéro de suivi",
        "delivered_at": "Livré (transporteur)",
        "place": "Note de livraison du transporteur",
        "unknown": "non indiqué",
        "name": "Nom",
        "signature": "Signature",
        "date": "Date",
        "upload": "Signez cette page et déposez-la, avec la copie d'une pièce d'identité avec "
        "photo, dans la demande d'assistance ouverte auprès du Service client.",
    },
}


_PLAIN = {0x2019: "'", 0x2018: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-", 0x202F: " "}


def _latin1(text: str) -> str:
    """The PDF core fonts speak Latin-1: typographic quotes and dashes become plain ones."""
    plain = text.translate(_PLAIN)
    return plain.encode("latin-1", "replace").decode("latin-1")


def render_declaration(facts: DeclarationFacts, locale: str) -> bytes:
    """The declaration as PDF bytes, in ``locale``'s language (English when not French)."""
    words = _WORDS["fr" if locale.lower().startswith("fr") else "en"]
    pdf = FPDF(format="A4")
    pdf.set_title(words["title"])
    pdf.set_creator("ParcelWatch")
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(width, 10, _latin1(words["title"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(width, 6, _latin1(words["intro"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    rows = (
        (words["order"], facts.order_id),
        (words["items"], "\n".join(facts.items)),
        (words["carrier"], facts.carrier),
        (words["tracking"], facts.tracking_number),
        (words["delivered_at"], facts.delivered_at or words["unknown"]),
        (words["place"], facts.delivered_place or words["unknown"]),
    )
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(65, 7, _latin1(label))
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(width - 65, 7, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    for label, value in (
        (words["name"], facts.customer_name),
        (words["signature"], ""),
        (words["date"], ""),
    ):
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(35, 12, _latin1(label))
        pdf.set_font("Helvetica", size=11)
        pdf.cell(width - 35, 12, _latin1(value), border="B", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    pdf.ln(8)
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(width, 5, _latin1(words["upload"]), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
