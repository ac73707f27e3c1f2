"""Small HTML helpers shared by the PDF report's sections (``pdf_sections``, ``pdf_rems``).

Every cell and paragraph is built from already-escaped HTML: escape with :func:`esc` where a
recorded value enters the text, never later.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from kapdesk.domain.vitals import VitalsReading

__all__ = ["ITEM_LABELS", "REMS_MEDICINES", "bp_text", "esc", "item_label", "number", "table", "yes_no"]

REMS_MEDICINES = (("benzodiazepines", "Benzodiazepines"), ("sedative_hypnotics", "Other sedative hypnotics"),
                  ("psychostimulants", "Psychostimulants"), ("maois", "MAOIs"))
ITEM_LABELS = {
    "slept_well": "Slept well", "no_stimulants": "No caffeine or stimulants today", "light_meal": "Light meal beforehand",
    "ride_home": "Ride home arranged", "consent": "Consent confirmed", "fasting": "Fasting as instructed",
    "pregnancy": "Pregnancy", "uncontrolled_hypertension": "Uncontrolled high blood pressure",
    "cardiac": "Cardiac condition", "substance_misuse": "Active substance misuse",
    **dict(REMS_MEDICINES),
}


def item_label(key: str) -> str:
    """A checklist, contraindication or medicine key as the form words it."""
    return ITEM_LABELS.get(key, key.replace("_", " ").capitalize())


def esc(value: Any) -> str:
    return html.escape(str(value), quote=False)


def yes_no(value: Any) -> str:
    """A checklist answer: True/False/None read "yes", "no", "not answered"; anything else as is."""
    if value is None:
        return "not answered"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], widths: Sequence[int] | None = None) -> str:
    """An HTML grid; cells are already-escaped HTML. A header row repeats on every page."""
    rows = list(rows)
    if not rows:
        return "<p class='muted'>None recorded.</p>"
    head = "".join(
        f"<th{f' width={widths[i]}%' if widths else ''}>{esc(h)}</th>" for i, h in enumerate(headers)
    )
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return (f"<table class='grid' width='100%' border='0' cellspacing='0' cellpadding='2'>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def bp_text(reading: VitalsReading) -> str:
    """``140/85`` (``140/–`` without a diastolic); the whole reading when it has no BP."""
    if reading.systolic is None:
        return reading.format()
    return f"{reading.systolic}/{reading.diastolic if reading.diastolic is not None else '–'}"
