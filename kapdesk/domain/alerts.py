"""Threshold and baseline-relative rules for vital signs, as per-clinic data, and the severities.

:class:`AlertRules` holds every number (product.md, "Routes and monitoring rules" and "Safety
rules"); the defaults are the common emergency-department "do not dose" bounds (systolic < 90 or
> 180, heart rate < 50 or > 150, respiratory rate < 10 or > 30), SpO₂ below 92%, the esketamine
label's pre-dose cue (blood pressure above 140/90: weigh a delay), the label's notable rise from
baseline (systolic +40 or diastolic +25 mmHg), the hypertensive crisis (systolic > 180 and/or
diastolic > 120 mmHg, ACC/AHA 2017), an absolute diastolic (≥ 110 caution, ≥ 120 critical), a
critical SpO₂ (< 85%), a pulse-pressure sanity check, the sedation, psychotic-symptom and
aspiration rules read from scales (:mod:`kapdesk.domain.scale_alerts`), and how long an
acknowledged critical condition stays quiet. A clinic overrides any of them in its settings file;
:meth:`AlertRules.from_mapping` reads that table and names the setting that is wrong.

**Severities** (product.md, "Alarm practice": severities look different): ``"critical"`` needs
action now, and its acknowledgement needs a reason; ``"caution"`` is a cue to weigh; ``"reminder"``
is an advisory (a reading overdue). Which rule has which:

* critical — the do-not-dose bounds (systolic, heart rate, respiratory rate; RR 0 is apnoea), the
  hypertensive crisis, diastolic ≥ 120, SpO₂ < 85%, MOAA/S ≤ 1, PHQ-9 item 9 above 0;
* caution — the pre-dose 140/90 cue, rises from baseline, diastolic ≥ 110, SpO₂ < 92%, a pulse
  pressure that asks to check the reading, MOAA/S ≤ 2, a BPRS+ item ≥ 5, vomiting while sedated;
* reminder — a reading overdue.

Records written before this vocabulary say ``"warning"`` for what is now ``"critical"``;
:func:`severity_of` reads them so (the stored rows are never rewritten).

:func:`evaluate` turns one reading into a list of :class:`Alert` — plain sentences with the
numbers in them, for a glanceable, silent cue. It decides nothing clinical on its own: an alert
is information for the clinician in the room. Comparisons follow the wording of the sources:
"< 90", "> 180", "above 140/90" are strict; a rise "of 40 mmHg or more" and the diastolic
"≥ 110" / "≥ 120" are inclusive.

Pure: no clock, no I/O, no Qt.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from kapdesk.domain.vitals import VITAL_BOUNDS, VitalsReading

__all__ = [
    "DEFAULT_RULES",
    "SEVERITIES",
    "SEVERITY_LABELS",
    "Alert",
    "AlertRules",
    "AlertRulesError",
    "Severity",
    "evaluate",
    "severity_label",
    "severity_of",
    "severity_rank",
    "threshold_lines",
]

Severity = Literal["critical", "caution", "reminder"]
SEVERITIES: tuple[str, ...] = ("critical", "caution", "reminder")  # most pressing first

# How each severity is written where colour cannot be relied on (black-and-white print, the
# strip's text, the timeline): a symbol and a word, never colour alone.
SEVERITY_LABELS: Mapping[str, str] = {
    "critical": "‼ CRITICAL",
    "caution": "! caution",
    "reminder": "· reminder",
}

# The word the first releases stored for an absolute bound (now "critical").
_LEGACY_SEVERITIES: Mapping[str, str] = {"warning": "critical"}


def severity_of(stored: str) -> str:
    """The severity a stored ``alert`` entry means: ``"warning"`` (older records) is ``"critical"``;
    a word this build does not know is read as ``"caution"`` rather than dropped."""
    word = _LEGACY_SEVERITIES.get(stored, stored)
    return word if word in SEVERITIES else "caution"


def severity_rank(severity: str) -> int:
    """0 for critical, 1 for caution, 2 for reminder: the order alerts are listed in."""
    word = severity_of(severity)
    return SEVERITIES.index(word)


def severity_label(severity: str) -> str:
    """``"‼ CRITICAL"``, ``"! caution"``, ``"· reminder"``: the severity as print and text show it."""
    return SEVERITY_LABELS[severity_of(severity)]


@dataclass(frozen=True)
class Alert:
    """One rule a reading (or a scale entry) broke.

    ``key`` is stable for code and storage (``"systolic_high"``, ``"spo2_low"``,
    ``"systolic_rise"``, ``"predose_bp_high"``, ``"hypertensive_crisis"`` …); ``message`` is for the
    clinician. ``severity`` is one of :data:`SEVERITIES` (see the module docstring).
    ``blocks_dosing`` is True for a critical alert raised by a pre-dose reading (the do-not-dose
    bounds, the crisis, diastolic ≥ 120, SpO₂ < 85%).
    """

    key: str
    severity: Severity
    message: str
    vital: str  # the VitalsReading field concerned ("systolic", "heart_rate", …), or the scale's key
    value: float  # the measured value, or the rise for baseline-relative alerts
    threshold: float
    blocks_dosing: bool = False


class AlertRulesError(ValueError):
    """Clinic alert settings that cannot be used; ``field`` names the setting."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# Which vital each threshold is measured in, to check it against the plausible range.
_THRESHOLD_VITAL: Mapping[str, str] = {
    "systolic_low": "systolic",
    "systolic_high": "systolic",
    "hr_low": "heart_rate",
    "hr_high": "heart_rate",
    "rr_low": "resp_rate",
    "rr_high": "resp_rate",
    "spo2_low": "spo2",
    "predose_systolic_high": "systolic",
    "predose_diastolic_high": "diastolic",
    "diastolic_high": "diastolic",
    "diastolic_critical": "diastolic",
    "crisis_systolic": "systolic",
    "crisis_diastolic": "diastolic",
    "spo2_critical": "spo2",
}
# Thresholds on a scale's answer: the range of that answer (MOAA/S 0–5, a BPRS+ item 1–7).
_SCALE_RANGE: Mapping[str, tuple[str, int, int]] = {
    "moaas_caution": ("MOAA/S", 0, 5),
    "moaas_critical": ("MOAA/S", 0, 5),
    "aspiration_moaas": ("MOAA/S", 0, 5),
    "bprs_item_caution": ("a BPRS+ item", 1, 7),
}
_MINUTES = ("critical_reshow_minutes",)
MAX_RESHOW_MINUTES = 60
# (lower, higher): the lower one must be below the higher (a caution tier below its critical tier).
_PAIRS = (("systolic_low", "systolic_high"), ("hr_low", "hr_high"), ("rr_low", "rr_high"),
          ("spo2_critical", "spo2_low"), ("diastolic_high", "diastolic_critical"),
          ("pulse_pressure_low", "pulse_pressure_high"), ("moaas_critical", "moaas_caution"))


@dataclass(frozen=True)
class AlertRules:
    """Per-clinic thresholds. ``None`` switches a rule off (in TOML, write ``false``).

    Units: mmHg for blood pressure, pulse pressure and rises, bpm, breaths/min, % SpO₂, the
    scale's own points for MOAA/S and BPRS+, minutes for ``critical_reshow_minutes``.
    Construction validates: each threshold lies inside the plausible range of its vital or scale
    (a typo such as ``systolic_high = 1800`` fails here, not silently at the bedside), every low
    is below its high and every caution tier on the safe side of its critical tier, and rises and
    pulse pressures are positive. ``critical_reshow_minutes`` cannot be switched off: alarm
    practice shows a persisting critical condition again.
    """

    systolic_low: float | None = 90
    systolic_high: float | None = 180
    hr_low: float | None = 50
    hr_high: float | None = 150
    rr_low: float | None = 10
    rr_high: float | None = 30
    spo2_low: float | None = 92
    predose_systolic_high: float | None = 140
    predose_diastolic_high: float | None = 90
    systolic_rise: float | None = 40
    diastolic_rise: float | None = 25
    # -- issue 9: alerts that cover the body ---------------------------------------------------
    diastolic_high: float | None = 110  # caution at or above
    diastolic_critical: float | None = 120  # critical at or above
    crisis_systolic: float | None = 180  # hypertensive crisis: systolic above …
    crisis_diastolic: float | None = 120  # … and/or diastolic above (ACC/AHA 2017)
    spo2_critical: float | None = 85  # critical below
    pulse_pressure_low: float | None = 20  # "check the reading" below …
    pulse_pressure_high: float | None = 120  # … or above
    moaas_caution: float | None = 2  # deeper than intended at or below
    moaas_critical: float | None = 1  # needs action now at or below
    bprs_item_caution: float | None = 5  # any BPRS+ item at or above
    aspiration_moaas: float | None = 3  # vomiting while the MOAA/S is at or below
    critical_reshow_minutes: float | None = 5  # an acknowledged critical condition shows again after

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                if f.name in _MINUTES:
                    raise AlertRulesError(
                        f"Alert setting {f.name!r} cannot be switched off: a critical condition that persists "
                        f"is shown again (alarm practice); give whole minutes 1–{MAX_RESHOW_MINUTES}", f.name)
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise AlertRulesError(f"Alert setting {f.name!r} must be a number, not {value!r}", f.name)
            vital = _THRESHOLD_VITAL.get(f.name)
            if vital is not None:
                bound = VITAL_BOUNDS[vital]
                if not bound.contains(value):
                    raise AlertRulesError(
                        f"Alert setting {f.name!r} = {_fmt(value)} is outside the possible "
                        f"{bound.noun} range {bound.describe_range()}",
                        f.name,
                    )
            elif f.name in _SCALE_RANGE:
                scale, low, high = _SCALE_RANGE[f.name]
                if not (low <= value <= high and float(value).is_integer()):
                    raise AlertRulesError(
                        f"Alert setting {f.name!r} must be a whole number {low}–{high} ({scale}), not {_fmt(value)}",
                        f.name,
                    )
            elif f.name in _MINUTES:
                if not (1 <= value <= MAX_RESHOW_MINUTES and float(value).is_integer()):
                    raise AlertRulesError(
                        f"Alert setting {f.name!r} must be whole minutes 1–{MAX_RESHOW_MINUTES}, not {_fmt(value)}",
                        f.name,
                    )
            elif value <= 0:
                raise AlertRulesError(f"Alert setting {f.name!r} must be above 0 mmHg, not {_fmt(value)}", f.name)
        for low_name, high_name in _PAIRS:
            low, high = getattr(self, low_name), getattr(self, high_name)
            if low is not None and high is not None and low >= high:
                raise AlertRulesError(
                    f"Alert setting {low_name!r} ({_fmt(low)}) must be below {high_name!r} ({_fmt(high)})", low_name
                )

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> AlertRules:
        """Rules from a parsed settings table (e.g. the ``[alerts]`` table of the clinic's TOML).

        Keys are the attribute names; missing keys keep their defaults; ``false`` switches a rule
        off. An unknown key is an error (with a "did you mean" hint): a misspelt threshold that
        was silently ignored would leave the default in force without anyone knowing.
        """
        if not isinstance(mapping, Mapping):
            raise AlertRulesError(f"Alert settings must be a table, not {type(mapping).__name__}")
        names = [f.name for f in fields(cls)]
        values: dict[str, Any] = {}
        for key, value in mapping.items():
            if key not in names:
                close = difflib.get_close_matches(str(key), names, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(names)})"
                raise AlertRulesError(f"Unknown alert setting {key!r}{hint}", str(key))
            if value is False:
                value = None
            elif value is True:
                raise AlertRulesError(
                    f"Alert setting {key!r} must be a number, or false to switch it off; not true", key
                )
            values[key] = value
        return cls(**values)

    def to_mapping(self) -> dict[str, float | bool]:
        """The inverse of :meth:`from_mapping`, TOML-ready (switched-off rules as ``False``)."""
        return {k: (False if v is None else v) for k, v in asdict(self).items()}


DEFAULT_RULES = AlertRules()

# The alerts a hypertensive crisis alert stands for: one named alert, not three about one BP.
_CRISIS_COVERS = frozenset({"systolic_high", "diastolic_critical", "diastolic_high"})


def evaluate(
    reading: VitalsReading,
    *,
    baseline: VitalsReading | None,
    pre_dose: bool,
    rules: AlertRules = DEFAULT_RULES,
) -> list[Alert]:
    """Every rule ``reading`` breaks, critical first, then cautions (each in vital order).

    ``baseline`` is the sitting's baseline (:func:`kapdesk.domain.record.find_baseline`); rises are
    measured from it when both readings have a blood pressure. ``pre_dose`` marks a reading taken
    before any dose: it adds the pre-dose blood-pressure cue and makes every critical alert set
    ``blocks_dosing``. Vitals the reading lacks are simply not checked. A hypertensive crisis is
    one alert naming the blood pressure; it stands for the systolic-high and absolute-diastolic
    alerts of the same reading. SpO₂ and diastolic have two tiers each and raise only the higher.
    """
    alerts: list[Alert] = []

    def add(key: str, severity: Severity, message: str, vital: str, value: float, limit: float) -> None:
        alerts.append(Alert(key, severity, message, vital, value, limit, severity == "critical" and pre_dose))

    def below(vital: str, value: float | None, limit: float | None, key: str, severity: Severity = "critical") -> bool:
        if value is not None and limit is not None and value < limit:
            add(key, severity, f"{_describe(vital, value)} is below {_limit(vital, limit)}", vital, value, limit)
            return True
        return False

    def above(vital: str, value: float | None, limit: float | None, key: str) -> None:
        if value is not None and limit is not None and value > limit:
            add(key, "critical", f"{_describe(vital, value)} is above {_limit(vital, limit)}", vital, value, limit)

    r = reading
    below("systolic", r.systolic, rules.systolic_low, "systolic_low")
    above("systolic", r.systolic, rules.systolic_high, "systolic_high")
    if r.diastolic is not None:
        for limit, key, severity in ((rules.diastolic_critical, "diastolic_critical", "critical"),
                                     (rules.diastolic_high, "diastolic_high", "caution")):
            if limit is not None and r.diastolic >= limit:
                add(key, severity, f"{_describe('diastolic', r.diastolic)} is {_fmt(limit)} or more",  # type: ignore[arg-type]
                    "diastolic", r.diastolic, limit)
                break
    below("heart_rate", r.heart_rate, rules.hr_low, "hr_low")
    above("heart_rate", r.heart_rate, rules.hr_high, "hr_high")
    below("resp_rate", r.resp_rate, rules.rr_low, "rr_low")
    above("resp_rate", r.resp_rate, rules.rr_high, "rr_high")
    # SpO₂ below 92% is "a concern" (product.md), a caution; below 85% it is critical.
    if not below("spo2", r.spo2, rules.spo2_critical, "spo2_critical"):
        below("spo2", r.spo2, rules.spo2_low, "spo2_low", "caution")

    crisis = _crisis(r, rules)
    if crisis is not None:
        alerts = [a for a in alerts if a.key not in _CRISIS_COVERS]
        vital, value, limit = crisis
        add("hypertensive_crisis", "critical",
            f"Hypertensive crisis: BP {_bp(r)} is above {_fmt_opt(rules.crisis_systolic)}/"
            f"{_fmt_opt(rules.crisis_diastolic)} (ACC/AHA 2017)", vital, value, limit)

    if r.systolic is not None and r.diastolic is not None:
        pulse = r.systolic - r.diastolic
        for limit, word, broken in ((rules.pulse_pressure_low, "narrow", lambda p, x: p < x),
                                    (rules.pulse_pressure_high, "wide", lambda p, x: p > x)):
            if limit is not None and broken(pulse, limit):
                add("pulse_pressure_check", "caution",
                    f"BP {_bp(r)}: pulse pressure {pulse} mmHg is unusually {word}: check the reading",
                    "systolic", pulse, limit)

    if pre_dose and r.systolic is not None:
        sys_over = rules.predose_systolic_high is not None and r.systolic > rules.predose_systolic_high
        dia_over = (
            rules.predose_diastolic_high is not None
            and r.diastolic is not None
            and r.diastolic > rules.predose_diastolic_high
        )
        if sys_over or dia_over:
            limit = f"{_fmt_opt(rules.predose_systolic_high)}/{_fmt_opt(rules.predose_diastolic_high)}"
            vital = "systolic" if sys_over else "diastolic"
            value = r.systolic if sys_over else r.diastolic
            threshold = rules.predose_systolic_high if sys_over else rules.predose_diastolic_high
            assert value is not None and threshold is not None
            add("predose_bp_high", "caution", f"Pre-dose BP {_bp(r)} is above {limit}: consider delaying the dose",
                vital, value, threshold)

    if baseline is not None:
        for vital, limit, key in (
            ("systolic", rules.systolic_rise, "systolic_rise"),
            ("diastolic", rules.diastolic_rise, "diastolic_rise"),
        ):
            now, then = getattr(r, vital), getattr(baseline, vital)
            if limit is None or now is None or then is None:
                continue
            rise = now - then
            if rise >= limit:
                add(key, "caution", f"{VITAL_BOUNDS[vital].label} up {_fmt(rise)} mmHg from baseline {_fmt(then)}",
                    vital, rise, limit)

    # Stable sort keeps vital order within each severity.
    return sorted(alerts, key=lambda a: severity_rank(a.severity))


def _crisis(r: VitalsReading, rules: AlertRules) -> tuple[str, float, float] | None:
    """``(vital, value, threshold)`` of a hypertensive crisis (systolic first), or None."""
    if r.systolic is not None and rules.crisis_systolic is not None and r.systolic > rules.crisis_systolic:
        return "systolic", r.systolic, rules.crisis_systolic
    if r.diastolic is not None and rules.crisis_diastolic is not None and r.diastolic > rules.crisis_diastolic:
        return "diastolic", r.diastolic, rules.crisis_diastolic
    return None


def _bp(r: VitalsReading) -> str:
    return f"{r.systolic}/{r.diastolic}" if r.diastolic is not None else f"{r.systolic}"


def threshold_lines(rules: AlertRules = DEFAULT_RULES, *, baseline: VitalsReading | None = None) -> dict[str, list[float]]:
    """Horizontal lines for the vitals chart, by :class:`VitalsReading` field, ascending.

    The absolute bounds always (systolic, heart rate, respiratory rate, SpO₂ low and critical,
    diastolic caution and critical); with a ``baseline``, also baseline + rise for systolic and
    diastolic. Switched-off rules draw nothing and a vital with no line is left out. The
    pre-dose cue is not drawn: it applies to one moment, not to the whole chart.
    """
    lines: dict[str, set[float]] = {}

    def add(vital: str, value: float | None) -> None:
        if value is not None:
            lines.setdefault(vital, set()).add(float(value))

    add("systolic", rules.systolic_low)
    add("systolic", rules.systolic_high)
    add("heart_rate", rules.hr_low)
    add("heart_rate", rules.hr_high)
    add("resp_rate", rules.rr_low)
    add("resp_rate", rules.rr_high)
    add("spo2", rules.spo2_low)
    # Issue 9's tiers: the absolute diastolic (caution, critical) and the critical SpO₂.
    add("diastolic", rules.diastolic_high)
    add("diastolic", rules.diastolic_critical)
    add("spo2", rules.spo2_critical)
    if baseline is not None:
        if baseline.systolic is not None and rules.systolic_rise is not None:
            add("systolic", baseline.systolic + rules.systolic_rise)
        if baseline.diastolic is not None and rules.diastolic_rise is not None:
            add("diastolic", baseline.diastolic + rules.diastolic_rise)
    return {vital: sorted(values) for vital, values in lines.items()}


# --------------------------------------------------------------------------------------------
# Wording
# --------------------------------------------------------------------------------------------


def _fmt(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _fmt_opt(value: float | None) -> str:
    return "–" if value is None else _fmt(value)


def _describe(vital: str, value: float) -> str:
    """``Systolic 186 mmHg``, ``Heart rate 46 bpm``, ``Respiratory rate 8/min``, ``SpO₂ 90%``;
    a respiratory rate of 0 says what it is: ``Respiratory rate 0/min (apnoea)``."""
    label = VITAL_BOUNDS[vital].label
    apnoea = " (apnoea)" if vital == "resp_rate" and value == 0 else ""
    return f"{label} {_fmt(value)}{_unit_suffix(vital)}{apnoea}"


def _limit(vital: str, limit: float) -> str:
    """The threshold as the message ends: ``180``, ``92%`` (the % reads oddly if left off)."""
    return f"{_fmt(limit)}%" if vital == "spo2" else _fmt(limit)


def _unit_suffix(vital: str) -> str:
    unit = VITAL_BOUNDS[vital].unit
    return unit if unit in ("%", "/min") else f" {unit}"
