"""The record pane's sections, one module each: vitals, observation, scales, dose, presence, REMS,
rescue medication and adverse events.

The rules every section follows are in :mod:`kapdesk.ui.record.base`.
"""

from kapdesk.ui.record.base import RecordContext, Section
from kapdesk.ui.record.dose import DoseSection
from kapdesk.ui.record.observation import ObservationSection
from kapdesk.ui.record.presence import PresenceSection
from kapdesk.ui.record.rems import RemsSection
from kapdesk.ui.record.rescue import AdverseEventSection, RescueSection
from kapdesk.ui.record.scales import ScalePad, ScaleSection
from kapdesk.ui.record.vitals import VitalsSection, vitals_line

__all__ = [
    "AdverseEventSection",
    "RescueSection",
    "DoseSection",
    "ObservationSection",
    "PresenceSection",
    "RecordContext",
    "RemsSection",
    "ScalePad",
    "ScaleSection",
    "Section",
    "VitalsSection",
    "vitals_line",
]
