"""Vital signs as typed in the room: the quick-entry parser, field checks and the reading itself.

During a sitting the clinician types a reading into one line, one-handed, in the dark. Two forms
are accepted, and may be mixed:

* the positional quick form ``128/84 72 98 14`` — blood pressure, heart rate, SpO₂, respiratory
  rate, then (optionally) temperature, in that order; trailing values may be left off
  (``128/84`` and ``128/84 72`` are readings);
* the labelled form ``bp 128/84 hr 72 spo2 98 rr 14 t 36.8`` — labels in any order, any case,
  optionally followed by ``=`` or ``:`` (``hr=72``). Labels: ``bp``; ``sys``/``systolic``;
  ``dia``/``diastolic``; ``hr``/``pulse``; ``spo2``/``o2``/``sat``/``sats``; ``rr``/``resp``;
  ``t``/``temp``.

An unlabelled value fills the place after the previous value in the order
BP, HR, SpO₂, RR, temperature (so ``hr 72 98`` means SpO₂ 98), except that a unit which can only
belong to one vital sends the value there: ``%`` is SpO₂, ``bpm`` heart rate, ``°C``/``C``/``F``
temperature, and ``/min`` the next of heart rate or respiratory rate (``128/84 14/min`` is RR 14
only if heart rate was already given; otherwise it is HR). Units that may follow a number:
``mmHg``, ``bpm``, ``%``, ``/min``, ``C``/``°C`` and ``F``/``°F`` (Fahrenheit is converted to °C).
A decimal comma is accepted (``36,8``): a comma *between two digits* is a decimal comma, any other
comma separates values like a space does.

Every check rejects the whole line with a :class:`VitalsError` that names the part that is wrong,
says why, and carries the character span of that part so the entry field can highlight it.
Nothing is guessed: a temperature of 98.6 without ``F`` is refused with a hint rather than
converted, because a silently wrong number in the record is worse than a retyped one.

The bounds in :data:`VITAL_BOUNDS` are *physiological plausibility* limits that catch typos.
They are wide enough to record critical values (heart rate 20–250, SpO₂ 0–100%, respiratory rate
0–60 with 0 shown as apnoea). They are not the clinic's alarm thresholds, which live in
:mod:`kapdesk.domain.alerts`.

Pure Python: no Qt, no clock, no I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

__all__ = [
    "EMPTY_MESSAGE",
    "FIELD_ORDER",
    "VITAL_BOUNDS",
    "VitalBound",
    "VitalsError",
    "VitalsReading",
    "parse_vitals",
    "validate_field",
]

EMPTY_MESSAGE = "Nothing to save: type a reading such as 128/84 72 98 14"


class VitalsError(ValueError):
    """A reading (or one form field) could not be accepted.

    ``str(error)`` is a sentence for the clinician. ``span`` is the ``(start, end)`` character
    range of the offending part of the text that was parsed (``(0, 0)`` when there is no text to
    point at), and ``field`` is the :class:`VitalsReading` field concerned, or ``None`` when the
    problem is not about one vital (an unknown word, an empty line).
    """

    def __init__(self, message: str, span: tuple[int, int] = (0, 0), field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.field = field


@dataclass(frozen=True)
class VitalBound:
    """Plausible range and kind of one vital sign; the same rules serve the parser and a form."""

    field: str  # the VitalsReading attribute
    label: str  # how the clinic says it, at the start of a sentence: "Heart rate"
    noun: str  # the same inside a sentence: "heart rate", "SpO₂"
    unit: str  # display unit
    low: float
    high: float
    integer: bool  # monitors report whole numbers for BP, HR, SpO₂ and RR

    def describe_range(self) -> str:
        """``"20–250 bpm"``, ``"50–100%"``: the range as a message shows it."""
        low, high = _fmt_number(self.low), _fmt_number(self.high)
        return f"{low}–{high}{self.unit}" if self.unit == "%" else f"{low}–{high} {self.unit}"

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


# Order of the positional quick form; also the order of fields in VitalsReading.
FIELD_ORDER: tuple[str, ...] = ("systolic", "diastolic", "heart_rate", "spo2", "resp_rate", "temperature_c")

VITAL_BOUNDS: Mapping[str, VitalBound] = MappingProxyType(
    {
        "systolic": VitalBound("systolic", "Systolic", "systolic", "mmHg", 40, 300, True),
        "diastolic": VitalBound("diastolic", "Diastolic", "diastolic", "mmHg", 20, 200, True),
        "heart_rate": VitalBound("heart_rate", "Heart rate", "heart rate", "bpm", 20, 250, True),
        # SpO₂ and RR reach down to what a monitor can show, so the worst moment of a sitting can
        # be recorded (an oximeter displays 0–100%; RR 0 is apnoea); the critical alerts of
        # kapdesk.domain.alerts, not a refusal, answer such a number.
        "spo2": VitalBound("spo2", "SpO₂", "SpO₂", "%", 0, 100, True),
        "resp_rate": VitalBound("resp_rate", "Respiratory rate", "respiratory rate", "/min", 0, 60, True),
        "temperature_c": VitalBound("temperature_c", "Temperature", "temperature", "°C", 30, 43, False),
    }
)

# JSON keys for storage (to_payload/from_payload); short and stable, independent of attribute names.
_PAYLOAD_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "systolic": "systolic",
        "diastolic": "diastolic",
        "heart_rate": "hr",
        "spo2": "spo2",
        "resp_rate": "rr",
        "temperature_c": "temp_c",
    }
)

# Names validate_field() accepts besides the attribute names: the payload keys.
_FIELD_ALIASES: Mapping[str, str] = MappingProxyType(
    {**{v: k for k, v in _PAYLOAD_KEYS.items()}, **{k: k for k in FIELD_ORDER}}
)


@dataclass(frozen=True)
class VitalsReading:
    """One set of vital signs. Every field is optional, but at least one is present.

    Construction checks the same rules as the parser (bounds, whole numbers, diastolic below
    systolic, no diastolic without its systolic), so any ``VitalsReading`` in the program is a
    plausible one — including those rebuilt from storage by :meth:`from_payload`. A violation
    raises :class:`VitalsError` (with no span, as there is no text to point at).

    A systolic without a diastolic is allowed: a palpated blood pressure has only a systolic.
    """

    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    spo2: int | None = None
    resp_rate: int | None = None
    temperature_c: float | None = None

    def __post_init__(self) -> None:
        present = 0
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            present += 1
            bound = VITAL_BOUNDS[f.name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise VitalsError(f"{bound.label} must be a number, not {value!r}", field=f.name)
            if bound.integer and not isinstance(value, int):
                raise VitalsError(f"{bound.label} must be a whole number, not {value!r}", field=f.name)
            if not (math.isfinite(value) and bound.contains(value)):
                raise VitalsError(
                    f"{bound.label} {_fmt_number(value)} is outside {bound.describe_range()}", field=f.name
                )
        if present == 0:
            raise VitalsError(EMPTY_MESSAGE)
        if self.diastolic is not None:
            if self.systolic is None:
                raise VitalsError(_DIASTOLIC_ALONE, field="diastolic")
            if self.diastolic >= self.systolic:
                raise VitalsError(_diastolic_not_below(self.systolic, self.diastolic), field="diastolic")

    def to_payload(self) -> dict[str, int | float | None]:
        """A JSON-ready dict with every key present (``None`` for what was not measured)."""
        return {key: getattr(self, attr) for attr, key in _PAYLOAD_KEYS.items()}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> VitalsReading:
        """Rebuild a reading stored by :meth:`to_payload`.

        Missing keys mean "not measured". Unknown keys are ignored so that a record written by a
        newer version still opens. Whole-number floats (``72.0``) are accepted for integer
        fields because some JSON tools write every number as a float. Anything else that breaks
        the rules raises :class:`VitalsError`.
        """
        if not isinstance(payload, Mapping):
            raise VitalsError(f"A stored reading must be a mapping, not {type(payload).__name__}")
        values: dict[str, Any] = {}
        for attr, key in _PAYLOAD_KEYS.items():
            value = payload.get(key)
            if (
                VITAL_BOUNDS[attr].integer
                and isinstance(value, float)
                and math.isfinite(value)
                and value.is_integer()
            ):
                value = int(value)
            elif attr == "temperature_c" and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            values[attr] = value
        return cls(**values)

    def format(self) -> str:
        """For display: ``128/84  HR 72  SpO₂ 98%  RR 14  36.8 °C`` (absent parts left out)."""
        parts: list[str] = []
        if self.systolic is not None:
            dia = "–" if self.diastolic is None else str(self.diastolic)
            parts.append(f"{self.systolic}/{dia}")
        if self.heart_rate is not None:
            parts.append(f"HR {self.heart_rate}")
        if self.spo2 is not None:
            parts.append(f"SpO₂ {self.spo2}%")
        if self.resp_rate is not None:
            parts.append("RR 0 (apnoea)" if self.resp_rate == 0 else f"RR {self.resp_rate}")
        if self.temperature_c is not None:
            parts.append(f"{self.temperature_c:.1f} °C")
        return "  ".join(parts)


# --------------------------------------------------------------------------------------------
# Lexing
# --------------------------------------------------------------------------------------------

# ASCII digits only: str.isdigit() accepts superscripts and other scripts that int() refuses.
_TOKEN_RE = re.compile(
    r"""
      (?P<num>[0-9]+(?:[.,][0-9]+)?)        # 72, 36.8, 36,8 (comma between digits = decimal comma)
    | (?P<permin>/[ \t]*min)                # /min, / min
    | (?P<slash>/)
    | (?P<pct>%)
    | (?P<deg>[°º][ \t]*[cCfF]?)            # °C, ° F, or a bare degree sign (taken as Celsius)
    | (?P<assign>[=:])
    | (?P<word>[^\W\d_]+(?:[2₂](?![0-9]))?) # letters; a trailing 2 for spo2 / o2
    | (?P<sep>[\s,;]+)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # num, permin, slash, pct, deg, assign, word
    text: str
    start: int
    end: int

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            ch = text[pos]
            raise VitalsError(f"Unexpected character {_quote(ch)} in the reading", (pos, pos + 1))
        kind = m.lastgroup or ""
        if kind != "sep":
            tokens.append(_Token(kind, m.group(), m.start(), m.end()))
        pos = m.end()
    return tokens


# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

_BP = "bp"  # pseudo-field: a label that takes systolic/diastolic

_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "bp": _BP,
        "sys": "systolic",
        "systolic": "systolic",
        "sbp": "systolic",
        "dia": "diastolic",
        "diastolic": "diastolic",
        "dbp": "diastolic",
        "hr": "heart_rate",
        "pulse": "heart_rate",
        "spo2": "spo2",
        "spo₂": "spo2",
        "o2": "spo2",
        "o₂": "spo2",
        "sat": "spo2",
        "sats": "spo2",
        "rr": "resp_rate",
        "resp": "resp_rate",
        "t": "temperature_c",
        "temp": "temperature_c",
    }
)

# Canonical unit names. A unit is recognised only right after a number.
_UNIT_WORDS: Mapping[str, str] = MappingProxyType({"mmhg": "mmHg", "bpm": "bpm", "c": "°C", "f": "°F"})

_UNITS_FOR_FIELD: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "systolic": frozenset({"mmHg"}),
        "diastolic": frozenset({"mmHg"}),
        "heart_rate": frozenset({"bpm", "/min"}),
        "spo2": frozenset({"%"}),
        "resp_rate": frozenset({"/min"}),
        "temperature_c": frozenset({"°C", "°F"}),
    }
)

_UNIT_HINT: Mapping[str, str] = MappingProxyType(
    {
        "systolic": "mmHg",
        "diastolic": "mmHg",
        "heart_rate": "bpm or /min",
        "spo2": "%",
        "resp_rate": "/min",
        "temperature_c": "°C or F",
    }
)

# Units that can only belong to one vital route an unlabelled value there.
_UNIT_ROUTES: Mapping[str, str] = MappingProxyType(
    {"%": "spo2", "bpm": "heart_rate", "°C": "temperature_c", "°F": "temperature_c"}
)

_LABEL_EXAMPLE: Mapping[str, str] = MappingProxyType(
    {
        _BP: "bp 128/84",
        "systolic": "sys 128",
        "diastolic": "dia 84",
        "heart_rate": "hr 72",
        "spo2": "spo2 98",
        "resp_rate": "rr 14",
        "temperature_c": "t 36.8",
    }
)

_DIASTOLIC_ALONE = "A diastolic needs its systolic: write the blood pressure as 128/84"


def _diastolic_not_below(systolic: int, diastolic: int) -> str:
    return (
        f"Diastolic {diastolic} must be below systolic {systolic}: "
        "write the blood pressure as systolic/diastolic, e.g. 128/84"
    )


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RawValue:
    """A number, or a number/number pair, with an optional unit, as found in the text."""

    first: _Token
    second: _Token | None  # the diastolic of a fraction
    unit: str | None  # canonical unit name
    unit_token: _Token | None

    @property
    def span(self) -> tuple[int, int]:
        """The numbers, without the unit: what to highlight when the number is wrong."""
        end = self.second.end if self.second is not None else self.first.end
        return (self.first.start, end)

    @property
    def full_span(self) -> tuple[int, int]:
        end = self.unit_token.end if self.unit_token is not None else self.span[1]
        return (self.first.start, end)

    @property
    def text(self) -> str:
        return f"{self.first.text}/{self.second.text}" if self.second is not None else self.first.text


class _Parser:
    """One pass over the tokens of one line; collects values and fails on the first problem."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _lex(text)
        self.pos = 0
        self.cursor = 0  # index into FIELD_ORDER of the next place an unlabelled value fills
        self.values: dict[str, int | float] = {}
        self.spans: dict[str, tuple[int, int]] = {}
        self.raw: dict[str, str] = {}

    # -- token helpers --------------------------------------------------------------------

    def _peek(self, offset: int = 0) -> _Token | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def _unit_of(self, tok: _Token | None) -> str | None:
        if tok is None:
            return None
        if tok.kind == "pct":
            return "%"
        if tok.kind == "permin":
            return "/min"
        if tok.kind == "deg":
            return "°F" if tok.text[-1] in "fF" else "°C"
        if tok.kind == "word":
            return _UNIT_WORDS.get(tok.text.casefold())
        return None

    def read_value(self) -> _RawValue | None:
        """Read ``NUM [/ NUM] [unit]`` at the current position, or return None if no number."""
        first = self._peek()
        if first is None or first.kind != "num":
            return None
        self.pos += 1
        second: _Token | None = None
        slash = self._peek()
        if slash is not None and slash.kind == "slash":
            after = self._peek(1)
            if after is None or after.kind != "num":
                raise VitalsError(
                    f"{_quote(first.text + '/')} needs the diastolic after the slash, e.g. 128/84",
                    (first.start, slash.end),
                    "diastolic",
                )
            second = after
            self.pos += 2
        unit_tok = self._peek()
        unit = self._unit_of(unit_tok)
        if unit is not None:
            self.pos += 1
        else:
            unit_tok = None
        return _RawValue(first, second, unit, unit_tok)

    # -- the grammar ------------------------------------------------------------------------

    def parse(self) -> VitalsReading:
        if not self.tokens:
            raise VitalsError(EMPTY_MESSAGE, (0, len(self.text)))
        while self.pos < len(self.tokens):
            tok = self.tokens[self.pos]
            if tok.kind == "num":
                raw = self.read_value()
                assert raw is not None
                self.assign_unlabelled(raw)
            elif tok.kind == "word":
                key = tok.text.casefold()
                if key in _LABELS:
                    self.pos += 1
                    self.labelled(tok, _LABELS[key])
                elif key in _UNIT_WORDS:
                    raise VitalsError(f"{_quote(tok.text)} needs a number before it", tok.span)
                else:
                    raise VitalsError(
                        f"Unknown word {_quote(tok.text)}: use bp, hr, spo2, rr or t "
                        "(or just 128/84 72 98 14)",
                        tok.span,
                    )
            elif tok.kind == "slash":
                raise VitalsError("A slash belongs between two numbers, as in 128/84", tok.span)
            elif tok.kind == "assign":
                raise VitalsError(
                    f"{_quote(tok.text)} must follow a label, as in hr=72", tok.span
                )
            else:  # a unit with no number before it: %, °C, /min
                raise VitalsError(f"{_quote(tok.text)} needs a number before it", tok.span)
        return self.finish()

    def labelled(self, label: _Token, target: str) -> None:
        nxt = self._peek()
        if nxt is not None and nxt.kind == "assign":
            self.pos += 1
        raw = self.read_value()
        if raw is None:
            raise VitalsError(
                f"{_quote(label.text)} needs a number after it, e.g. {_LABEL_EXAMPLE[target]}",
                label.span,
                None if target == _BP else target,
            )
        if target == _BP:
            if raw.second is None:
                raise VitalsError(
                    f"Blood pressure needs systolic/diastolic, e.g. bp 128/84 (got {_short(raw.text)})",
                    raw.full_span,
                    "systolic",
                )
            self.assign_bp(raw)
        else:
            self.assign(target, raw)

    def assign_unlabelled(self, raw: _RawValue) -> None:
        if raw.second is not None:
            self.assign_bp(raw)
            return
        target = _UNIT_ROUTES.get(raw.unit or "")
        if target is None and raw.unit == "/min":
            # /min fits heart rate and respiratory rate: take whichever place comes next.
            hr, rr = FIELD_ORDER.index("heart_rate"), FIELD_ORDER.index("resp_rate")
            target = "heart_rate" if self.cursor <= hr else "resp_rate" if self.cursor <= rr else None
        if target is None:
            if self.cursor >= len(FIELD_ORDER):
                raise VitalsError(
                    f"Cannot tell which vital {_short(raw.text)} is: nothing comes after the temperature. "
                    "Label it, e.g. hr 72",
                    raw.full_span,
                )
            target = FIELD_ORDER[self.cursor]
            if target == "systolic":
                raise VitalsError(
                    f"Cannot tell which vital {_short(raw.text)} is: start with the blood pressure "
                    "as systolic/diastolic (128/84 72 98 14), or label the value, e.g. hr 72",
                    raw.full_span,
                )
        self.assign(target, raw)

    def assign_bp(self, raw: _RawValue) -> None:
        assert raw.second is not None
        self._check_unit("systolic", raw, bp=True)
        # Check the duplicate before the numbers so "given twice" wins over a range complaint.
        for name in ("systolic", "diastolic"):
            self._check_duplicate(name, raw.text, raw.full_span)
        sys_value = self._convert("systolic", raw.first, raw.unit)
        dia_value = self._convert("diastolic", raw.second, raw.unit)
        self._store("systolic", sys_value, raw.first.span, raw.first.text)
        self._store("diastolic", dia_value, raw.second.span, raw.second.text)

    def assign(self, name: str, raw: _RawValue) -> None:
        bound = VITAL_BOUNDS[name]
        if raw.second is not None:
            raise VitalsError(
                f"{bound.label} takes one number, not {_short(raw.text)}", raw.full_span, name
            )
        self._check_duplicate(name, raw.text, raw.full_span)
        self._check_unit(name, raw)
        value = self._convert(name, raw.first, raw.unit)
        self._store(name, value, raw.full_span, raw.first.text)

    def _store(self, name: str, value: int | float, span: tuple[int, int], raw_text: str) -> None:
        self.values[name] = value
        self.spans[name] = span
        self.raw[name] = raw_text
        self.cursor = FIELD_ORDER.index(name) + 1

    def _check_duplicate(self, name: str, text: str, span: tuple[int, int]) -> None:
        if name in self.values:
            label = VITAL_BOUNDS[name].label
            raise VitalsError(
                f"{label} is given twice ({_short(self.raw[name])} and {_short(text)}): keep one",
                span,
                name,
            )

    def _check_unit(self, name: str, raw: _RawValue, *, bp: bool = False) -> None:
        if raw.unit is None or raw.unit in _UNITS_FOR_FIELD[name]:
            return
        assert raw.unit_token is not None
        what = "blood pressure" if bp else VITAL_BOUNDS[name].noun
        raise VitalsError(
            f"{_quote(raw.unit_token.text)} is not a unit for {what} (use {_UNIT_HINT[name]})",
            raw.unit_token.span,
            name,
        )

    def _convert(self, name: str, tok: _Token, unit: str | None) -> int | float:
        return _number_for_field(name, tok.text, unit, tok.span, fahrenheit_hint=unit is None)

    def finish(self) -> VitalsReading:
        if not self.values:  # only reachable if the grammar changes; kept as a guard
            raise VitalsError(EMPTY_MESSAGE, (0, len(self.text)))
        dia = self.values.get("diastolic")
        sys_ = self.values.get("systolic")
        if dia is not None:
            if sys_ is None:
                raise VitalsError(_DIASTOLIC_ALONE, self.spans["diastolic"], "diastolic")
            if dia >= sys_:
                start = min(self.spans["systolic"][0], self.spans["diastolic"][0])
                end = max(self.spans["systolic"][1], self.spans["diastolic"][1])
                raise VitalsError(_diastolic_not_below(int(sys_), int(dia)), (start, end), "diastolic")
        return VitalsReading(**self.values)  # type: ignore[arg-type]


def _number_for_field(
    name: str, text: str, unit: str | None, span: tuple[int, int], *, fahrenheit_hint: bool
) -> int | float:
    """Turn the digits of one value into the stored number for ``name``, checking kind and range."""
    bound = VITAL_BOUNDS[name]
    shown = _short(text)
    if bound.integer:
        if not text.isdigit():  # a decimal point or comma
            hint = "; separate values with a space" if "," in text else ""
            raise VitalsError(f"{bound.label} must be a whole number, not {shown}{hint}", span, name)
        # Guard before int(): very long digit strings exceed Python's int-from-str limit.
        digits = text.lstrip("0") or "0"
        if len(digits) > 4 or not bound.contains(int(digits)):
            raise VitalsError(f"{bound.label} {shown} is outside {bound.describe_range()}", span, name)
        return int(digits)
    # Temperature: decimal, possibly Fahrenheit.
    number = float(text.replace(",", ".")) if len(text) <= 12 else math.inf
    if unit == "°F":
        celsius = round((number - 32.0) * 5.0 / 9.0, 1) if math.isfinite(number) else math.inf
        if not bound.contains(celsius):
            converted = f" ({_fmt_number(celsius)} °C)" if math.isfinite(celsius) else ""
            raise VitalsError(
                f"{bound.label} {shown} °F{converted} is outside {bound.describe_range()}", span, name
            )
        return celsius
    if not bound.contains(number):
        hint = ""
        if fahrenheit_hint and 86 <= number <= 110:
            hint = f"; for Fahrenheit write {shown}F"
        raise VitalsError(f"{bound.label} {shown} is outside {bound.describe_range()}{hint}", span, name)
    return number


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def parse_vitals(text: str) -> VitalsReading:
    """Parse one typed line into a :class:`VitalsReading`.

    Raises :class:`VitalsError` — and never any other exception, whatever the input — with a
    message naming the offending part, its ``span`` in ``text`` and the ``field`` concerned.
    See the module docstring for the accepted forms.
    """
    if not isinstance(text, str):
        raise VitalsError(f"A reading must be text, not {type(text).__name__}")
    if not text.strip():
        raise VitalsError(EMPTY_MESSAGE, (0, len(text)))
    return _Parser(text).parse()


def validate_field(name: str, raw_text: str) -> int | float | None:
    """Check one form field with the parser's rules and return its value.

    ``name`` is a :class:`VitalsReading` attribute (``"heart_rate"``) or its payload key
    (``"hr"``). ``raw_text`` may carry the field's unit (``"98%"``, ``"98.6F"``) and a decimal
    comma. A blank field returns ``None`` — "not measured" is not an error; whether the form as
    a whole has enough is decided by building the :class:`VitalsReading`, which also checks
    diastolic against systolic. Raises :class:`VitalsError` with ``span`` in ``raw_text``.
    """
    attr = _FIELD_ALIASES.get(name)
    if attr is None:
        raise ValueError(f"Unknown vital field {name!r}; expected one of {', '.join(FIELD_ORDER)}")
    if not isinstance(raw_text, str):
        raise VitalsError(f"{VITAL_BOUNDS[attr].label} must be text, not {type(raw_text).__name__}", field=attr)
    if not raw_text.strip():
        return None
    try:
        return _validate_one(attr, raw_text)
    except VitalsError as err:
        if err.field is None:  # lexing problems do not know which field they are in; we do
            err.field = attr
        raise


def _validate_one(attr: str, raw_text: str) -> int | float:
    bound = VITAL_BOUNDS[attr]
    parser = _Parser(raw_text)
    raw = parser.read_value()
    if raw is None:
        tok = parser.tokens[0] if parser.tokens else None
        span = tok.span if tok is not None else (0, len(raw_text))
        shown = _quote(tok.text) if tok is not None else _quote(raw_text.strip())
        raise VitalsError(f"{bound.label} needs a number, not {shown}", span, attr)
    extra = parser._peek()
    if extra is not None:
        raise VitalsError(
            f"Only one {bound.noun} value fits here; remove {_quote(raw_text[extra.start:].strip())}",
            (extra.start, len(raw_text.rstrip())),
            attr,
        )
    if raw.second is not None:
        if attr == "systolic":
            raise VitalsError("Type only the systolic here (the diastolic has its own field)", raw.full_span, attr)
        raise VitalsError(f"{bound.label} takes one number, not {_short(raw.text)}", raw.full_span, attr)
    parser._check_unit(attr, raw)
    return _number_for_field(attr, raw.first.text, raw.unit, raw.first.span, fahrenheit_hint=raw.unit is None)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _fmt_number(value: float) -> str:
    """``180`` for 180.0, ``36.8`` for 36.8: numbers as a person writes them."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _short(text: str, limit: int = 24) -> str:
    """Keep messages readable when someone pastes a novel into the field."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str) -> str:
    return f"‘{_short(text)}’"
