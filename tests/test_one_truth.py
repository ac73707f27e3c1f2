"""One sitting fed to every output: all of them name the same baseline, alert and T+ minute.

The sitting: two pre-dose readings (120/80, then 130/82), the dose, a reading at T+45:30 first
typed as 157/88 and corrected to 175/88 (a rise of +45 systolic from the baseline 130). The
outputs: the alert strip, the live chart, the timeline, the PDF's text, the CSV, FHIR and the
course view. Before this test existed the PDF measured from 120 and printed T+46.
"""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

from PySide6.QtPdf import QPdfDocument

from kapdesk.domain.alerting import alert_board
from kapdesk.domain.doses import parse_dose
from kapdesk.domain.entries import AlertRaised, Vitals
from kapdesk.domain.record import offset_label
from kapdesk.domain.vitals import parse_vitals
from kapdesk.export import parse_utc_iso
from kapdesk.session.clinic import Clinic
from kapdesk.ui.alerts_strip import AlertsStrip
from kapdesk.ui.timeline import Timeline
from kapdesk.ui.vitals_chart import VitalsChart

BASELINE = "130/82"
ALERT = "Systolic up 45 mmHg from baseline 130"
T_PLUS = "T+45"


def _pdf_text(path: Path) -> str:
    document = QPdfDocument(None)
    assert document.load(str(path)) == QPdfDocument.Error.None_
    return "\n".join(document.getAllText(page).text() for page in range(document.pageCount()))


def _sitting(live, clock):
    """Record the sitting through the live session, as the panes do; returns the corrected reading."""
    clock.advance(5 * 60)
    live.record(Vitals(parse_vitals("120/80 70 98 14"), baseline=True))
    clock.advance(7 * 60)
    live.record(Vitals(parse_vitals("130/82 72 98 14"), baseline=True))
    clock.advance(3 * 60)
    live.mark_dose()
    live.record(parse_dose("ketamine 100 mg SL lot SYN-0001", given_by="Test Clinician (synthetic)"))
    clock.advance(45 * 60 + 30)
    typo = live.record(Vitals(parse_vitals("157/88 80 97 14")))
    clock.advance(60)
    fixed = live.record(Vitals(parse_vitals("175/88 80 97 14")), occurred_at=typo.occurred_at,
                        supersedes=typo.id, note="systolic mistyped")
    return fixed


def test_every_output_names_the_same_baseline_alert_and_t_plus(qtbot, store, clock, people, protocols, tmp_path):
    clinician, client = people
    clinic = Clinic(store, clock)
    info = clinic.start_session(client.id, clinician.id, protocols["sublingual"])
    live = clinic.open_session(info.id, clinician.id)
    chart = VitalsChart()
    qtbot.addWidget(chart)
    chart.set_session(live)
    timeline = Timeline()
    qtbot.addWidget(timeline)
    timeline.set_session(live)

    fixed = _sitting(live, clock)

    # The facts themselves.
    facts = live.facts()
    assert facts.baseline is not None and facts.baseline.reading.format().startswith(BASELINE)
    assert facts.t_plus(fixed.occurred_at) == T_PLUS

    # Alert strip: the board the record pane shows, rendered by the strip.
    board = alert_board(live.entries(), dose_at=live.info.dose_at, reminder=None, now=clock.utcnow())
    rise = next(a for a in board.active if a.key == "systolic_rise")
    assert rise.message == ALERT and rise.reading_id == fixed.id and rise.t_plus == T_PLUS
    strip = AlertsStrip()
    qtbot.addWidget(strip)
    strip.show_alerts(board.active)
    assert ALERT in strip.alerts_label.text() and T_PLUS in strip.alerts_label.text()
    live.record(rise.as_entry(), note="raised by KAPDesk")  # as the record pane writes it

    # Live chart: the baseline it measures from, and the corrected point's minute.
    data = chart.data
    assert data is not None and data.baseline is not None
    assert data.baseline.reading.format().startswith(BASELINE)
    systolic = dict(data.points["systolic"])
    corrected_minute = next(x for x, y in systolic.items() if y == 175)
    assert offset_label(corrected_minute) == T_PLUS
    assert 157 not in systolic.values()  # the superseded typo is off the chart

    # Timeline: the corrected reading's row is labelled with the same T+.
    model = timeline.model
    row = model.row_of(fixed.id)
    assert row is not None
    assert T_PLUS in [model.data(model.index(row, column)) for column in range(model.columnCount())]

    # PDF, CSV and FHIR from the same record.
    pdf_text = _pdf_text(clinic.export(info.id, "pdf", tmp_path / "report.pdf"))
    assert ALERT in pdf_text
    assert f"Baseline {BASELINE}" in pdf_text
    assert T_PLUS in pdf_text and "T+46" not in pdf_text
    assert "120/80 at" not in pdf_text.split("Baseline", 1)[1][:40]  # not the first reading

    rows = list(csv.DictReader(clinic.export(info.id, "csv", tmp_path / "data.csv").open(encoding="utf-8")))
    alert_row = next(r for r in rows if r["kind"] == "alert")
    assert alert_row["summary"] == ALERT
    fixed_row = next(r for r in rows if r["entry_id"] == str(fixed.id))
    assert offset_label(float(fixed_row["minutes_from_dose"])) == T_PLUS
    assert (fixed_row["systolic"], fixed_row["current"]) == ("175", "true")

    bundle = json.loads(clinic.export(info.id, "fhir", tmp_path / "bundle.json").read_text(encoding="utf-8"))
    baselines = [e["resource"] for e in bundle["entry"]
                 if any(n.get("text") == "Baseline (pre-dose) reading" for n in e["resource"].get("note", []))]
    assert baselines, "FHIR names no baseline"
    for obs in baselines:  # only the one baseline, though both pre-dose readings were flagged
        values = {c["code"]["coding"][0]["code"]: c.get("valueQuantity", {}).get("value") for c in obs.get("component", [])}
        if values:
            assert values == {"8480-6": 130, "8462-4": 82}
    bp = [e["resource"] for e in bundle["entry"] if e["resource"].get("code", {}).get("text") == "Blood pressure"
          and e["resource"]["status"] != "entered-in-error"]
    latest = max(bp, key=lambda r: r["effectiveDateTime"])
    minutes = (parse_utc_iso(latest["effectiveDateTime"]) - live.info.dose_at) / timedelta(minutes=1)
    assert offset_label(minutes) == T_PLUS
    assert [c["valueQuantity"]["value"] for c in latest["component"]] == [175, 88]

    # The course view: the peak is the corrected reading, one real reading.
    _, course = clinic.course(client.id, limit=10)
    assert course.sessions[0].peak_bp_text == "175/88"
    assert [e for e in live.entries() if isinstance(e.data, AlertRaised)][0].data.message == ALERT
