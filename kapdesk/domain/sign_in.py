"""Who may sign in: one rule, read by the accounts (``kapdesk.session``) and by the first look at
a record taken before SQLAlchemy is imported (``kapdesk.store.peek``), so the two lists agree.
Both hand the sign-in page the same :class:`SignInFacts`, made by :func:`sign_in_facts`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

# The author of what is recorded after a "break glass" unlock: a built-in account that can never sign
# in (it is kept deactivated and has no password), so an emergency entry is never put under the name
# of a clinician who did not sign in, and the record says plainly that it came through break glass.
EMERGENCY_NAME = "Emergency access (break glass)"


@dataclass(frozen=True)
class ClinicianInfo:
    id: uuid.UUID
    name: str
    role: str  # "therapist", "prescriber" (nurse/prescriber) or "admin"
    active: bool = True
    has_password: bool = False
    has_pin: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class EmergencyAccessInfo:
    """One "break glass" unlock, open until an admin reviews it."""

    id: uuid.UUID
    at: datetime
    reason: str
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None


def needs_first_admin(clinicians: Iterable[ClinicianInfo]) -> bool:
    """True until an active admin with a password exists (a new record, or one from before accounts)."""
    return not any(c.is_admin and c.active and c.has_password for c in clinicians)


def sign_in_choices(clinicians: Iterable[ClinicianInfo]) -> list[ClinicianInfo]:
    """The clinicians who can sign in (active, with a password), in the order given."""
    return [c for c in clinicians if c.active and c.has_password and c.name != EMERGENCY_NAME]


@dataclass(frozen=True)
class SignInFacts:
    """What the sign-in page shows: the first-admin form, or the names to choose from."""

    first_admin: bool  # no active admin with a password yet: the page asks for the first admin
    choices: list[ClinicianInfo]  # who can sign in, as Clinic.sign_in_choices lists them


def sign_in_facts(clinicians: Iterable[ClinicianInfo]) -> SignInFacts:
    """The sign-in page's facts from one reading of the clinicians."""
    clinicians = list(clinicians)
    return SignInFacts(needs_first_admin(clinicians), sign_in_choices(clinicians))
