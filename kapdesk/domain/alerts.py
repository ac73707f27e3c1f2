"""Threshold and baseline-relative rules for vital signs, as per-clinic data.

:class:`AlertRules` holds every number (product.md, "Routes and monitoring rules"); the defaults
are the common emergency-department "do not dose" bounds (systolic < 90 or > 180, heart rate
< 50 or > 150, respiratory rate < 10 or > 30), SpO₂ below 92%, the esketamine label's pre-dose
cue (blood pressure above 140/90: weigh a delay), and the label's notable rise from baseline
(systolic +40 or diastolic +25 mmHg). A clinic overrides any of them in its settings file;
:meth:`AlertRules.from_mapping` reads that table and names the setting that is wrong.

:func:`evaluate` turns one reading into a list of :class:`Alert` — plain sentences with the
numbers in them, for a glanceable, silent cue. It decides nothing clinical on its own: an alert
is information for the clinician in the room. Comparisons follow the wording of the sources:
"< 90", "> 180", "above 140/90" are strict; a rise "of 40 mmHg or more" is inclusive.

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
    "Alert",
    "AlertRules",
    "AlertRulesError",
    "Severity",
    "evaluate",
    "threshold_lines",
]

Severity = Literal["caution", "warning"]


@dataclass(frozen=True)
class Alert:
    """One rule a reading broke.

    ``key`` is stable for code and storage (``"systolic_high"``, ``"spo2_low"``,
    ``"systolic_rise"``, ``"predose_bp_high"`` …); ``message`` is for the clinician.
    ``severity`` is ``"warning"`` for an absolute bound and ``"caution"`` for a cue to weigh
    (pre-dose blood pressure, a rise from baseline). ``blocks_dosing`` is True for a
    "do not dose" bound broken by a pre-dose reading.
    """

    key: str
    severity: Severity
    message: str
    vital: str  # the VitalsReading field concerned ("systolic", "heart_rate", …)
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
}
_PAIRS = (("systolic_low", "systolic_high"), ("hr_low", "hr_high"), ("rr_low", "rr_high"))


@dataclass(frozen=True)
class AlertRules:
    """Per-clinic thresholds. ``None`` switches a rule off (in TOML, write ``false``).

    Units: mmHg for blood pressure and rises, bpm, breaths/min, % SpO₂. Construction validates:
    each threshold lies inside the plausible range of its vital (a typo such as
    ``systolic_high = 1800`` fails here, not silently at the bedside), every low is below its
    high, and rises are positive.
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

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
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


def evaluate(
    reading: VitalsReading,
    *,
    baseline: VitalsReading | None,
    pre_dose: bool,
    rules: AlertRules = DEFAULT_RULES,
) -> list[Alert]:
    """Every rule ``reading`` breaks, warnings first, then cautions (each in vital order).

    ``baseline`` is the sitting's baseline (:func:`kapdesk.domain.record.find_baseline`); rises are
    measured from it when both readings have a blood pressure. ``pre_dose`` marks a reading taken
    before any dose: it adds the pre-dose blood-pressure cue and makes the "do not dose" bounds
    set ``blocks_dosing``. Vitals the reading lacks are simply not checked.
    """
    alerts: list[Alert] = []

    def below(vital: str, value: float | None, limit: float | None, key: str, blocks: bool) -> None:
        if value is not None and limit is not None and value < limit:
            alerts.append(
                Alert(key, "warning", f"{_describe(vital, value)} is below {_limit(vital, limit)}", vital,
                      value, limit, blocks and pre_dose)
            )

    def above(vital: str, value: float | None, limit: float | None, key: str, blocks: bool) -> None:
        if value is not None and limit is not None and value > limit:
            alerts.append(
                Alert(key, "warning", f"{_describe(vital, value)} is above {_limit(vital, limit)}", vital,
                      value, limit, blocks and pre_dose)
            )

    r = reading
    below("systolic", r.systolic, rules.systolic_low, "systolic_low", True)
    above("systolic", r.systolic, rules.systolic_high, "systolic_high", True)
    below("heart_rate", r.heart_rate, rules.hr_low, "hr_low", True)
    above("heart_rate", r.heart_rate, rules.hr_high, "hr_high", True)
    below("resp_rate", r.resp_rate, rules.rr_low, "rr_low", True)
    above("resp_rate", r.resp_rate, rules.rr_high, "rr_high", True)
    # SpO₂ below 92% is "a concern", not one of the do-not-dose bounds (product.md).
    below("spo2", r.spo2, rules.spo2_low, "spo2_low", False)

    if pre_dose and r.systolic is not None:
        sys_over = rules.predose_systolic_high is not None and r.systolic > rules.predose_systolic_high
        dia_over = (
            rules.predose_diastolic_high is not None
            and r.diastolic is not None
            and r.diastolic > rules.predose_diastolic_high
        )
        if sys_over or dia_over:
            bp = f"{r.systolic}/{r.diastolic}" if r.diastolic is not None else f"{r.systolic}"
            limit = f"{_fmt_opt(rules.predose_systolic_high)}/{_fmt_opt(rules.predose_diastolic_high)}"
            vital = "systolic" if sys_over else "diastolic"
            value = r.systolic if sys_over else r.diastolic
            threshold = rules.predose_systolic_high if sys_over else rules.predose_diastolic_high
            assert value is not None and threshold is not None
            alerts.append(
                Alert(
                    "predose_bp_high",
                    "caution",
                    f"Pre-dose BP {bp} is above {limit}: consider delaying the dose",
                    vital,
                    value,
                    threshold,
                )
            )

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
                alerts.append(
                    Alert(
                        key,
                        "caution",
                        f"{VITAL_BOUNDS[vital].label} up {_fmt(rise)} mmHg from baseline {_fmt(then)}",
                        vital,
                        rise,
                        limit,
                    )
                )

    # Stable sort keeps vital order within each severity.
    return sorted(alerts, key=lambda a: 0 if a.severity == "warning" else 1)


def threshold_lines(rules: AlertRules = DEFAULT_RULES, *, baseline: VitalsReading | None = None) -> dict[str, list[float]]:
    """Horizontal lines for the vitals chart, by :class:`VitalsReading` field, ascending.

    The absolute bounds always; with a ``baseline``, also baseline + rise for systolic and
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
    """``Systolic 186 mmHg``, ``Heart rate 46 bpm``, ``Respiratory rate 8/min``, ``SpO₂ 90%``."""
    label = VITAL_BOUNDS[vital].label
    return f"{label} {_fmt(value)}{_unit_suffix(vital)}"


def _limit(vital: str, limit: float) -> str:
    """The threshold as the message ends: ``180``, ``92%`` (the % reads oddly if left off)."""
    return f"{_fmt(limit)}%" if vital == "spo2" else _fmt(limit)


def _unit_suffix(vital: str) -> str:
    unit = VITAL_BOUNDS[vital].unit
    return unit if unit in ("%", "/min") else f" {unit}"
