"""The client's body weight: typed with its unit, stored in kg, shown in both units.

One parser for every field that takes a weight (the preparation pane, the dose form):

* ``"70 kg"``, ``"70kg"``, ``"68,5 kg"`` → 70.0 / 68.5 kg;
* ``"154 lb"``, ``"154 lbs"``, ``"154 pounds"`` → 69.85 kg (1 lb = 0.45359237 kg, kept to 0.01 kg);
* a bare number (``"154"``) is refused with a question, because 154 is a plausible weight in
  both units and a pound value read as kilograms more than doubles an mg/kg dose.

The record keeps only kilograms (``weight_kg``, as every release has stored it); pounds are shown
beside them (:func:`format_weight`: ``"70 kg (154 lb)"``). The plausible range is checked in kg
after conversion. Pure Python.
"""

from __future__ import annotations

import math
import re

__all__ = ["KG_PER_LB", "WEIGHT_RANGE_KG", "WeightError", "check_weight_kg", "format_weight", "parse_weight"]

KG_PER_LB = 0.45359237  # the international avoirdupois pound, exactly
# Plausible adult weights; outside is a typo or the wrong unit.
WEIGHT_RANGE_KG = (20.0, 350.0)

_WEIGHT_RE = re.compile(r"\s*(?P<num>[0-9]+(?:[.,][0-9]+)?)\s*(?P<unit>[^\W\d_]+\.?)?\s*\Z", re.UNICODE)
_UNITS = {"kg": "kg", "kgs": "kg", "kilo": "kg", "kilos": "kg", "kilogram": "kg", "kilograms": "kg",
          "lb": "lb", "lbs": "lb", "lb.": "lb", "lbs.": "lb", "pound": "lb", "pounds": "lb"}


class WeightError(ValueError):
    """A weight that cannot be used; ``span`` is the part of the typed text at fault."""

    def __init__(self, message: str, span: tuple[int, int] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


def _fmt(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 else str(value)


def check_weight_kg(weight: object) -> float:
    """A weight in kg that is a finite number within :data:`WEIGHT_RANGE_KG` (inclusive), as float."""
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
        raise WeightError(f"The client's weight must be a number of kg, not {weight!r}")
    low, high = WEIGHT_RANGE_KG
    if not low <= weight <= high:
        raise WeightError(f"The client's weight {_fmt(float(weight))} kg is outside {_fmt(low)}–{_fmt(high)} kg: "
                          "check the number and the unit")
    return float(weight)


def parse_weight(text: str) -> float:
    """The weight typed in ``text`` in kg (rounded to 0.01 kg); raises :class:`WeightError`."""
    if not isinstance(text, str) or not text.strip():
        raise WeightError("Type the weight with its unit, e.g. 70 kg or 154 lb", (0, len(text or "")))
    match = _WEIGHT_RE.fullmatch(text)
    if match is None:
        raise WeightError(f"‘{text.strip()[:20]}’ is not a weight: type e.g. 70 kg or 154 lb", (0, len(text)))
    number = match.group("num")
    value = float(number.replace(",", "."))
    unit_text = match.group("unit")
    if unit_text is None:
        raise WeightError(f"{number} what? Type {number} kg or {number} lb", match.span("num"))
    unit = _UNITS.get(unit_text.casefold())
    if unit is None:
        raise WeightError(f"A weight is in kg or lb, not ‘{unit_text[:12]}’", match.span("unit"))
    kg = round(value * KG_PER_LB, 2) if unit == "lb" else value
    try:
        return check_weight_kg(kg)
    except WeightError as exc:
        if unit == "lb":
            raise WeightError(f"{number} lb is {_fmt(kg)} kg, outside {_fmt(WEIGHT_RANGE_KG[0])}–"
                              f"{_fmt(WEIGHT_RANGE_KG[1])} kg: check it", (0, len(text))) from None
        raise WeightError(exc.message, (0, len(text))) from None


def format_weight(kg: float) -> str:
    """``"70 kg (154 lb)"``: kg as stored (up to 0.01), pounds to the whole pound."""
    return f"{round(kg, 2):g} kg ({round(kg / KG_PER_LB):d} lb)"
