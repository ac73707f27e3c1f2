"""The infusion words of the dose line (start, rate, pause, resume, stop) and the session-total line.

Split from :mod:`kapdesk.ui.record.dose` along its seam: the dose form owns the fields, this owns
what an infusion line does with them. The rules (what a line means, the delivered total, the
limits) are the domain's: :mod:`kapdesk.domain.infusions`, :mod:`kapdesk.domain.dose_limits`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from kapdesk.domain.dose_limits import DoseLimits, review_amount
from kapdesk.domain.doses import DoseError, Route
from kapdesk.domain.entries import EntryInfo, Kind
from kapdesk.domain.infusions import (
    InfusionAction,
    InfusionChange,
    InfusionCommand,
    InfusionPeriod,
    InfusionStart,
    infusion_line,
    infusion_periods,
    open_infusion,
)
from kapdesk.domain.record import RecordFacts

if TYPE_CHECKING:
    from kapdesk.ui.record.dose import DoseSection

START_HINT = "start one with e.g. infusion 0.5 mg/kg over 40 min"


def _fmt(value: float) -> str:
    return f"{value:g}"


def session_summary(drug: str, facts: RecordFacts, limits: DoseLimits) -> str:
    """``ketamine this session: 150 mg of 300 mg max (2 doses, 1 booster)``; empty when none is given
    and the drug has no session maximum. ``facts`` has its infusions counted to now."""
    key = drug.casefold()
    doses = [d for _, d in facts.doses if d.drug.casefold() == key]
    infusions = [p for p in facts.infusions if p.start.drug.casefold() == key]
    total = round(facts.session_mg(drug), 1)
    maximum = limits.drug(drug).session_max_mg
    if not doses and not infusions and maximum is None:
        return ""
    text = f"{drug} this session: {_fmt(total)} mg" + (f" of {_fmt(maximum)} mg max" if maximum is not None else "")
    parts = []
    if doses:
        boosters = sum(1 for d in doses if d.booster)
        parts.append(f"{len(doses)} dose{'s' if len(doses) != 1 else ''}"
                     + (f", {boosters} booster{'s' if boosters != 1 else ''}" if boosters else ""))
    for period in infusions:
        planned = period.open and period.start.planned_mg is not None
        parts.append(f"infusion {_fmt(period.counted_mg)} mg {'planned' if planned else 'delivered'}")
    return text + (f" ({'; '.join(parts)})" if parts else "")


class InfusionLine:
    """What the dose section does with an infusion line."""

    def __init__(self, section: DoseSection) -> None:
        self.section = section

    @staticmethod
    def describe(period: InfusionPeriod, clock_time: Callable[[datetime], str]) -> str:
        """``Infusion running since 10:05 at 0.75 mg/kg/h (52.5 mg/h): 12.3 mg so far``."""
        state = "paused" if period.paused else "running"
        return (f"Infusion {state} since {clock_time(period.started_at)} at {period.rate.format()}: "
                f"{_fmt(period.delivered_mg)} mg so far" + (f" of {_fmt(period.start.planned_mg)} mg planned"
                                                             if period.start.planned_mg is not None else ""))

    def load(self, entry: EntryInfo) -> None:
        """An infusion entry into the dose line, as the words that record it (Ctrl+R on its row)."""
        section = self.section
        data = entry.data
        if not isinstance(data, (InfusionStart, InfusionChange)):
            raise TypeError("the stored infusion entry cannot be read")
        section.amount.setText(infusion_line(data))
        section.route.setCurrentIndex(max(section.route.findData(Route.INTRAVENOUS_INFUSION), 0))
        section.booster.setChecked(False)
        if isinstance(data, InfusionStart):
            section.drug.setCurrentIndex(max(section.drug.findData(data.drug), 0))
            section.lot.setText(data.lot or "")
            section.given_by.setText(data.given_by)
            weight = data.rate.weight_kg
        else:
            weight = data.rate.weight_kg if data.rate is not None else None
        if weight is not None:
            section.weight.setText(f"{weight:g} kg")

    def correction_mismatch(self, command: InfusionCommand | None) -> str:
        """Why the line cannot correct the entry loaded (a dose with infusion words, a start with a
        change …); '' when it can, or nothing is being corrected."""
        correcting = self.section.correcting
        if correcting is None:
            return ""
        wanted = None if command is None else Kind.INFUSION_START if command.action == "start" else Kind.INFUSION_CHANGE
        if correcting.kind is Kind.DOSE and wanted is not None:
            return "A dose is corrected with an amount such as 100 mg, not infusion words"
        if correcting.kind is Kind.INFUSION_START and wanted is not Kind.INFUSION_START:
            return "An infusion start is corrected with infusion words, e.g. infusion 0.5 mg/kg over 40 min"
        if correcting.kind is Kind.INFUSION_CHANGE and wanted is not Kind.INFUSION_CHANGE:
            return "An infusion change is corrected with rate …, pause, resume or stop"
        return ""

    def save(self, command: InfusionCommand) -> EntryInfo | None:
        section = self.section
        ctx = section.ctx
        assert ctx is not None
        ok, when = section.entry_time(section.time_field)
        if not ok:
            return None
        correcting = section.correcting
        moment = when or (correcting.occurred_at if correcting is not None else ctx.now())
        entries = list(ctx.entries())
        if correcting is not None:
            # Judge the line as if the entry it corrects were not there (a start does not clash with
            # itself); a change against the infusion as it stood at that moment.
            entries = [e for e in entries if e.id != correcting.id
                       and (correcting.kind is Kind.INFUSION_START or e.occurred_at <= moment)]
        periods = infusion_periods(entries, moment)
        current = open_infusion(periods)
        try:
            if command.action == "start":
                data = self._start(command, current, entries, periods)
            else:
                data = self._change(command, current)
        except DoseError as exc:
            widget = {"weight_kg": section.weight, "drug": section.drug, "given_by": section.given_by,
                      "lot": section.lot}.get(exc.field or "", section.amount)
            section.error(widget, exc.message, command.span if widget is section.amount else None)
            return None
        if data is None:
            return None
        saved = section.commit(data, when)
        if saved is not None:
            section.clear_fields()
        return saved

    def _start(self, command: InfusionCommand, current: InfusionPeriod | None, entries: list[EntryInfo],
               periods: Sequence[InfusionPeriod]) -> InfusionStart | None:
        section = self.section
        ctx = section.ctx
        assert ctx is not None
        if current is not None:
            raise DoseError(f"An infusion is {current.status()} since {_clock(current.started_at)}: "
                            "type stop before starting another", "amount")
        drug_name = str(section.drug.currentData() or "")
        spec = ctx.formulary.find(drug_name)
        if spec is None:
            raise DoseError(f"Which drug? {' or '.join(ctx.formulary.names)}", "drug")
        if Route.INTRAVENOUS_INFUSION not in spec.routes:
            raise DoseError(f"{spec.name} is not given as an IV infusion here", "drug")
        ok, weight = section.read_weight()
        if not ok:
            return None
        per_kg = command.unit == "mg/kg" or (command.rate_unit is not None and command.rate_unit.per_kg)
        if per_kg and weight is None:
            raise DoseError("A per-kg infusion needs the client's weight: type it with its unit, e.g. 70 kg",
                            "weight_kg")
        planned_mg = None
        if command.amount is not None:
            planned_mg = round(command.amount * weight, 1) if command.unit == "mg/kg" and weight else command.amount
        facts = dataclasses.replace(ctx.live.facts(entries), infusions=tuple(periods))
        review = review_amount(spec.name, Route.INTRAVENOUS_INFUSION, ctx.settings.dose_limits,
                               amount_mg=planned_mg, mg_per_kg=command.amount if command.unit == "mg/kg" else None,
                               weight_kg=weight, session_mg_before=facts.session_mg(spec.name), what="infusion")
        if not section.confirmed(review.questions, section.signature(), command.span):
            return None
        given_by = section.given_by.text().strip()
        if not given_by:
            raise DoseError("Record who started the infusion", "given_by")
        lot = section.lot.text().strip() or None
        return InfusionStart(spec.name, command.rate(weight), given_by, planned_mg=planned_mg,
                             planned_minutes=command.minutes, mg_per_kg=command.amount if command.unit == "mg/kg"
                             else None, lot=lot, confirmed=review.questions)

    def _change(self, command: InfusionCommand, current: InfusionPeriod | None) -> InfusionChange | None:
        section = self.section
        action = InfusionAction(command.action)
        if current is None:
            raise DoseError(f"No infusion is running: {START_HINT}", "amount")
        since = _clock(current.pauses[-1][0]) if current.paused and current.pauses else ""
        if action is InfusionAction.PAUSE and current.paused:
            raise DoseError(f"The infusion is already paused (since {since}): type resume", "amount")
        if action is InfusionAction.RESUME and not current.paused:
            raise DoseError("The infusion is running, not paused", "amount")
        rate = None
        if action is InfusionAction.RATE:
            ok, weight = section.read_weight()
            if not ok:
                return None
            weight = weight or current.start.rate.weight_kg or current.rate.weight_kg
            if command.rate_unit is not None and command.rate_unit.per_kg and weight is None:
                raise DoseError("A per-kg rate needs the client's weight: type it with its unit, e.g. 70 kg",
                                "weight_kg")
            rate = command.rate(weight)
        return InfusionChange(current.entry.id, action, rate)


def _clock(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M")
