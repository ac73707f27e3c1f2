"""``kapdesk demo``: a realistic, clearly synthetic completed sitting for a demo client.

It goes through the same store actions as the app, on a clock moved by hand, so the demo record
is exactly what a real sitting would leave behind: preparation, a baseline and a reading every
15 minutes (one corrected), the dose with its lot, MOAA/S and dissociation at the peak, client
quotes, the music that played, Aldrete at discharge, outcome scores and a signed integration note.
Every name is labelled synthetic; every number is invented.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from kapdesk.domain.clock import FakeClock
from kapdesk.domain.doses import parse_dose
from kapdesk.domain.protocols import load_protocols
from kapdesk.domain.scales import SCALES, score
from kapdesk.domain.entries import MusicEvent, Presence, Vitals
from kapdesk.domain.observations import Observation
from kapdesk.domain.preparation import contraindications_for, make_preparation
from kapdesk.domain.vitals import VitalsReading, parse_vitals
from kapdesk.paths import protocol_folders
from kapdesk.store import Store, StoreError

DEMO_CLINICIAN = "Demo Clinician (synthetic)"
DEMO_NURSE = "Demo Nurse (synthetic)"
DEMO_CLIENT = "DEMO-01 (synthetic client)"
DEMO_PROTOCOL = "sublingual"

# (minutes after T0, title, artist, section): what the demo sitting listened to.
DEMO_MUSIC = (
    (-20, "Still Water", "KAPDesk demo (synthetic)", "pre-onset"),
    (15, "Drifting Lights", "KAPDesk demo (synthetic)", "onset"),
    (35, "Open Sky", "KAPDesk demo (synthetic)", "peak"),
    (95, "First Light", "KAPDesk demo (synthetic)", "re-entry"),
    (140, "Homeward", "KAPDesk demo (synthetic)", "return"),
)
QUOTES = (
    (48, "It's like the ocean is breathing with me.", ["speaking"]),
    (71, "I don't have to carry all of it today.", ["speaking", "crying"]),
)


def write_demo_session(target: str, start: datetime | None = None) -> uuid.UUID:
    """Write one completed sublingual sitting that began ``start`` (default: yesterday 10:00 UTC)."""
    if start is None:
        start = (datetime.now(timezone.utc) - timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    clock = FakeClock(start)
    store = Store.open(target, now=clock.utcnow)
    try:
        return _write(store, clock)
    finally:
        store.close()


def _write(store: Store, clock: FakeClock) -> uuid.UUID:
    protocols = {p.id: p for p in load_protocols(protocol_folders())[0]}
    if DEMO_PROTOCOL not in protocols:
        raise StoreError(f"the shipped protocol {DEMO_PROTOCOL!r} is missing from {protocol_folders()[0]}")
    protocol = protocols[DEMO_PROTOCOL]
    me = _get_or_add(store.clinicians(), DEMO_CLINICIAN, lambda: store.add_clinician(DEMO_CLINICIAN)).id
    nurse = _get_or_add(store.clinicians(), DEMO_NURSE, lambda: store.add_clinician(DEMO_NURSE, "nurse")).id
    client = _get_or_add(store.clients(), DEMO_CLIENT, lambda: store.add_client(DEMO_CLIENT, me), "label")
    session = store.start_session(client.id, me, protocol)
    sid = session.id
    arrival = clock.utcnow()

    def at(moment: datetime) -> None:
        clock.advance((moment - clock.utcnow()).total_seconds())

    store.add_outcome(client.id, "phq9", _answers("phq9", 2), _total("phq9", 2), me, arrival.date(), sid)
    store.add_outcome(client.id, "gad7", _answers("gad7", 1), _total("gad7", 1), me, arrival.date(), sid)
    at(arrival + timedelta(minutes=5))
    store.add_entry(sid, make_preparation(
        "Synthetic intention: to meet the heaviness with curiosity instead of fear.",
        {"slept_well": True, "no_stimulants": True, "light_meal": True, "ride_home": True, "consent": True},
        {item.key: False for item in contraindications_for(protocol)},
        {"benzodiazepines": False, "sedative_hypnotics": False, "psychostimulants": False, "maois": False},
        68.0,
        screen=contraindications_for(protocol),
        self_harm_thoughts=False,
    ), me)
    store.add_entry(sid, Presence((DEMO_CLINICIAN, DEMO_NURSE), None, "Both present for dosing"), me)
    first_title, first_artist, first_section = DEMO_MUSIC[0][1:]
    store.add_entry(sid, MusicEvent("track_start", first_title, first_artist, "audio/01-still-water.opus",
                                    first_section), me)
    at(arrival + timedelta(minutes=12))
    store.add_entry(sid, Vitals(parse_vitals("126/82 74 98 14 36.7C"), baseline=True), nurse)
    at(arrival + timedelta(minutes=20))
    store.mark_dose(sid, nurse)
    dose_at = clock.utcnow()
    store.add_entry(sid, parse_dose("ketamine 100 mg SL lot SYN-0001", given_by=DEMO_NURSE), nurse)

    events: list[tuple[float, str, object]] = []
    for offset in protocol.vitals.offsets_after_dose():
        if offset <= 150:  # the demo client is discharged at T+160
            events.append((offset + 0.5, "vitals", offset))
    for minute, title, artist, section in DEMO_MUSIC:
        if minute >= 0:
            events.append((minute, "music", (title, artist, section)))
    for minute, text, tags in QUOTES:
        events.append((minute, "quote", (text, tags)))
    events += [(15, "phase", None), (35, "phase", None), (80 + 10, "phase", None), (135, "phase", None)]
    events += [(70, "extend", None), (40, "observation", ("Eye mask on, lying still, slow breathing", ["resting"]))]
    events += [(50, "scale", ("moaas", {"responsiveness": 4})),
               (52, "scale", ("cadss6", {"cadss_1": 2, "cadss_2": 3, "cadss_6": 1, "cadss_7": 2, "cadss_15": 1, "cadss_22": 0})),
               (53, "scale", ("nausea", {"nausea": 1, "vomited": 0})),
               (150, "scale", ("aldrete", {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "spo2": 2}))]
    events.sort(key=lambda e: e[0])
    corrected = False
    for minute, what, data in events:
        at(dose_at + timedelta(minutes=minute))
        if what == "vitals":
            reading = _demo_reading(int(data))  # type: ignore[arg-type]
            entry = store.add_entry(sid, Vitals(reading), nurse)
            if not corrected and data == 45:
                # A typo fixed a minute later: the record keeps both, the correction supersedes.
                at(clock.utcnow() + timedelta(minutes=1))
                fixed = replace(reading, heart_rate=(reading.heart_rate or 0) - 10)
                store.add_entry(sid, Vitals(fixed), nurse, occurred_at=entry.occurred_at, supersedes=entry.id,
                                note="HR mistyped")
                corrected = True
        elif what == "music":
            title, artist, section = data  # type: ignore[misc]
            store.add_entry(sid, MusicEvent("track_start", title, artist,
                                            f"audio/{title.lower().replace(' ', '-')}.opus", section), me)
        elif what == "quote":
            text, tags = data  # type: ignore[misc]
            store.add_entry(sid, Observation(text, tuple(tags), quote=True), me)
        elif what == "observation":
            text, tags = data  # type: ignore[misc]
            store.add_entry(sid, Observation(text, tuple(tags)), me)
        elif what == "scale":
            key, answers = data  # type: ignore[misc]
            store.add_entry(sid, score(SCALES[key], answers), me)
        elif what == "phase":
            store.advance_phase(sid, me)
        elif what == "extend":
            store.extend_phase(sid, me, 10)
    at(dose_at + timedelta(minutes=160))
    store.add_entry(sid, Presence((DEMO_CLINICIAN,), "Demo Driver (synthetic)",
                                  "Steady gait; ride home confirmed; no driving until tomorrow"), me)
    store.end_session(sid, me)
    at(clock.utcnow() + timedelta(minutes=30))
    store.save_note_draft(sid, {
        "intention": "Synthetic intention: to meet the heaviness with curiosity instead of fear.",
        "described": "Synthetic: a wide, calm sea; a sense of being carried; later, warmth in the chest.",
        "themes": "Letting go of control; being held.",
        "insights": "“I don't have to carry all of it today.” (11:31)",
        "body": "Heaviness in the shoulders eased during the peak.",
        "emotions": "Grief, then relief and tenderness.",
        "actions": "Two short walks this week; journal each evening.",
        "support": "Partner (synthetic) aware of the session; weekly group.",
        "follow_up": "Integration session in 3 days; PHQ-9 and GAD-7 weekly.",
        "free_text": "",
    }, me)
    store.sign_note(sid, me)
    return sid


def _demo_reading(offset: int) -> VitalsReading:
    """A plausible sublingual curve: BP peaks around T+40 and settles by T+120."""
    rise = math.exp(-((offset - 40) / 35) ** 2)
    systolic = round(126 + 22 * rise)
    diastolic = round(82 + 12 * rise)
    heart_rate = round(74 + 10 * rise)
    spo2 = 97 if 30 <= offset <= 60 else 98
    return parse_vitals(f"{systolic}/{diastolic} {heart_rate} {spo2} 14")


def _answers(scale: str, each: int) -> dict[str, int]:
    return {item.key: each for item in SCALES[scale].items}


def _total(scale: str, each: int) -> int:
    return int(score(SCALES[scale], _answers(scale, each)).total or 0)


def _get_or_add(existing, name, add, attribute: str = "name"):
    return next((item for item in existing if getattr(item, attribute) == name), None) or add()
