"""The typed session record: one :class:`Kind` per entry kind, one payload type per kind.

An entry is stored as ``kind`` (text) + ``payload`` (a JSON object). That JSON is decoded into
the types below **once**, where it leaves the store (:func:`decode`), and encoded once, where it
goes in (:func:`encode`); nothing else in the program reads or builds a payload dict. Code asks
an entry for its :attr:`EntryInfo.data` and matches on the type.

The stored shape
----------------
The JSON keys are the storage schema of every record written so far and are kept as they are:
entries are append-only (nothing may rewrite an old row, so a data migration is impossible), and
one shape per kind means every reader of the file — an older room, the clinic server, a CSV
consumer reading ``payload_json`` — keeps a single contract. Where the stored key differs from
the program's field name, the codec below maps it in one place (``hr`` → ``heart_rate``,
``rr`` → ``resp_rate``, ``temp_c`` → ``temperature_c``; see :mod:`kapdesk.domain.vitals`).

======================  =========================================================================
kind                    payload type (stored keys)
======================  =========================================================================
session_started         :class:`SessionStarted` {"protocol"}
phase                   :class:`PhaseEntered` {"index", "key", "name"}
phase_extended          :class:`PhaseExtended` {"index", "minutes"}
dose_time               :class:`DoseTime` {} (T0; the dose itself is a ``dose`` entry)
reminder_done           :class:`ReminderDone` {"reminder"} (a reading taken outside KAPDesk)
session_ended           :class:`SessionEnded` {}
vitals                  :class:`Vitals` {"systolic", "diastolic", "hr", "spo2", "rr", "temp_c",
                        "baseline"}
dose                    :class:`~kapdesk.domain.doses.Dose`
scale                   :class:`~kapdesk.domain.scales.ScaleResult`
observation             :class:`~kapdesk.domain.observations.Observation`
presence                :class:`Presence` {"present", "handoff_to", "note"}
alert                   :class:`AlertRaised` {"key", "severity", "message", "reading", ["repeats"]}
alert_ack               :class:`AlertAck` {"alert", "key", "message", ["reason"]}
music                   :class:`MusicEvent` {"event", "title", "artist", "location", "section",
                        … the player's event fields}
preparation             :class:`Preparation` {"intention", "checklist", "contraindications",
                        "medications", "weight_kg", "self_harm_thoughts" (only once answered)}
safety_override         :class:`SafetyOverride` {"items", "reason", "keys" (only when known),
                        "gate" (only when not "dose")}
rems                    :class:`RemsAnswers` {"serious_adverse_events", "ready_without_2h_minutes"}
rescue_medication       :class:`~kapdesk.domain.rescue.RescueMedication` {"drug", "drug_class", "amount",
                        "unit", "route", "reason", "given_by", "lot", "device"}
adverse_event           :class:`~kapdesk.domain.rescue.AdverseEvent` {"event", "detail", "severity",
                        "outcome", "rescue", "note"}
infusion_start          :class:`~kapdesk.domain.infusions.InfusionStart` {"drug", "route", "rate",
                        "given_by", "planned_mg", "planned_minutes", "mg_per_kg", "lot"}
infusion_change         :class:`~kapdesk.domain.infusions.InfusionChange` {"infusion", "action", "rate"}
discharge_check         :class:`DischargeCheck` {"steady_gait", "oriented", "dissociation_resolved",
                        "no_driving_told", "escort"}
rems_patient            :class:`RemsPatient` {"enrolled", "enrolment", "first_treatment"} (per client:
                        later sittings of the same client read it)
handoff                 :class:`Handoff` {"from", "from_name", "to", "to_name", "by"} (another
                        clinician signed in over the acting one: the quick switch, or an unlock)
======================  =========================================================================

A stored payload this build cannot read (out of today's bounds, a kind from a newer build) decodes
to :class:`Unreadable`, which keeps the stored JSON: the timeline and the CSV still show it, raw,
and no fact is derived from it. A correction is an entry of the same kind whose ``supersedes_id``
names the entry it replaces.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar, Union

from kapdesk.domain.alerts import severity_of
from kapdesk.domain.doses import Dose, DoseError
from kapdesk.domain.infusions import InfusionChange, InfusionStart
from kapdesk.domain.observations import Observation, ObservationError
from kapdesk.domain.rescue import AdverseEvent, RescueError, RescueMedication
from kapdesk.domain.scales import SCALES, ScaleError, ScaleResult, summarize
from kapdesk.domain.vitals import VitalsError, VitalsReading


class Kind(StrEnum):
    """The kinds of session entry; the value is what the store keeps in ``entry.kind``."""

    SESSION_STARTED = "session_started"
    PHASE = "phase"
    PHASE_EXTENDED = "phase_extended"
    DOSE_TIME = "dose_time"
    REMINDER_DONE = "reminder_done"
    SESSION_ENDED = "session_ended"
    VITALS = "vitals"
    DOSE = "dose"
    SCALE = "scale"
    OBSERVATION = "observation"
    PRESENCE = "presence"
    ALERT = "alert"
    ALERT_ACK = "alert_ack"
    MUSIC = "music"
    PREPARATION = "preparation"
    SAFETY_OVERRIDE = "safety_override"
    REMS = "rems"
    RESCUE_MEDICATION = "rescue_medication"
    ADVERSE_EVENT = "adverse_event"
    DISCHARGE_CHECK = "discharge_check"
    REMS_PATIENT = "rems_patient"
    UNKNOWN = "unknown"  # a kind this build does not know (written by a newer one)
    INFUSION_START = "infusion_start"
    INFUSION_CHANGE = "infusion_change"
    HANDOFF = "handoff"

    @property
    def label(self) -> str:
        return _KIND_LABELS.get(self, self.value.replace("_", " ").capitalize())


_KIND_LABELS = {
    Kind.SESSION_STARTED: "Session", Kind.PHASE: "Phase", Kind.PHASE_EXTENDED: "Phase",
    Kind.DOSE_TIME: "Dose time", Kind.REMINDER_DONE: "Reminder", Kind.SESSION_ENDED: "Session",
    Kind.ALERT_ACK: "Alert", Kind.SAFETY_OVERRIDE: "Override", Kind.REMS: "REMS",
    Kind.INFUSION_START: "Infusion", Kind.INFUSION_CHANGE: "Infusion",
    Kind.DISCHARGE_CHECK: "Discharge", Kind.REMS_PATIENT: "REMS",
}
_KIND_LABELS |= {Kind.RESCUE_MEDICATION: "Rescue", Kind.ADVERSE_EVENT: "Adverse event"}
_KIND_LABELS |= {Kind.HANDOFF: "Hand-off"}

# Entries whose times satisfy a vitals reminder on the session clock.
READING_KINDS: frozenset[Kind] = frozenset({Kind.VITALS, Kind.REMINDER_DONE})


class PayloadError(ValueError):
    """A payload that does not fit its kind (from code: a bug; from storage: an unreadable row)."""


# ------------------------------------------------------------------------------------------------
# Payload types
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionStarted:
    protocol: str

    def describe(self) -> str:
        return f"started ({self.protocol})"


@dataclass(frozen=True)
class PhaseEntered:
    index: int
    key: str
    name: str

    def describe(self) -> str:
        return f"→ {self.name}"


@dataclass(frozen=True)
class PhaseExtended:
    index: int
    minutes: int

    def describe(self) -> str:
        return f"extended by {self.minutes} min"


@dataclass(frozen=True)
class DoseTime:
    def describe(self) -> str:
        return "T0 marked"


@dataclass(frozen=True)
class ReminderDone:
    reminder: str = "Vitals"

    def describe(self) -> str:
        return f"{self.reminder} taken"


@dataclass(frozen=True)
class SessionEnded:
    def describe(self) -> str:
        return "ended"


@dataclass(frozen=True)
class Vitals:
    """One vitals entry: the reading, and whether the clinician flagged it as the baseline."""

    reading: VitalsReading
    baseline: bool = False

    def describe(self) -> str:
        text = self.reading.format()
        return f"{text}  (baseline)" if self.baseline else text


@dataclass(frozen=True)
class Presence:
    present: tuple[str, ...] = ()
    handoff_to: str | None = None
    note: str = ""

    def describe(self) -> str:
        text = "present: " + ", ".join(self.present) if self.present else ""
        if self.handoff_to:
            text += f"; handed off to {self.handoff_to}"
        if self.note:
            text += f" ({self.note})"
        return text.strip("; ")


# How the clinician taking over proved who they are (a hand-off entry's "by").
HANDOFF_BY = {"password": "password", "pin": "PIN", "emergency": "the emergency code"}


@dataclass(frozen=True)
class Handoff:
    """The acting clinician changed: ``to`` signed in over ``from`` (names as they were then).

    Unlike :class:`Presence`, whose ``handoff_to`` is a typed name, this one is proved: the new
    clinician typed their own password or PIN (``by``), and everything recorded after it is theirs.
    """

    from_id: uuid.UUID
    from_name: str
    to_id: uuid.UUID
    to_name: str
    by: str  # a key of HANDOFF_BY

    def describe(self) -> str:
        return f"hand-off from {self.from_name} to {self.to_name} (signed in with {HANDOFF_BY.get(self.by, self.by)})"


@dataclass(frozen=True)
class AlertRaised:
    """An alert as recorded: the rule (``key``), how pressing, what it said, what it is about.

    ``severity`` is ``"critical"``, ``"caution"`` or ``"reminder"``; a row stored as ``"warning"``
    by an older build reads as ``"critical"`` (:func:`kapdesk.domain.alerts.severity_of`), and
    ``stored_severity`` keeps the word as stored so that encoding gives back exactly the stored
    JSON (rows are never rewritten; the CSV's ``payload_json`` is the row's).
    ``reading`` (the stored key's name since the first release) is the entry the alert is about —
    a vitals reading or a scale entry — or the PHQ-9 outcome's id; None for an overdue reading.
    ``repeats`` names the ``alert_ack`` entry after which a critical condition that persisted was
    shown again (None for the first showing); stored only when set.
    """

    key: str
    severity: str
    message: str
    reading: uuid.UUID | None = None
    repeats: uuid.UUID | None = None
    stored_severity: str | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        meaning = severity_of(self.severity)
        if meaning != self.severity:
            object.__setattr__(self, "stored_severity", self.stored_severity or self.severity)
            object.__setattr__(self, "severity", meaning)

    def describe(self) -> str:
        return self.message or self.key


@dataclass(frozen=True)
class AlertAck:
    """The clinician acknowledged the ``alert`` entry named by ``alert`` (who and when: the entry's).

    ``reason`` is required for a critical alert (alarm practice) and optional otherwise; stored
    only when given, so acknowledgements written before it read as they did.
    """

    alert: uuid.UUID
    key: str
    message: str
    reason: str = ""

    def describe(self) -> str:
        reason = f" (reason: {self.reason})" if self.reason else ""
        return f"acknowledged: {self.message or self.key}{reason}"


@dataclass(frozen=True)
class MusicEvent:
    """What the music did (``kapdesk.player.EventKind`` in ``event``) and the track it concerned.

    ``details`` holds the event's own fields as the player gave them (``action``, ``reason``,
    ``volume_to``, ``playlist_source`` …; see ``Player._record``), shown and exported as they are.
    """

    event: str
    title: str | None = None
    artist: str | None = None
    location: str | None = None
    section: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def detail(self, key: str) -> Any:
        return self.details.get(key)

    def describe(self) -> str:
        event = self.event.replace("_", " ")
        title = " – ".join(x for x in (self.artist, self.title) if x)
        section = f" [{self.section}]" if self.section else ""
        return f"{event}: {title}{section}" if title else f"{event}{section}"


Answers = Mapping[str, "bool | None"]


@dataclass(frozen=True)
class Preparation:
    """The preparation as entered; unanswered items are ``None`` (see :mod:`kapdesk.domain.preparation`)."""

    intention: str = ""
    checklist: Answers = field(default_factory=dict)
    contraindications: Answers = field(default_factory=dict)
    medications: Answers = field(default_factory=dict)
    weight_kg: float | None = None
    # "Thoughts of suicide or self-harm since the last visit" (None: not answered; older entries lack it).
    self_harm_thoughts: bool | None = None

    def describe(self) -> str:
        intention = self.intention.strip()
        return f"intention: {intention}" if intention else "preparation recorded"


# The gates an override can pass: dosing (T0) and ending the session (discharge).
DOSE_GATE = "dose"
DISCHARGE_GATE = "discharge"


@dataclass(frozen=True)
class SafetyOverride:
    """A gate was passed despite these open items, for the clinician's reason.

    ``gate`` says which: ``"dose"`` (T0 marked despite open safety items; every row written
    before discharge overrides existed is one) or ``"discharge"`` (the session ended despite open
    discharge items, :mod:`kapdesk.domain.discharge`).
    """

    items: tuple[str, ...]
    reason: str
    # Stable codes of the items, in the same order (``kapdesk.domain.preparation.GateItem.key``,
    # e.g. ``predose_reading.<vitals entry id>.systolic_high``); empty in older entries.
    keys: tuple[str, ...] = ()
    gate: str = DOSE_GATE  # which gate was passed: "dose" or "discharge"

    def describe(self) -> str:
        done = "ended despite" if self.gate == DISCHARGE_GATE else "dosed despite"
        return f"{done}: {', '.join(self.items)} (reason: {self.reason})"


# What a blank answer reads as, on the timeline, in the PDF and in the CSV: never "none".
NOT_ANSWERED = "not answered"


@dataclass(frozen=True)
class RemsAnswers:
    """The esketamine REMS form's answers that only the clinician can give."""

    serious_adverse_events: str = ""
    ready_without_2h_minutes: int | None = None

    def describe(self) -> str:
        # A blank field was not answered: it must not read as "none" (the clinician types "none").
        events = self.serious_adverse_events.strip() or NOT_ANSWERED
        minutes = self.ready_without_2h_minutes
        ready = f" at {minutes} min" if minutes is not None else f": {NOT_ANSWERED}"
        return f"serious adverse events: {events}; ready without the 2-hour rule{ready}"


def _yes_no(answer: bool | None) -> str:
    return NOT_ANSWERED if answer is None else ("yes" if answer else "no")


@dataclass(frozen=True)
class DischargeCheck:
    """The discharge checklist as answered (``None``: not answered; see :mod:`kapdesk.domain.discharge`).

    The modified Aldrete is not here: it is a ``scale`` entry (F4), read from there.
    """

    steady_gait: bool | None = None
    oriented: bool | None = None
    dissociation_resolved: bool | None = None
    no_driving_told: bool | None = None  # told: no driving or machinery until the next day after sleep
    escort: str = ""  # the name of the person taking the client home

    def describe(self) -> str:
        escort = self.escort.strip() or NOT_ANSWERED
        return (f"steady gait {_yes_no(self.steady_gait)}; oriented {_yes_no(self.oriented)}; "
                f"dissociation resolved {_yes_no(self.dissociation_resolved)}; escort {escort}; "
                f"told not to drive {_yes_no(self.no_driving_told)}")


@dataclass(frozen=True)
class RemsPatient:
    """The client's esketamine REMS facts, asked once per client (later sittings read them).

    ``enrolled``: the patient's REMS enrolment is confirmed; ``enrolment`` its ID or date as
    typed. ``first_treatment``: the clinician's confirmation that the sitting it was recorded in
    is the client's first esketamine treatment (``False``: treated before, e.g. elsewhere).
    """

    enrolled: bool | None = None
    enrolment: str = ""
    first_treatment: bool | None = None

    def describe(self) -> str:
        enrolment = f" ({self.enrolment.strip()})" if self.enrolment.strip() else ""
        return (f"REMS enrolment {_yes_no(self.enrolled)}{enrolment}; "
                f"first esketamine treatment {_yes_no(self.first_treatment)}")


@dataclass(frozen=True)
class Unreadable:
    """A stored payload this build cannot read; ``stored`` is the JSON as it is on disk."""

    kind: str
    stored: Mapping[str, Any]
    problem: str

    def describe(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.stored.items())


def _describe_dose(dose: Dose) -> str:
    return f"{dose.format()} · given by {dose.given_by}"


def _describe_scale(result: ScaleResult) -> str:
    return summarize(SCALES[result.scale_key], result)


Payload = Union[
    SessionStarted, PhaseEntered, PhaseExtended, DoseTime, ReminderDone, SessionEnded, Vitals, Dose, ScaleResult,
    Observation, Presence, AlertRaised, AlertAck, MusicEvent, Preparation, SafetyOverride, RemsAnswers, Unreadable,
    RescueMedication, AdverseEvent,
    InfusionStart, InfusionChange,
    DischargeCheck, RemsPatient,
    Handoff,
]
P = TypeVar("P")


# ------------------------------------------------------------------------------------------------
# The recorded entry
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryInfo:
    """One stored entry, decoded: who recorded what, when, and what it replaced or was replaced by."""

    id: uuid.UUID
    session_id: uuid.UUID
    kind: Kind
    occurred_at: datetime
    recorded_at: datetime
    author_id: uuid.UUID
    author_name: str
    data: Payload
    supersedes_id: uuid.UUID | None = None
    superseded_by: uuid.UUID | None = None
    note: str | None = None

    @property
    def current(self) -> bool:
        return self.superseded_by is None

    @property
    def stored_kind(self) -> str:
        """The kind as the store holds it (a newer build's unknown kind included)."""
        return self.data.kind if isinstance(self.data, Unreadable) else self.kind.value

    def describe(self) -> str:
        """One line of plain text; an unreadable payload is shown raw rather than hidden."""
        return describe(self.data)


def describe(data: Payload) -> str:
    if isinstance(data, Dose):
        return _describe_dose(data)
    if isinstance(data, ScaleResult):
        return _describe_scale(data)
    if isinstance(data, Observation):
        return data.format()
    return data.describe()


def of_type(entries: Iterable[EntryInfo], payload_type: type[P], *, current: bool = True) -> list[tuple[EntryInfo, P]]:
    """The entries whose payload is a ``payload_type`` (only current ones by default), with it."""
    return [(e, e.data) for e in entries if isinstance(e.data, payload_type) and (e.current or not current)]


# ------------------------------------------------------------------------------------------------
# The codec: the only code that reads or writes a payload dict
# ------------------------------------------------------------------------------------------------


def _text(stored: Mapping[str, Any], key: str, default: str = "") -> str:
    value = stored.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise PayloadError(f"{key} must be text, not {value!r}")
    return value


def _opt_text(stored: Mapping[str, Any], key: str) -> str | None:
    return _text(stored, key) or None


def _int(stored: Mapping[str, Any], key: str) -> int:
    value = stored.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise PayloadError(f"{key} must be a whole number, not {value!r}")
    return int(value)


def _opt_int(stored: Mapping[str, Any], key: str) -> int | None:
    return None if stored.get(key) is None else _int(stored, key)


def _opt_bool(stored: Mapping[str, Any], key: str) -> bool | None:
    value = stored.get(key)
    if value is not None and not isinstance(value, bool):
        raise PayloadError(f"{key} must be true, false or unanswered, not {value!r}")
    return value


def _uuid(value: Any, key: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise PayloadError(f"{key} must be an entry id, not {value!r}") from None


def _texts(stored: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = stored.get(key) or []
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise PayloadError(f"{key} must be a list of text")
    return tuple(value)


def _answers(stored: Mapping[str, Any], key: str) -> Mapping[str, bool | None]:
    value = stored.get(key) or {}
    if not isinstance(value, Mapping) or not all(v is None or isinstance(v, bool) for v in value.values()):
        raise PayloadError(f"{key} must map items to yes, no or unanswered")
    return MappingProxyType(dict(value))


def _frozen(value: Any) -> Any:
    return MappingProxyType(dict(value))


_MUSIC_TRACK_FIELDS = ("event", "title", "artist", "location", "section")


def _read_vitals(s: Mapping[str, Any]) -> Vitals:
    baseline = s.get("baseline", False)
    if not isinstance(baseline, bool):
        raise PayloadError(f"baseline must be true or false, not {baseline!r}")
    return Vitals(VitalsReading.from_payload(s), baseline)


def _opt_bool(stored: Mapping[str, Any], key: str) -> bool | None:
    value = stored.get(key)
    if value is not None and not isinstance(value, bool):
        raise PayloadError(f"{key} must be yes, no or unanswered, not {value!r}")
    return value


def _read_weight(s: Mapping[str, Any]) -> float | None:
    value = s.get("weight_kg")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PayloadError(f"weight_kg must be a number, not {value!r}")
    return float(value)


def _read_handoff(s: Mapping[str, Any]) -> Handoff:
    by = _text(s, "by")
    if by not in HANDOFF_BY:
        raise PayloadError(f"by must be one of {', '.join(HANDOFF_BY)}, not {by!r}")
    return Handoff(_uuid(s.get("from"), "from"), _text(s, "from_name"), _uuid(s.get("to"), "to"),
                   _text(s, "to_name"), by)


_READERS: dict[Kind, Callable[[Mapping[str, Any]], Payload]] = {
    Kind.HANDOFF: _read_handoff,
    Kind.SESSION_STARTED: lambda s: SessionStarted(_text(s, "protocol", "?")),
    Kind.PHASE: lambda s: PhaseEntered(_int(s, "index"), _text(s, "key"), _text(s, "name", "?")),
    Kind.PHASE_EXTENDED: lambda s: PhaseExtended(_int(s, "index"), _int(s, "minutes")),
    Kind.DOSE_TIME: lambda s: DoseTime(),
    Kind.REMINDER_DONE: lambda s: ReminderDone(_text(s, "reminder", "Vitals")),
    Kind.SESSION_ENDED: lambda s: SessionEnded(),
    Kind.VITALS: _read_vitals,
    Kind.DOSE: Dose.from_payload,
    Kind.SCALE: ScaleResult.from_payload,
    Kind.OBSERVATION: Observation.from_payload,
    Kind.PRESENCE: lambda s: Presence(_texts(s, "present"), _opt_text(s, "handoff_to"), _text(s, "note")),
    Kind.ALERT: lambda s: AlertRaised(
        _text(s, "key"), _text(s, "severity", "caution"), _text(s, "message"),
        None if s.get("reading") is None else _uuid(s.get("reading"), "reading"),
        None if s.get("repeats") is None else _uuid(s.get("repeats"), "repeats"),
    ),
    Kind.ALERT_ACK: lambda s: AlertAck(_uuid(s.get("alert"), "alert"), _text(s, "key"), _text(s, "message"),
                                       _text(s, "reason")),
    Kind.MUSIC: lambda s: MusicEvent(
        _text(s, "event"), _opt_text(s, "title"), _opt_text(s, "artist"), _opt_text(s, "location"),
        _opt_text(s, "section"), _frozen({k: v for k, v in s.items() if k not in _MUSIC_TRACK_FIELDS}),
    ),
    Kind.PREPARATION: lambda s: Preparation(
        _text(s, "intention"), _answers(s, "checklist"), _answers(s, "contraindications"),
        _answers(s, "medications"), _read_weight(s), _opt_bool(s, "self_harm_thoughts"),
    ),
    Kind.SAFETY_OVERRIDE: lambda s: SafetyOverride(_texts(s, "items"), _text(s, "reason"), _texts(s, "keys"),
                                                   _text(s, "gate", DOSE_GATE)),
    Kind.REMS: lambda s: RemsAnswers(_text(s, "serious_adverse_events"), _opt_int(s, "ready_without_2h_minutes")),
    Kind.RESCUE_MEDICATION: RescueMedication.from_payload,
    Kind.ADVERSE_EVENT: AdverseEvent.from_payload,
    Kind.INFUSION_START: InfusionStart.from_payload,
    Kind.INFUSION_CHANGE: InfusionChange.from_payload,
    Kind.DISCHARGE_CHECK: lambda s: DischargeCheck(
        _opt_bool(s, "steady_gait"), _opt_bool(s, "oriented"), _opt_bool(s, "dissociation_resolved"),
        _opt_bool(s, "no_driving_told"), _text(s, "escort"),
    ),
    Kind.REMS_PATIENT: lambda s: RemsPatient(_opt_bool(s, "enrolled"), _text(s, "enrolment"),
                                             _opt_bool(s, "first_treatment")),
}


def _write_music(m: MusicEvent) -> dict[str, Any]:
    track = {"event": m.event, "title": m.title, "artist": m.artist, "location": m.location, "section": m.section}
    return {**{k: v for k, v in track.items() if v is not None or k == "event"}, **m.details}


_WRITERS: dict[type, tuple[Kind, Callable[[Any], dict[str, Any]]]] = {
    Handoff: (Kind.HANDOFF, lambda p: {"from": str(p.from_id), "from_name": p.from_name, "to": str(p.to_id),
                                       "to_name": p.to_name, "by": p.by}),
    SessionStarted: (Kind.SESSION_STARTED, lambda p: {"protocol": p.protocol}),
    PhaseEntered: (Kind.PHASE, lambda p: {"index": p.index, "key": p.key, "name": p.name}),
    PhaseExtended: (Kind.PHASE_EXTENDED, lambda p: {"index": p.index, "minutes": p.minutes}),
    DoseTime: (Kind.DOSE_TIME, lambda p: {}),
    ReminderDone: (Kind.REMINDER_DONE, lambda p: {"reminder": p.reminder}),
    SessionEnded: (Kind.SESSION_ENDED, lambda p: {}),
    Vitals: (Kind.VITALS, lambda p: p.reading.to_payload() | {"baseline": p.baseline}),
    Dose: (Kind.DOSE, lambda p: p.to_payload()),
    ScaleResult: (Kind.SCALE, lambda p: p.to_payload()),
    Observation: (Kind.OBSERVATION, lambda p: p.to_payload()),
    Presence: (Kind.PRESENCE, lambda p: {"present": list(p.present), "handoff_to": p.handoff_to, "note": p.note}),
    AlertRaised: (Kind.ALERT, lambda p: {
        "key": p.key, "severity": p.stored_severity or p.severity, "message": p.message,
        "reading": None if p.reading is None else str(p.reading),
        **({} if p.repeats is None else {"repeats": str(p.repeats)}),
    }),
    AlertAck: (Kind.ALERT_ACK, lambda p: {
        "alert": str(p.alert), "key": p.key, "message": p.message, **({"reason": p.reason} if p.reason else {}),
    }),
    MusicEvent: (Kind.MUSIC, _write_music),
    Preparation: (Kind.PREPARATION, lambda p: {
        "intention": p.intention, "checklist": dict(p.checklist), "contraindications": dict(p.contraindications),
        "medications": dict(p.medications), "weight_kg": p.weight_kg,
        # Written once answered, so entries that never asked keep their stored shape.
        **({"self_harm_thoughts": p.self_harm_thoughts} if p.self_harm_thoughts is not None else {}),
    }),
    # "keys" only when known and "gate" only for a discharge override: a dose override without keys
    # keeps the shape written since the first release.
    SafetyOverride: (Kind.SAFETY_OVERRIDE, lambda p: {
        "items": list(p.items), "reason": p.reason, **({"keys": list(p.keys)} if p.keys else {}),
        **({} if p.gate == DOSE_GATE else {"gate": p.gate}),
    }),
    RemsAnswers: (Kind.REMS, lambda p: {
        "serious_adverse_events": p.serious_adverse_events, "ready_without_2h_minutes": p.ready_without_2h_minutes,
    }),
    RescueMedication: (Kind.RESCUE_MEDICATION, lambda p: p.to_payload()),
    AdverseEvent: (Kind.ADVERSE_EVENT, lambda p: p.to_payload()),
    InfusionStart: (Kind.INFUSION_START, lambda p: p.to_payload()),
    InfusionChange: (Kind.INFUSION_CHANGE, lambda p: p.to_payload()),
    DischargeCheck: (Kind.DISCHARGE_CHECK, lambda p: {
        "steady_gait": p.steady_gait, "oriented": p.oriented, "dissociation_resolved": p.dissociation_resolved,
        "no_driving_told": p.no_driving_told, "escort": p.escort,
    }),
    RemsPatient: (Kind.REMS_PATIENT, lambda p: {
        "enrolled": p.enrolled, "enrolment": p.enrolment, "first_treatment": p.first_treatment,
    }),
}

_UNREADABLE = (PayloadError, VitalsError, DoseError, ScaleError, ObservationError, RescueError, KeyError, TypeError,
               ValueError)


def decode(kind: str, stored: Mapping[str, Any]) -> tuple[Kind, Payload]:
    """The typed payload of a stored entry; what this build cannot read becomes :class:`Unreadable`."""
    try:
        known = Kind(kind)
    except ValueError:
        return Kind.UNKNOWN, Unreadable(kind, _frozen(stored), f"unknown kind {kind!r}")
    reader = _READERS.get(known)
    if reader is None or not isinstance(stored, Mapping):
        kept = stored if isinstance(stored, Mapping) else {"value": stored}
        return known, Unreadable(kind, _frozen(kept), "not a JSON object")
    try:
        return known, reader(stored)
    except _UNREADABLE as exc:
        return known, Unreadable(kind, _frozen(stored), str(exc))


def encode(data: Payload) -> tuple[Kind, dict[str, Any]]:
    """The kind and the JSON object to store for a payload (an :class:`Unreadable` one as it was)."""
    if isinstance(data, Unreadable):
        return Kind(data.kind) if data.kind in Kind._value2member_map_ else Kind.UNKNOWN, dict(data.stored)
    try:
        kind, write = _WRITERS[type(data)]
    except KeyError:
        raise PayloadError(f"{type(data).__name__} is not an entry payload") from None
    return kind, write(data)


def stored_json(data: Payload) -> str:
    """The payload as one line of canonical JSON (sorted keys): the CSV's ``payload_json`` cell."""
    return json.dumps(encode(data)[1], ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def music_event(event: str, fields: Mapping[str, Any]) -> MusicEvent:
    """A ``Player.event_recorded(kind, fields)`` signal as the entry it becomes (decoded here, once)."""
    data = _READERS[Kind.MUSIC]({**fields, "event": event})
    assert isinstance(data, MusicEvent)
    return data


def kind_of(data: Payload) -> Kind:
    return encode(data)[0]
