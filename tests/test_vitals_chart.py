"""The vitals chart on a real store and live session (real SQLite file, hand-moved clock)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import shiboken6
from PySide6.QtCharts import QChart

from kapdesk.domain.alerts import AlertRules
from kapdesk.domain.doses import parse_dose
from kapdesk.domain.entries import EntryInfo, Kind, MusicEvent, Observation, Vitals
from kapdesk.domain.vitals import parse_vitals
from kapdesk.session import LiveSession
from kapdesk.ui.theme import DARK
from kapdesk.ui.vitals_chart import VitalsChart


@pytest.fixture
def chart(qtbot, live):
    chart = VitalsChart(theme=DARK)
    qtbot.addWidget(chart)
    chart.resize(900, 460)
    chart.set_session(live)
    return chart


def reading(text: str, *, baseline: bool = False) -> Vitals:
    return Vitals(parse_vitals(text), baseline)


def dosed(live: LiveSession, clock) -> None:
    """Arrive, take a flagged baseline at arrival + 12, mark T0 at arrival + 20."""
    clock.advance(12 * 60)
    live.record(reading("126/82 74 98 14", baseline=True))
    clock.advance(8 * 60)
    live.mark_dose()


def test_points_follow_recorded_readings_in_minutes_from_the_dose(chart, live, clock):
    dosed(live, clock)
    for minutes, text in ((15, "140/90 80 97"), (30, "152/95 84 96")):
        clock.advance(15 * 60)
        live.record(reading(text))
    assert chart.points("systolic") == [(-8, 126), (15, 140), (30, 152)]
    assert chart.points("diastolic") == [(-8, 82), (15, 90), (30, 95)]
    assert chart.points("heart_rate") == [(-8, 74), (15, 80), (30, 84)]
    assert chart.points("spo2") == [(-8, 98), (15, 97), (30, 96)]
    assert chart.latest.text().startswith("T+30")
    assert "126/82" in chart.baseline.text()


def test_before_the_dose_the_axis_counts_from_arrival_then_moves_to_t0(chart, live, clock):
    clock.advance(12 * 60)
    live.record(reading("126/82 74 98"))
    assert chart.points("systolic") == [(12, 126)]
    assert "arrival" in chart.axis_x.titleText()
    clock.advance(8 * 60)
    live.mark_dose()  # changed(None): the chart re-reads and re-bases
    assert chart.points("systolic") == [(-8, 126)]
    assert "dose" in chart.axis_x.titleText()
    assert (chart.axis_x.min(), chart.axis_x.max()) == (-30, 180)


def test_a_correction_replaces_the_point_it_corrects(chart, live, clock):
    dosed(live, clock)
    clock.advance(45 * 60)
    wrong = live.record(reading("155/96 96 97"))
    assert chart.points("heart_rate")[-1] == (45, 96)
    clock.advance(60)
    live.record(reading("155/96 86 97"), occurred_at=wrong.occurred_at, supersedes=wrong.id,
                note="HR mistyped")
    assert chart.points("heart_rate") == [(-8, 74), (45, 86)]


def test_a_new_reading_changes_each_series_in_one_call(chart, live, clock, qtbot):
    dosed(live, clock)
    calls = {name: 0 for name in chart.series}
    for name, series in chart.series.items():
        series.pointsReplaced.connect(lambda name=name: calls.__setitem__(name, calls[name] + 1))
        series.pointAdded.connect(lambda _index, name=name: calls.__setitem__(name, calls[name] + 1))
    clock.advance(15 * 60)
    live.record(reading("140/90 80 97"))  # no respiratory rate, no temperature: those series untouched
    assert calls == {"systolic": 1, "diastolic": 1, "heart_rate": 1, "spo2": 1, "resp_rate": 0, "temperature_c": 0}
    clock.advance(60)
    live.record(reading("140/90"))  # BP only: heart rate and SpO₂ are untouched
    assert calls == {"systolic": 2, "diastolic": 2, "heart_rate": 1, "spo2": 1, "resp_rate": 0, "temperature_c": 0}
    # A back-dated reading lands in the middle: one replace, and the points stay in time order.
    live.record(reading("130/85 75 98"), occurred_at=clock.utcnow() - timedelta(minutes=10))
    assert calls["systolic"] == 3
    xs = [x for x, _ in chart.points("systolic")]
    assert xs == sorted(xs) and len(xs) == 4


def test_threshold_lines_from_the_rules_and_the_baseline(chart, live, clock):
    dosed(live, clock)  # baseline 126/82
    assert chart.threshold_values() == {"systolic": [90, 166, 180], "diastolic": [107, 110, 120], "spo2": [85, 92],
                                        "resp_rate": [10, 30]}
    names = sorted(s.name() for s in chart.threshold_series())
    assert names == ["Diastolic limit 107 (baseline +25)", "Diastolic limit 110", "Diastolic limit 120",
                     "Respiratory rate limit 10", "Respiratory rate limit 30", "SpO₂ limit 85", "SpO₂ limit 92",
                     "Systolic limit 166 (baseline +40)", "Systolic limit 180", "Systolic limit 90"]
    for series in chart.threshold_series():
        assert series in chart.chart.series()
        assert [p.y() for p in series.points()][0] == [p.y() for p in series.points()][1]  # horizontal
        assert series.points()[0].x() == chart.axis_x.min() and series.points()[1].x() == chart.axis_x.max()
        assert not any(m.isVisible() for m in chart.chart.legend().markers(series))  # not in the legend
    spo2_line = next(s for s in chart.threshold_series() if s.name().startswith("SpO₂"))
    assert chart.axis_right in spo2_line.attachedAxes()


def test_clinic_rules_move_the_threshold_lines(chart, live, clock):
    dosed(live, clock)
    chart.set_rules(AlertRules(systolic_high=170, systolic_rise=None, diastolic_rise=None, spo2_low=90))
    assert chart.threshold_values() == {"systolic": [90, 170], "diastolic": [110, 120], "spo2": [85, 90],
                                        "resp_rate": [10, 30]}
    assert len(chart.threshold_series()) == 8


def test_dose_markers_and_phase_bands(chart, live, clock):
    dosed(live, clock)
    live.record(parse_dose("ketamine 100 mg SL lot SYN-0001", given_by="Synthetic Nurse"))
    data = chart.data
    assert data is not None
    assert [(d.minute, d.label) for d in data.doses] == [(0, "ketamine 100 mg SL")]
    assert [b.name for b in data.phases][:3] == ["Arrival & check-in", "Dosing (troche held)", "Onset"]
    assert data.phases[0].start == -20 and data.phases[0].actual
    assert chart.view.data is data  # what the view paints


def test_no_animations(chart):
    assert chart.chart.animationOptions() == QChart.AnimationOption.NoAnimation


def test_the_clock_moves_the_now_line_and_grows_the_axis_past_t180(chart, live, clock):
    dosed(live, clock)
    clock.advance(200 * 60)
    chart.refresh_clock()
    assert chart.view.now_minute == pytest.approx(200)
    assert chart.axis_x.max() == 210


def test_a_six_hour_session_at_one_reading_a_minute_renders(qtbot, chart, live, clock):
    dosed(live, clock)
    dose_at = live.info.dose_at
    author = live.clinician_id
    entries = [
        EntryInfo(id=uuid.uuid4(), session_id=live.id, kind=Kind.VITALS, occurred_at=dose_at + timedelta(minutes=m),
                  recorded_at=dose_at + timedelta(minutes=m), author_id=author, author_name="Synthetic Nurse",
                  data=reading(f"{120 + m % 30}/{80 + m % 10} {70 + m % 15} {95 + m % 4}"))
        for m in range(1, 361)
    ]
    chart.update_from(entries, arrival=live.info.arrival_at, dose_at=dose_at)
    assert len(chart.points("systolic")) == 360
    assert (chart.axis_x.min(), chart.axis_x.max()) == (-30, 360)
    chart.show()
    qtbot.waitExposed(chart)
    image = chart.grab().toImage()
    assert image.width() == 900 and not image.isNull()


def test_nothing_brighter_than_the_themes_text(qtbot, chart, live, clock):
    """The dark theme lights no room: no pixel of the chart is brighter than the text colour."""
    dosed(live, clock)
    clock.advance(15 * 60)
    live.record(reading("140/90 80 97"))
    live.record(parse_dose("ketamine 100 mg SL", given_by="Synthetic Nurse"))
    image = chart.render_to_image(600, 320)
    assert (image.width(), image.height()) == (600, 320)
    brightest = max(image.pixelColor(x, y).lightness() for x in range(0, 600, 3) for y in range(0, 320, 3))
    assert brightest <= DARK.color("text").lightness() + 2


def test_a_closed_chart_ignores_later_entries(qtbot, live, clock):
    chart = VitalsChart(theme=DARK)
    chart.set_session(live)
    shiboken6.delete(chart)
    live.record(reading("126/82 74 98"))  # must not touch the deleted widget


def test_switching_sessions_ignores_the_old_one(qtbot, chart, live, store, people, protocols, clock):
    clinician, _ = people
    other_client = store.add_client("TEST-02 (synthetic)", clinician.id)
    other = LiveSession(store, store.start_session(other_client.id, clinician.id, protocols["sublingual"]).id,
                        clinician.id, clock)
    chart.set_session(other)
    clock.advance(60)
    live.record(reading("126/82 74 98"))
    assert chart.points("systolic") == []


def test_respiratory_rate_and_temperature_on_the_second_page(chart, live, clock):
    dosed(live, clock)  # baseline RR 14
    clock.advance(15 * 60)
    live.record(reading("bp 140/90 hr 80 spo2 97 rr 16 t 37.2"))
    assert chart.page == "circulation"
    assert not chart.series["resp_rate"].isVisible() and not chart.axis_rr.isVisible()
    assert chart.points("resp_rate") == []  # filled when its page is shown, not on every reading
    chart.toggle_vitals()
    assert chart.page == "breathing"
    assert chart.points("resp_rate") == [(-8, 14), (15, 16)]
    assert chart.points("temperature_c") == [(15, 37.2)]
    assert chart.series["resp_rate"].isVisible() and chart.series["temperature_c"].isVisible()
    assert not chart.series["systolic"].isVisible() and not chart.axis_left.isVisible()
    assert chart.axis_rr.isVisible() and chart.axis_temp.isVisible()
    rr_lines = [s for s in chart.threshold_series() if s.name().startswith("Respiratory")]
    assert rr_lines and all(s.isVisible() and chart.axis_rr in s.attachedAxes() for s in rr_lines)
    assert not any(m.isVisible() for s in rr_lines for m in chart.chart.legend().markers(s))  # not in the legend
    assert not any(s.isVisible() for s in chart.threshold_series() if s.name().startswith("Systolic"))
    assert "RR 16" in chart.latest.text() and "37.2 °C" in chart.latest.text()
    chart.toggle_vitals()
    assert chart.series["systolic"].isVisible() and not chart.series["resp_rate"].isVisible()


def test_the_chart_follows_the_app_theme_live(qtbot, live, clock):
    from PySide6.QtWidgets import QApplication

    from kapdesk.ui.theme import LIGHT, apply_theme

    app = QApplication.instance()
    apply_theme(app, DARK)
    chart = VitalsChart()  # no theme of its own: it follows the application's (Ctrl+L)
    qtbot.addWidget(chart)
    chart.set_session(live)
    dosed(live, clock)
    try:
        apply_theme(app, LIGHT)
        assert chart.theme is LIGHT
        assert chart.series["systolic"].pen().color().name() == LIGHT.text
        assert chart.axis_x.labelsColor().name() == LIGHT.text
        assert all(s.pen().color().rgb() != DARK.color("text").rgb()
                   for s in chart.threshold_series() if s.name().startswith("Systolic"))
        image = chart.render_to_image(400, 300)  # its copy in the same (light) theme
        assert image.pixelColor(2, 2).name() == LIGHT.panel
    finally:
        apply_theme(app, DARK)
    assert chart.theme is DARK and chart.series["systolic"].pen().color().name() == DARK.text


def test_a_report_copy_keeps_its_own_light_theme(chart, live, clock):
    from kapdesk.ui.theme import LIGHT

    dosed(live, clock)
    image = chart.render_to_image(400, 300, theme=LIGHT)
    assert image.pixelColor(2, 2).name() == LIGHT.panel
    assert chart.theme is DARK
