"""The esketamine REMS monitoring form's answers that come from the record. Pure: no Qt, no I/O.

The PDF's REMS section words these; it derives none of them.

* **Dose time** (T0 of the form): the earlier of the dose mark and the first recorded
  esketamine dose (:func:`kapdesk.domain.record.first_dose_at`).
* **Sedation, yes/no with a time** (:func:`sedation`): yes when any MOAA/S taken at or after
  the dose time is **4 or below** (:data:`SEDATED_AT_MOAAS`), i.e. anything short of 5,
  "responds readily to name spoken in normal tone". Source: product.md's MOAA/S anchors (4 is
  already a "lethargic response"); the manufacturer's medical information counts MOAA/S 4 as mild
  sedation and ≤ 3 as moderate or deeper, and calls sedation resolved at 5. The form asks whether
  sedation occurred, so mild sedation counts. No MOAA/S after the dose: not recorded (never "no").
* **Dissociation, yes/no with a time** (:func:`dissociation`): yes when any CADSS-6 item, or the
  single 0–10 rating, taken at or after the dose time is **above 0** (0 is "not at all" /
  "none" on both). An incomplete CADSS-6 counts by its answered items. None after the dose: not
  recorded.
* **Serious adverse events recorded** (:func:`serious_adverse_events`): the sitting's current
  ``adverse_event`` entries that :attr:`kapdesk.domain.rescue.AdverseEvent.serious` calls serious
  (life-threatening, or transferred). Shown beside the clinician's own answer, never instead of
  it: the form's question is the clinician's to answer, and an event may be serious in ways the
  record's fields do not hold.
* **First treatment and enrolment** (:func:`patient_facts`), asked once per client: the
  ``rems_patient`` entries of the client's sittings up to this one, and whether an earlier
  esketamine sitting of the client was dosed (:class:`RemsHistory`, gathered by the store).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from kapdesk.domain.doses import Dose
from kapdesk.domain.entries import EntryInfo, RemsPatient, of_type
from kapdesk.domain.rescue import AdverseEvent
from kapdesk.domain.scales import CADSS6, DISSOCIATION_RATING, MOAAS, ScaleResult

__all__ = [
    "DISSOCIATED_ABOVE",
    "REMS_DRUG",
    "SEDATED_AT_MOAAS",
    "Finding",
    "PatientFacts",
    "RemsHistory",
    "dissociation",
    "is_esketamine",
    "patient_facts",
    "rems_history",
    "sedation",
    "serious_adverse_events",
]

REMS_DRUG = "esketamine"
# MOAA/S at or below this is sedation on the REMS form (5 = responds readily; see the module docstring).
SEDATED_AT_MOAAS = 4
# Any dissociation item or rating above this is dissociation (0 = not at all / none).
DISSOCIATED_ABOVE = 0


def is_esketamine(drug: str) -> bool:
    return drug.strip().casefold() == REMS_DRUG


def serious_adverse_events(entries: Iterable[EntryInfo]) -> list[tuple[EntryInfo, AdverseEvent]]:
    """The sitting's current adverse events that are serious (:attr:`AdverseEvent.serious`), in time order."""
    found = [(e, event) for e, event in of_type(entries, AdverseEvent) if event.serious]
    return sorted(found, key=lambda pair: pair[0].occurred_at)


@dataclass(frozen=True)
class Finding:
    """A yes/no answer of the form from the record: ``present`` None when nothing was recorded.

    ``first`` is the first assessment that found it (when present), ``worst`` the deepest one,
    ``count`` how many assessments after the dose were read.
    """

    present: bool | None
    first: tuple[EntryInfo, ScaleResult] | None = None
    worst: tuple[EntryInfo, ScaleResult] | None = None
    count: int = 0


def _after(entries: Iterable[EntryInfo], keys: set[str], since: datetime | None) -> list[tuple[EntryInfo, ScaleResult]]:
    found = [(e, r) for e, r in of_type(entries, ScaleResult)
             if r.scale_key in keys and (since is None or e.occurred_at >= since)]
    return sorted(found, key=lambda pair: pair[0].occurred_at)


def sedation(entries: Iterable[EntryInfo], since: datetime | None) -> Finding:
    """Sedation on the REMS form: any MOAA/S ≤ :data:`SEDATED_AT_MOAAS` at or after ``since``."""
    found = _after(entries, {MOAAS.key}, since)
    scored = [(e, r) for e, r in found if r.total is not None]
    if not scored:
        return Finding(None)
    sedated = [(e, r) for e, r in scored if r.total is not None and r.total <= SEDATED_AT_MOAAS]
    if not sedated:
        return Finding(False, count=len(scored))
    worst = min(sedated, key=lambda pair: pair[1].total or 0)
    return Finding(True, sedated[0], worst, len(scored))


def _dissociation_level(result: ScaleResult) -> int:
    return max((value for _, value in result.answers), default=0)


def dissociation(entries: Iterable[EntryInfo], since: datetime | None) -> Finding:
    """Dissociation on the REMS form: any CADSS-6 item or 0–10 rating above 0 at or after ``since``."""
    found = [(e, r) for e, r in _after(entries, {CADSS6.key, DISSOCIATION_RATING.key}, since) if r.answers]
    if not found:
        return Finding(None)
    present = [(e, r) for e, r in found if _dissociation_level(r) > DISSOCIATED_ABOVE]
    if not present:
        return Finding(False, count=len(found))
    worst = max(present, key=lambda pair: (pair[1].total if pair[1].total is not None else _dissociation_level(pair[1])))
    return Finding(True, present[0], worst, len(found))


# ------------------------------------------------------------------------------------------------
# Asked once per client: enrolment and first treatment
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemsHistory:
    """What the client's other sittings say, for one sitting (gathered by the store).

    ``earlier_dosed``: arrival times of the client's earlier sittings in which esketamine was
    given (esketamine protocol with T0 marked, or an esketamine dose entry). ``answers``: the
    current ``rems_patient`` entries of the client's sittings up to and including this one, in
    time order.
    """

    session_id: uuid.UUID
    earlier_dosed: tuple[datetime, ...] = ()
    answers: tuple[tuple[EntryInfo, RemsPatient], ...] = ()


def rems_history(session_id: uuid.UUID, arrival: datetime,
                 sittings: Iterable[tuple[uuid.UUID, datetime, str, datetime | None, list[EntryInfo]]]) -> RemsHistory:
    """Build a :class:`RemsHistory` from the client's sittings, each ``(id, arrival, protocol drug,
    dose time, entries)`` (the entries need only hold its ``dose`` and ``rems_patient`` kinds).
    Sittings that began after this one are left out: a later answer is not this sitting's."""
    earlier: list[datetime] = []
    answers: list[tuple[EntryInfo, RemsPatient]] = []
    for sid, began, drug, dose_at, entries in sittings:
        if began > arrival or (began == arrival and sid != session_id):
            continue
        answers.extend(of_type(entries, RemsPatient))
        if sid == session_id:
            continue
        gave = any(is_esketamine(d.drug) for _, d in of_type(entries, Dose))
        if gave or (is_esketamine(drug) and dose_at is not None):
            earlier.append(began)
    answers.sort(key=lambda pair: pair[0].occurred_at)
    return RemsHistory(session_id, tuple(sorted(earlier)), tuple(answers))


@dataclass(frozen=True)
class PatientFacts:
    """The form's first-treatment and enrolment answers for one sitting, and where they came from.

    ``first_treatment`` None: not known (no question answered, nothing in the history); ``derived``
    True when it comes from the client's history rather than a clinician's answer. ``ask_first`` /
    ``ask_enrolment``: the question is still to be asked (asked once per client).
    """

    first_treatment: bool | None
    first_treatment_why: str
    derived: bool
    enrolled: bool | None
    enrolment: str
    enrolment_entry: EntryInfo | None

    @property
    def ask_first(self) -> bool:
        return self.first_treatment is None or (self.derived and self.first_treatment is True)

    @property
    def ask_enrolment(self) -> bool:
        return self.enrolled is not True


def patient_facts(history: RemsHistory | None) -> PatientFacts:
    """First treatment and enrolment for the sitting of ``history``:

    * first treatment is **no** when the client has an earlier dosed esketamine sitting on record
      (derived, nothing to ask); otherwise the clinician's latest answer of this or an earlier
      sitting; otherwise **yes, derived** ("no earlier esketamine sitting on record"), still to
      be confirmed (the client may have been treated elsewhere);
    * enrolment is the latest answer of this or an earlier sitting; asked until it is yes.
    """
    if history is None:
        return PatientFacts(None, "not known", False, None, "", None)
    if history.earlier_dosed:
        first, why, derived = False, f"earlier esketamine sitting on {history.earlier_dosed[-1].astimezone().date().isoformat()}", True
    else:
        answered = [(e, a) for e, a in history.answers if a.first_treatment is not None]
        if answered:
            entry, answer = answered[-1]
            first, why, derived = answer.first_treatment, f"confirmed by {entry.author_name}", False
        else:
            first, why, derived = True, "no earlier esketamine sitting on record (not confirmed)", True
    enrolments = [(e, a) for e, a in history.answers if a.enrolled is not None]
    if enrolments:
        entry, answer = enrolments[-1]
        return PatientFacts(first, why, derived, answer.enrolled, answer.enrolment, entry)
    return PatientFacts(first, why, derived, None, "", None)
