"""PDF report: read back with Qt's own PDF engine (QtPdf), independent of the writer.

The text of every page is extracted and searched for the fields a clinic relies on; the chart is
checked through its labels (it is vector text in the PDF), and page rendering checks that nothing
needs colour.
"""

from __future__ import annotations

import uuid
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage
from PySide6.QtPdf import QPdfDocument
from test_export_csv import CLIENT, CORRECTED_HR, LOT, NURSE, QUOTE, THERAPIST, build_sitting

from kapdesk.domain.alerting import alert_board
from kapdesk.domain.alerts import DEFAULT_RULES
from kapdesk.domain.clock import FakeClock
from kapdesk.domain.doses import parse_dose
from kapdesk.domain.entries import Vitals
from kapdesk.domain.protocols import Protocol
from kapdesk.domain.record import minutes_between, offset_label
from kapdesk.domain.series import chart_data
from kapdesk.domain.vitals import parse_vitals
from kapdesk.export.pdf_report import render_page, write_pdf
from kapdesk.export.pdf_sections import Report
from kapdesk.session.live import LiveSession
from kapdesk.store import Store


def pdf_pages(path: Path) -> list[str]:
    document = QPdfDocument(None)
    assert document.load(str(path)) == QPdfDocument.Error.None_
    try:
        return [document.getAllText(page).text() for page in range(document.pageCount())]
    finally:
        document.close()


def _normalise(text: str) -> str:
    """Extracted text breaks lines where the layout did; searches should not care."""
    return " ".join(text.split())


@pytest.fixture
def report(qapp, store: Store, clock: FakeClock, protocols: dict[str, Protocol], tmp_path: Path) -> tuple[Path, Store,
                                                                                                       uuid.UUID]:
    sid = build_sitting(store, clock, protocols["sublingual"], addendum=True)
    return write_pdf(store.session_record(sid), tmp_path / "r.pdf", tz=timezone.utc), store, sid


def test_signed_sublingual_report_has_the_key_fields(report) -> None:
    path, store, sid = report
    record = store.session_record(sid)
    pages = pdf_pages(path)
    text = _normalise(" ".join(pages))

    assert len(pages) >= 2
    for expected in (
        "KAPDesk session report", CLIENT, "Sublingual ketamine (troche)", THERAPIST, NURSE,
        "2026-01-05", "Arrival 09:00", "Dose time (T0) 09:20", "End 12:00",
        "Synthetic intention: to meet the heaviness with curiosity.", "Slept well: yes",
        f"lot {LOT['ketamine']}", "100 mg",
        "148/94", "126/82",  # the T+45 peak and the baseline
        QUOTE.split(",")[0], "[client quote]",
        "Still Water", "Open Sky", "First Light", "re-entry",
        "Systolic rose 22 mmHg from baseline (synthetic)", "10:01 by Nurse Synthetic",
        "Synthetic Driver (synthetic)", "MOAA/S 4", "CADSS-6 9", "Modified Aldrete 10",
        "Intention revisited", "What the client described",
        f"Signed by {THERAPIST} on 2026-01-05 12:30", record.note.content_hash[:16],  # type: ignore[union-attr]
        "Synthetic addendum: client called, sleeping well.", record.addenda[0].content_hash[:16],
    ):
        assert expected in text, expected
    # The last paragraph of the document is painted (a lazily laid-out tail once went missing).
    assert "Integration session in 3 days (synthetic)." in text
    assert "DRAFT" not in text
    assert "REMS" not in text


def test_corrected_reading_shows_current_value_and_marks_the_old(report) -> None:
    path, _, _ = report
    text = _normalise(" ".join(pdf_pages(path)))

    assert "corrected 10:06 by Nurse Synthetic (synthetic) (HR mistyped (synthetic)); was: 148/94 HR " \
           f"{CORRECTED_HR[0]}" in text
    row = text[text.index("10:05 T+45 148/94"):]
    assert row.startswith(f"10:05 T+45 148/94 {CORRECTED_HR[1]} 96 14")


def test_the_chart_is_drawn_with_its_labels(report) -> None:
    path, _, _ = report
    text = _normalise(" ".join(pdf_pages(path)))

    for label in ("Systolic", "Diastolic", "Heart rate", "SpO₂", "alert threshold", "SBP 180", "SBP 166 (+40)",
                  "HR 50", "SpO₂ 92", "ketamine 100 mg SL", "minutes from the dose time (T0)", "Peak"):
        assert label in text, label


def test_pages_are_a4_and_need_no_colour(report) -> None:
    path, _, _ = report
    document = QPdfDocument(None)
    document.load(str(path))
    size = document.pagePointSize(0)
    assert (round(size.width()), round(size.height())) == (595, 842)
    for page in range(document.pageCount()):
        image = document.render(page, QSize(298, 421))
        pixels = {image.pixel(x, y) for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}
        colours = [QColor.fromRgb(pixel) for pixel in pixels]
        assert all(c.red() == c.green() == c.blue() for c in colours)
        assert len(colours) > 2  # something was drawn
    document.close()


def test_unsigned_esketamine_report_is_draft_with_rems_section(qapp, store: Store, clock: FakeClock,
                                                                protocols: dict[str, Protocol], tmp_path: Path) -> None:
    sid = build_sitting(store, clock, protocols["esketamine"], sign=False)
    pages = pdf_pages(write_pdf(store.session_record(sid), tmp_path / "e.pdf", tz=timezone.utc))
    text = _normalise(" ".join(pages))

    assert all("DRAFT" in page for page in pages)  # the footer of every page says so
    assert "DRAFT — the integration note is not signed" in text
    assert "DRAFT — not signed. Last saved 2026-01-05 12:30" in text
    assert "Integration session in 3 days (synthetic)." in text
    assert "Esketamine nasal spray (REMS)" in text
    assert "REMS monitoring (esketamine)" in text
    for expected in (
        "Benzodiazepines: yes; Other sedative hypnotics: no; Psychostimulants: no; MAOIs: not answered",
        f"56 mg, lot {LOT['esketamine']}",
        "160 min (09:20 to 12:00)",
        "yes — no alert threshold crossed (09:12: 126/82",
        "yes — no alert threshold crossed (11:50: 126/82",
        "before dosing: 09:12 T-8 126/82", "about 40 min after: 10:05 T+45 148/94", "at the end: 11:50 T+150 126/82",
        "Sedation (MOAA/S 4 or below) yes — first 10:10 T+50: MOAA/S 4",
        "Dissociation (CADSS or rating above 0) yes — first 10:10 T+50: CADSS-6 9",
        "First esketamine treatment yes — no earlier esketamine sitting on record (not confirmed)",
        "Patient enrolled in the REMS not answered",
        "11 readings, lowest 96% at 09:50 T+30",
        "none (synthetic)", "95 min after the first spray",
        "Submit the REMS patient monitoring form within 7 days: by 2026-01-12",
        "Safety override", "MAOI question answered verbally",
    ):
        assert expected in text, expected


def test_a_session_in_progress_without_a_note(qapp, store: Store, clock: FakeClock, protocols: dict[str, Protocol],
                                              tmp_path: Path) -> None:
    sid = build_sitting(store, clock, protocols["intramuscular"], end=False)
    text = _normalise(" ".join(pdf_pages(write_pdf(store.session_record(sid), tmp_path / "p.pdf", tz=timezone.utc))))

    assert "DRAFT — the session is still in progress; no integration note has been written" in text
    assert "End session still in progress" in text
    assert "no integration note has been written yet" in text


def test_a_bare_session_still_writes_a_report(qapp, store: Store, people, protocols: dict[str, Protocol],
                                              tmp_path: Path) -> None:
    clinician, client = people
    session = store.start_session(client.id, clinician.id, protocols["iv-infusion"])
    text = _normalise(" ".join(pdf_pages(write_pdf(store.session_record(session.id), tmp_path / "b.pdf"))))

    assert "Dose time (T0) not marked" in text and "None recorded." in text
    assert "Vital signs" in text and "alert threshold" not in text  # no readings: no chart


def test_an_unwritable_path_raises_oserror(qapp, store: Store, people, protocols: dict[str, Protocol],
                                           tmp_path: Path) -> None:
    clinician, client = people
    session = store.start_session(client.id, clinician.id, protocols["sublingual"])
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(OSError, match="cannot write the PDF"):
        write_pdf(store.session_record(session.id), tmp_path / "file" / "r.pdf")


def test_render_page_writes_a_greyscale_png_on_white(report, tmp_path: Path) -> None:
    path, _, _ = report
    png = render_page(path, tmp_path / "page1.png", dpi=50)

    image = QImage(str(png))
    assert (image.width(), image.height()) == (413, 585)  # A4 at 50 dpi
    assert image.isGrayscale() and image.pixelColor(2, 2) == QColor("white")
    with pytest.raises(IndexError, match="has no page 99"):
        render_page(path, tmp_path / "x.png", page=98)


def test_rems_section_flags_what_is_missing_or_short(qapp, store: Store, clock: FakeClock,
                                                     protocols: dict[str, Protocol], tmp_path: Path) -> None:
    clinician = store.add_clinician("Solo Prescriber (synthetic)")
    client = store.add_client("DEMO-03 (synthetic client)", clinician.id)
    sid = store.start_session(client.id, clinician.id, protocols["esketamine"]).id
    clock.advance(10 * 60)
    store.mark_dose(sid, clinician.id)
    store.add_entry(sid, parse_dose("esketamine 28 mg IN", given_by="Solo Prescriber (synthetic)"), clinician.id)
    clock.advance(90 * 60)
    store.end_session(sid, clinician.id)
    text = _normalise(" ".join(pdf_pages(write_pdf(store.session_record(sid), tmp_path / "r.pdf", tz=timezone.utc))))

    assert "REMS monitoring (esketamine)" in text
    assert "Concomitant medicines not recorded" in text
    assert "other (28 mg), no lot recorded" in text
    assert "90 min (09:10 to 10:40) — less than the 120 min minimum" in text
    assert "Vital signs acceptable before dosing no reading recorded" in text
    assert "Serious adverse events not answered" in text
    assert "Ready to leave without the 2-hour rule not answered" in text
    assert "about 40 min after: missing" in text and "before dosing: missing" in text
    assert "Sedation (MOAA/S 4 or below) not recorded — no MOAA/S after the dose" in text
    assert "by 2026-01-12" in text


def _two_pre_dose_readings_then_a_rise(store: Store, clock: FakeClock, people, protocol: Protocol) -> uuid.UUID:
    """09:05 120/80, 09:15 140/85, dose at 09:20 (T0), 185/90 at 10:05:30 (T+45.5), end at 11:30."""
    clinician, client = people
    sid = store.start_session(client.id, clinician.id, protocol).id

    def reading(text: str) -> None:
        store.add_entry(sid, Vitals(parse_vitals(text), baseline=False), clinician.id)

    clock.advance(5 * 60)
    reading("120/80 72 98")
    clock.advance(10 * 60)
    reading("140/85 76 98")
    clock.advance(5 * 60)
    store.mark_dose(sid, clinician.id)
    store.add_entry(sid, parse_dose("esketamine 56 mg IN lot SYN-9", given_by="Test Clinician (synthetic)"),
                    clinician.id)
    clock.advance(45.5 * 60)
    reading("185/90 88 97")
    clock.advance(84.5 * 60)
    store.end_session(sid, clinician.id)
    return sid


def test_paper_and_screen_name_the_same_baseline_rise_and_minute(
        qapp, store: Store, clock: FakeClock, people, protocols: dict[str, Protocol], tmp_path: Path) -> None:
    sid = _two_pre_dose_readings_then_a_rise(store, clock, people, protocols["esketamine"])
    record = store.session_record(sid)
    dose_at = record.info.dose_at
    assert dose_at is not None
    rise = next(e for e, vitals in record.of(Vitals) if vitals.reading.systolic == 185)
    screen_label = offset_label(minutes_between(dose_at, rise.occurred_at))
    strip = [a.message for a in alert_board(record.entries, dose_at=dose_at, reminder=None, now=clock.utcnow())
             .active]
    assert screen_label == "T+45" and "Systolic up 45 mmHg from baseline 140" in strip

    text = _normalise(" ".join(pdf_pages(write_pdf(record, tmp_path / "r.pdf", tz=timezone.utc))))

    assert "Baseline 140/85 at 09:15 T-5 (the last reading before T0)" in text
    assert f"Peak BP 185/90 at 10:05 {screen_label}: systolic +45, diastolic +5 mmHg from baseline" in text
    assert f"10:05 {screen_label} 185/90 88 97" in text  # the vitals table row
    row = text[text.index("09:15 T-5 140/85 76 98"):]
    assert "baseline (last pre-dose)" in row[:row.index("10:05")]  # the table marks the same reading
    # The chart's rise line is measured from 140 (180 = 140 + 40), never from the first reading.
    assert "SBP 180 (+40)" in text and "DBP 110 (+25)" in text
    assert "SBP 160" not in text and "DBP 105" not in text
    # REMS: the at-the-end check says what the alert strip says.
    assert f"about 40 min after: 10:05 {screen_label} 185/90" in text
    assert "Vital signs acceptable at the end check — Hypertensive crisis: BP 185/90 is above 180/120 " \
           "(ACC/AHA 2017); Systolic up 45 mmHg from baseline 140 (10:05: 185/90" in text
    assert "Vital signs acceptable before dosing yes — no alert threshold crossed (09:15: 140/85" in text
    assert "130 min (09:20 to 11:30)" in text


def test_monitoring_minutes_are_cut_like_the_clock_so_a_short_sitting_reads_short(
        qapp, store: Store, clock: FakeClock, people, protocols: dict[str, Protocol], tmp_path: Path) -> None:
    clinician, client = people
    sid = store.start_session(client.id, clinician.id, protocols["esketamine"]).id
    store.mark_dose(sid, clinician.id)
    clock.advance(119 * 60 + 40)  # 119 min 40 s: rounding would say 120 and hide that it is short
    store.end_session(sid, clinician.id)
    text = _normalise(" ".join(pdf_pages(write_pdf(store.session_record(sid), tmp_path / "r.pdf", tz=timezone.utc))))

    assert "119 min (09:00 to 10:59) — less than the 120 min minimum" in text
    assert "1:59:40 from arrival, 119 min from T0" in text


def test_the_pdf_chart_draws_the_live_charts_data(qapp, store: Store, clock: FakeClock,
                                                  protocols: dict[str, Protocol]) -> None:
    sid = build_sitting(store, clock, protocols["sublingual"])
    record = store.session_record(sid)
    info = record.info
    live = LiveSession(store, sid, info.clinician_id, clock)
    clock.advance(timedelta(days=3).total_seconds())  # printed days later: the record, not the wall clock
    screen = chart_data(record.entries, arrival=info.arrival_at, dose_at=info.dose_at,
                        segments=live.reading().segments, facts=live.facts())

    paper = Report(record, DEFAULT_RULES, timezone.utc, clock.utcnow()).chart()

    assert paper.data == screen
    assert paper.x_range == screen.x_range()
    assert paper.data.baseline is not None and paper.data.baseline.reading.systolic == 126


def test_a_positive_phq9_item9_has_a_line_of_its_own(qapp, store: Store, clock: FakeClock,
                                                     protocols: dict[str, Protocol], tmp_path: Path) -> None:
    """Item 9 named with its value and date in a box under the header, and in the outcomes table's words."""
    from kapdesk.domain.scales import PHQ9

    sid = build_sitting(store, clock, protocols["sublingual"])
    record = store.session_record(sid)
    day = clock.utcnow().date()
    author = record.info.clinician_id
    store.add_outcome(record.client.id, "phq9", {k: 0 for k in PHQ9.item_keys} | {"self_harm": 3}, 3, author, day, sid)
    store.add_outcome(record.client.id, "phq9", {k: 1 for k in PHQ9.item_keys} | {"self_harm": 0}, 8, author, day, sid)
    text = _normalise(" ".join(pdf_pages(write_pdf(store.session_record(sid), tmp_path / "i.pdf", tz=timezone.utc))))

    line = (f"PHQ-9 item 9 = 3 on {day.isoformat()} — thoughts of death or self-harm endorsed; "
            "calls for a suicide-risk assessment the same day, whatever the total.")
    assert line in text
    assert text.index(line) < text.index("Preparation")  # at the top, not down in the scales
    assert "PHQ-9 item 9 = 0" not in text  # only positive answers get a line
    assert "PHQ-9 3 (minimal) · ⚑ item 9 = 3" in text, text[text.index("Outcome measures"):][:200]
    assert "PHQ-9 8 (mild)" in text


def test_no_item9_line_without_a_positive_answer(report) -> None:
    path, _store, _sid = report
    assert "PHQ-9 item 9" not in _normalise(" ".join(pdf_pages(path)))


def test_a_missed_pre_dose_reading_and_the_gate_override_stay_on_paper(qapp, store: Store, clock: FakeClock, people,
                                                                       protocols: dict[str, Protocol],
                                                                       tmp_path: Path) -> None:
    """Dosed without a pre-dose reading: the report lists the schedule with its gap, the override's
    items and reason, the suicidality answer and the esketamine label's contraindications by name."""
    from kapdesk.domain.preparation import contraindications_for, dose_gate, make_override, make_preparation

    clinician, client = people
    protocol = protocols["esketamine"]
    sid = store.start_session(client.id, clinician.id, protocol).id
    screen = contraindications_for(protocol)
    store.add_entry(sid, make_preparation(
        "Synthetic", {"ride_home": True, "consent": True}, {c.key: c.key == "intracerebral_haemorrhage" for c in screen},
        {"benzodiazepines": False, "sedative_hypnotics": False, "psychostimulants": False, "maois": False},
        screen=screen, self_harm_thoughts=False), clinician.id)
    clock.advance(25 * 60)
    items = dose_gate(store.entries(sid), protocol)
    store.add_entry(sid, make_override(items, "Synthetic: neurology letter on file"), clinician.id)
    store.mark_dose(sid, clinician.id)
    clock.advance(41 * 60)
    store.add_entry(sid, Vitals(parse_vitals("150/90 80 97 14")), clinician.id)
    clock.advance(30 * 60)
    store.end_session(sid, clinician.id)
    text = _normalise(" ".join(pdf_pages(write_pdf(store.session_record(sid), tmp_path / "g.pdf", tz=timezone.utc))))

    assert "Vitals schedule" in text and "Pre-dose vitals: missed" in text
    assert "Vitals T+40 taken" in text and "Vitals T+90: missed" not in text  # due after the end: not listed
    assert "History of intracerebral haemorrhage: yes" in text
    assert "Thoughts of suicide or self-harm since the last visit: no" in text
    assert ("dosed despite open items: History of intracerebral haemorrhage: yes, No pre-dose reading recorded. "
            "Reason: Synthetic: neurology letter on file") in text


def test_alert_severities_read_in_black_and_white_with_the_acknowledgement_reason(
        qapp, store: Store, clock: FakeClock, people, protocols: dict[str, Protocol], tmp_path: Path) -> None:
    """Issue 9: the alert table writes each severity as a symbol and a word (not colour only), reads an
    older record's "warning" as critical, and shows why a critical alert was acknowledged."""
    from kapdesk.domain.entries import AlertAck, AlertRaised
    from kapdesk.domain.vitals import parse_vitals as vitals

    clinician, client = people
    sid = store.start_session(client.id, clinician.id, protocols["sublingual"]).id
    clock.advance(5 * 60)
    low = store.add_entry(sid, Vitals(vitals("128/84 72 80 14"), baseline=False), clinician.id)
    old = store.add_entry(sid, AlertRaised("spo2_low", "warning", "SpO₂ 80% is below 92%", low.id), clinician.id)
    store.add_entry(sid, AlertRaised("moaas_deep", "caution", "MOAA/S 2: deeper than intended"), clinician.id)
    store.add_entry(sid, AlertRaised("reading_overdue", "reminder", "Vitals T+15 overdue"), clinician.id)
    clock.advance(60)
    store.add_entry(sid, AlertAck(old.id, "spo2_low", "SpO₂ 80% is below 92%", "probe re-sited (synthetic)"),
                    clinician.id)
    store.end_session(sid, clinician.id)
    text = _normalise(" ".join(pdf_pages(write_pdf(store.session_record(sid), tmp_path / "a.pdf", tz=timezone.utc))))
    alerts = text[text.index("Alerts"):]
    assert "‼ CRITICAL SpO₂ 80% is below 92%" in alerts
    assert "! caution MOAA/S 2: deeper than intended" in alerts
    assert "· reminder Vitals T+15 overdue" in alerts
    assert "probe re-sited (synthetic)" in alerts
    assert "warning" not in alerts
