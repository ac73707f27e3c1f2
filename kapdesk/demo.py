"""``kapdesk demo``: a realistic, clearly synthetic completed sitting for a demo client.

It goes through the same store actions as the app, on a clock moved by hand, so the demo
record is exactly what a real sitting would leave behind. All names are labelled synthetic.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from kapdesk.domain.clock import FakeClock, SessionClock
from kapdesk.domain.protocols import load_protocols
from kapdesk.paths import protocol_folders
from kapdesk.store import Store, StoreError

DEMO_CLINICIAN = "Demo Clinician (synthetic)"
DEMO_CLIENT = "DEMO-01 (synthetic client)"
DEMO_PROTOCOL = "sublingual"


def write_demo_session(target: str, start: datetime | None = None) -> uuid.UUID:
    """Write one completed sublingual sitting that began ``start`` (default: yesterday 10:00 UTC)."""
    if start is None:
        start = (datetime.now(timezone.utc) - timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    clock = FakeClock(start)
    store = Store.open(target, now=clock.utcnow)
    try:
        protocols = {p.id: p for p in load_protocols(protocol_folders())[0]}
        if DEMO_PROTOCOL not in protocols:
            raise StoreError(f"the shipped protocol {DEMO_PROTOCOL!r} is missing from {protocol_folders()[0]}")
        protocol = protocols[DEMO_PROTOCOL]
        clinician = _get_or_add(store.clinicians(), DEMO_CLINICIAN, lambda: store.add_clinician(DEMO_CLINICIAN))
        client = _get_or_add(store.clients(), DEMO_CLIENT, lambda: store.add_client(DEMO_CLIENT, clinician.id), "label")
        session = store.start_session(client.id, clinician.id, protocol)
        me = clinician.id

        def minutes(m: float) -> None:
            clock.advance(m * 60)

        minutes(12)
        store.add_entry(session.id, "reminder_done", {"reminder": "Pre-dose vitals"}, me)
        minutes(8)
        store.mark_dose(session.id, me)  # T0 at 10:20
        plan = [15, 20, 45 + 10, 45]  # dosing, onset, peak (+10 extension), return
        dose_at = clock.utcnow()
        schedule = [dose_at + timedelta(minutes=m) for m in protocol.vitals.offsets_after_dose()]
        phase_ends = []
        cursor = dose_at
        for length in plan:
            cursor += timedelta(minutes=length)
            phase_ends.append(cursor)
        events: list[tuple[datetime, str]] = [(t + timedelta(minutes=1), "reading") for t in schedule]
        events += [(t, "phase") for t in phase_ends]
        events.append((dose_at + timedelta(minutes=15 + 20 + 40), "extend"))
        events.sort()
        for at, what in events:
            if at > dose_at + timedelta(minutes=sum(plan) + 30):
                break
            clock.advance((at - clock.utcnow()).total_seconds())
            if what == "phase":
                store.advance_phase(session.id, me)
            elif what == "extend":
                store.extend_phase(session.id, me, 10)
            else:
                label = f"Vitals T+{round((at - dose_at).total_seconds() / 60) - 1}"
                store.add_entry(session.id, "reminder_done", {"reminder": label}, me)
        clock.advance(25 * 60)
        store.end_session(session.id, me)
        # The clock's own reading must agree with what was written: a cheap self-check of the demo.
        SessionClock(protocol, store.facts(session.id), clock).read()
        return session.id
    finally:
        store.close()


def _get_or_add(existing, name, add, attribute: str = "name"):
    return next((item for item in existing if getattr(item, attribute) == name), None) or add()
