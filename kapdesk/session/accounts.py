"""Who may open the record: clinician accounts, sign-in with back-off, PINs, and "break glass".

The rules (45 CFR 164.312 asks for unique user identification, person authentication and
emergency access; NIST SP 800-63B for the password rules):

* Every clinician signs in with their own password (Argon2id, :mod:`kapdesk.session.credentials`).
  The first run asks for the first admin. An admin adds clinicians, deactivates them (never
  deletes: the record names its authors) and resets a password.
* Wrong secrets back off: after n failures in a row the next try waits 2^(n-1) s (1 s, 2 s,
  4 s … at most :data:`MAX_BACKOFF_S`). The count lives in the audit trail, so restarting the
  app does not reset it, and every failure is audited.
* A PIN (4–8 digits, Argon2id too) is for the quick switch and the idle lock, never for the
  first sign-in of the day: with a shared laptop, a PIN alone must not open the history.
* The emergency code, set by an admin, unlocks with a required reason; the access is shown on the
  start screen until an admin reviews it.

Every outcome is audited through the store's hash chain.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from kapdesk.domain.sign_in import ClinicianInfo, EmergencyAccessInfo, needs_first_admin
from kapdesk.session.credentials import SHIPPED, CredentialError, Hasher, check_password, check_pin
from kapdesk.store.errors import EntryError

if TYPE_CHECKING:  # the sign-in forms import this module before SQLAlchemy is loaded
    from kapdesk.store.repository import Store

__all__ = ["ROLES", "Accounts", "CredentialError", "SignInError"]

ROLES = {"therapist": "Therapist", "prescriber": "Nurse / prescriber", "admin": "Admin"}
MAX_BACKOFF_S = 60
EMERGENCY_CODE = "emergency_code"

Secret = Literal["password", "pin"]


class SignInError(Exception):
    """A sign-in that did not happen; ``wait_s`` is how long before the next try is taken."""

    def __init__(self, message: str, wait_s: float = 0.0) -> None:
        super().__init__(message)
        self.message = message
        self.wait_s = wait_s


@dataclass(frozen=True)
class SignedIn:
    clinician: ClinicianInfo
    by: Secret


def backoff_s(failures: int) -> float:
    """The wait after ``failures`` wrong secrets in a row: 0, 1, 2, 4 … s, at most MAX_BACKOFF_S."""
    return 0.0 if failures <= 0 else float(min(MAX_BACKOFF_S, 2 ** (failures - 1)))


class Accounts:
    """The clinic's accounts, over one store. ``now`` is the clock the back-off is measured on."""

    def __init__(self, store: Store, now: Callable[[], datetime] | None = None, hasher: Hasher = SHIPPED) -> None:
        self.store = store
        self.now = now or store.now
        self.hasher = hasher

    # -- first run ------------------------------------------------------------------------------
    def needs_first_admin(self) -> bool:
        """True until an active admin with a password exists (a new record, or one from before accounts)."""
        return needs_first_admin(self.store.clinicians())

    def create_first_admin(self, name: str, password: str) -> ClinicianInfo:
        if not self.needs_first_admin():
            raise EntryError("this record already has an admin: sign in, and ask them to add you")
        check_password(password, name=name)
        existing = next((c for c in self.store.clinicians() if c.name == name.strip()), None)
        if existing is not None:  # a clinician from before accounts becomes the admin
            return self.store.update_clinician(existing.id, existing.id, "made first admin", role="admin",
                                               active=True, password_hash=self.hasher.hash(password))
        return self.store.add_clinician(name, "admin", password_hash=self.hasher.hash(password))

    # -- sign-in --------------------------------------------------------------------------------
    def active_clinicians(self) -> list[ClinicianInfo]:
        return [c for c in self.store.clinicians() if c.active]

    def wait_before_next_try(self, clinician_id: uuid.UUID) -> float:
        return self._wait(*self.store.failed_sign_ins(clinician_id))

    def _wait(self, failures: int, last: datetime | None) -> float:
        """What is left of the back-off after ``failures`` wrong tries, the latest at ``last``."""
        if not failures or last is None:
            return 0.0
        return max(0.0, (last + timedelta(seconds=backoff_s(failures)) - self.now()).total_seconds())

    def sign_in(self, clinician_id: uuid.UUID, secret: str, *, allow_pin: bool = False,
                action: str = "signed in", detail: dict[str, str] | None = None) -> SignedIn:
        """Check ``secret`` (the password; or the PIN when ``allow_pin``) and audit the outcome.

        Raises :class:`SignInError` for a wrong secret, an inactive account, or a try made
        during the back-off (that try is not checked at all, so guessing gains nothing).
        """
        clinician = self._clinician(clinician_id)
        if not clinician.active:
            self.store.record_event(None, "sign-in refused", "clinician", clinician_id, {"why": "deactivated"})
            raise SignInError(f"{clinician.name}'s account is deactivated: an admin can reactivate it")
        wait = self.wait_before_next_try(clinician_id)
        if wait > 0:
            raise SignInError(f"too many wrong tries: wait {math.ceil(wait)} s", wait)
        password_hash, pin_hash = self.store.clinician_secrets(clinician_id)
        if password_hash and not self.hasher.readable(password_hash):
            self.store.record_event(None, "sign-in refused", "clinician", clinician_id, {"why": "damaged password hash"})
            raise SignInError(f"{clinician.name}'s stored password is damaged and cannot be checked: an admin resets it "
                              "(nothing was changed)")
        by: Secret | None = None
        if self.hasher.verify(password_hash, secret):
            by = "password"
        elif allow_pin and self.hasher.verify(pin_hash, secret):
            by = "pin"
        if by is None:
            self.store.record_event(None, "sign-in failed", "clinician", clinician_id, {"during": action})
            failures, _ = self.store.failed_sign_ins(clinician_id)
            what = "password or PIN" if allow_pin else "password"
            raise SignInError(f"wrong {what} for {clinician.name}", backoff_s(failures))
        if by == "password" and self.hasher.needs_rehash(password_hash or ""):
            self.store.update_clinician(clinician_id, clinician_id, "password rehashed",
                                        password_hash=self.hasher.hash(secret))
        self.store.record_event(clinician_id, action, "clinician", clinician_id, {"with": by, **(detail or {})})
        return SignedIn(self._clinician(clinician_id), by)

    # -- the clinician's own PIN ----------------------------------------------------------------
    def set_pin(self, clinician_id: uuid.UUID, pin: str) -> ClinicianInfo:
        check_pin(pin)
        return self.store.update_clinician(clinician_id, clinician_id, "PIN set", pin_hash=self.hasher.hash(pin))

    def change_password(self, clinician_id: uuid.UUID, current: str, new: str) -> ClinicianInfo:
        self.sign_in(clinician_id, current, action="password confirmed")
        check_password(new)
        return self.store.update_clinician(clinician_id, clinician_id, "password changed",
                                           password_hash=self.hasher.hash(new))

    # -- admin ----------------------------------------------------------------------------------
    def add_clinician(self, admin: ClinicianInfo, name: str, role: str, password: str) -> ClinicianInfo:
        self._require_admin(admin)
        if role not in ROLES:
            raise EntryError(f"unknown role {role!r}: choose {', '.join(ROLES)}")
        check_password(password, name=name)
        return self.store.add_clinician(name, role, password_hash=self.hasher.hash(password), actor_id=admin.id)

    def set_active(self, admin: ClinicianInfo, clinician_id: uuid.UUID, active: bool) -> ClinicianInfo:
        self._require_admin(admin)
        target = self._clinician(clinician_id)
        if not active and target.is_admin and target.active and sum(
                1 for c in self.store.clinicians() if c.is_admin and c.active) == 1:
            raise EntryError("this is the last active admin: make another admin first")
        return self.store.update_clinician(clinician_id, admin.id, "reactivated" if active else "deactivated",
                                           active=active)

    def reset_password(self, admin: ClinicianInfo, clinician_id: uuid.UUID, password: str) -> ClinicianInfo:
        self._require_admin(admin)
        check_password(password)
        return self.store.update_clinician(clinician_id, admin.id, "password reset",
                                           password_hash=self.hasher.hash(password))

    def set_emergency_code(self, admin: ClinicianInfo, code: str) -> None:
        self._require_admin(admin)
        check_password(code)
        self.store.set_security_setting(EMERGENCY_CODE, self.hasher.hash(code), admin.id, secret=True)

    def has_emergency_code(self) -> bool:
        return self.store.security_setting(EMERGENCY_CODE) is not None

    # -- break glass ----------------------------------------------------------------------------
    def break_glass(self, code: str, reason: str) -> EmergencyAccessInfo:
        """Unlock with the clinic's emergency code; the reason is required and the access stays
        listed on the start screen until an admin reviews it."""
        if not reason.strip():
            raise SignInError("say why the emergency access is needed: the reason is recorded")
        stored = self.store.security_setting(EMERGENCY_CODE)
        if stored is None:
            raise SignInError("no emergency code is set: an admin sets one under Clinicians")
        wait = self._emergency_wait()
        if wait > 0:
            raise SignInError(f"too many wrong tries: wait {math.ceil(wait)} s", wait)
        if not self.hasher.verify(stored, code):
            self.store.record_event(None, "sign-in failed", "emergency_access", EMERGENCY_CODE, {})
            raise SignInError("wrong emergency code", backoff_s(self._emergency_failures()[0]))
        return self.store.add_emergency_access(reason.strip())

    def open_emergency_accesses(self) -> list[EmergencyAccessInfo]:
        return self.store.emergency_accesses()

    def review_emergency_access(self, admin: ClinicianInfo, access_id: uuid.UUID) -> None:
        self._require_admin(admin)
        self.store.review_emergency_access(access_id, admin.id)

    # -- the screen lock ------------------------------------------------------------------------
    def record_lock(self, clinician_id: uuid.UUID | None, why: str, session_id: uuid.UUID | None = None) -> None:
        """Audit that the window locked (``why``: idle, key, resume), over ``session_id`` if one was open."""
        detail = {"why": why, **({"session": str(session_id)} if session_id is not None else {})}
        self.store.record_event(clinician_id, "locked", "clinician", clinician_id or "-", detail)

    def record_sign_out(self, clinician_id: uuid.UUID) -> None:
        self.store.record_event(clinician_id, "signed out", "clinician", clinician_id, {})

    # -- helpers --------------------------------------------------------------------------------
    def _emergency_failures(self) -> tuple[int, datetime | None]:
        return self.store.failed_tries("emergency_access", None, resets=("break glass",))

    def _emergency_wait(self) -> float:
        return self._wait(*self._emergency_failures())

    def _clinician(self, clinician_id: uuid.UUID) -> ClinicianInfo:
        found = next((c for c in self.store.clinicians() if c.id == clinician_id), None)
        if found is None:
            raise EntryError("unknown clinician")
        return found

    def _require_admin(self, admin: ClinicianInfo) -> None:
        admin = self._clinician(admin.id)  # as the record says now, not as the caller remembers
        if not admin.is_admin or not admin.active:
            raise EntryError(f"only an admin can do this; {admin.name} is {ROLES.get(admin.role, admin.role)}")
