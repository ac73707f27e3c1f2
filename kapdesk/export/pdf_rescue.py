"""The PDF report's "Rescue medication and adverse events" section.

Rescue (PRN) medication and adverse events, each with its time and T+ label; an adverse event
with its severity, outcome, whether it is serious and the rescue medication that treated it.
What is serious, and which version of a corrected rescue medication is the one in force, are the
domain's (:attr:`kapdesk.domain.rescue.AdverseEvent.serious`, :func:`~kapdesk.domain.rescue.linked_rescue`);
this module only words them. Corrections show the current value with the old one struck through,
as every other section does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kapdesk.domain.entries import EntryInfo
from kapdesk.domain.rescue import AdverseEvent, RescueMedication, linked_rescue
from kapdesk.export.pdf_html import esc, table

if TYPE_CHECKING:
    from kapdesk.export.pdf_sections import Report

__all__ = ["TITLE", "rescue_section"]

TITLE = "Rescue medication and adverse events"


def rescue_section(report: Report) -> str:
    given = report.record.of(RescueMedication)
    events = report.record.of(AdverseEvent)
    if not given and not events:
        return f"<h2>{TITLE}</h2><p class='muted'>No rescue medication or adverse event recorded.</p>"
    out = [f"<h2>{TITLE}</h2>", "<h3>Rescue (PRN) medication</h3>"]
    rows = []
    for entry, medication in given:
        how = f"by {_nowrap(medication.device)}" if medication.device else esc(medication.route.value)
        rows.append([report.time(entry.occurred_at), report.t_plus(entry.occurred_at),
                     f"{esc(medication.drug)}<br/><span class='small muted'>{esc(medication.drug_class.value)}</span>",
                     f"{_nowrap(medication.amount_text())}<br/>{how}", esc(medication.reason),
                     _nowrap(f"lot {medication.lot}") if medication.lot else "",
                     esc(medication.given_by) + report.corrected(entry, _medication_text)])
    out.append(table(("Time", "T+", "Drug", "Amount, route", "Reason", "Lot", "Given by"), rows,
                     (7, 6, 15, 22, 18, 15, 17)))
    out.append("<h3>Adverse events</h3>")
    rows = []
    for entry, event in events:
        treated = linked_rescue(event, report.record.entries)
        treated_text = (f"{esc(treated.data.format())} at {report.time(treated.occurred_at)}"
                        if treated is not None else "")
        severity = _nowrap(event.severity.value) + (" — <b>serious</b>" if event.serious else "")
        rows.append([report.time(entry.occurred_at), report.t_plus(entry.occurred_at), f"<b>{esc(event.name)}</b>"
                     + (f"<br/>{esc(event.detail)}" if event.detail and event.name != f"other: {event.detail}" else ""),
                     severity, esc(event.outcome.value), treated_text,
                     esc(event.note) + report.corrected(entry), esc(entry.author_name)])
    out.append(table(("Time", "T+", "Event", "Severity", "Outcome", "Treated with", "Note", "By"), rows,
                     (7, 6, 16, 16, 10, 19, 14, 12)))
    return "".join(out)


def _nowrap(text: str) -> str:
    """Escaped text kept on one line: a lot number or "life-threatening" must not break at its hyphen."""
    return f"<span style='white-space: nowrap'>{esc(text)}</span>"


def _medication_text(entry: EntryInfo) -> str:
    """An earlier version of a rescue medication, struck through: what was given and why."""
    data = entry.data
    return f"{data.format()} for {data.reason}" if isinstance(data, RescueMedication) else entry.describe()
