"""Passwords, PINs and the emergency code: Argon2id hashes, and the rules a secret must meet.

Every secret is hashed with Argon2id (argon2-cffi). The parameters are written into each hash
(the PHC string ``$argon2id$v=19$m=…,t=…,p=…$salt$hash``), so they can be raised later: a
hash made with weaker parameters still verifies, and :meth:`Hasher.needs_rehash` says when to
store a fresh one (done at the next successful sign-in).

``SHIPPED`` takes about 0.25 s per check on a clinic laptop (measured here on 2 cores:
``python -m kapdesk.session.credentials`` prints the figure). Tests use :data:`FAST`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["FAST", "SHIPPED", "CredentialError", "Hasher", "check_password", "check_pin"]

MIN_PASSWORD = 10  # issue 10: at least 10 characters (NIST SP 800-63B's floor is 8; a few words beat both)
MAX_PASSWORD = 200
PIN_DIGITS = (4, 8)


class CredentialError(ValueError):
    """A secret that cannot be used as typed; the message says why in one line."""


@dataclass(frozen=True)
class Hasher:
    """Argon2id with fixed parameters: memory in KiB, passes, lanes."""

    memory_kib: int
    passes: int
    lanes: int = 1

    def _argon2(self) -> PasswordHasher:
        return PasswordHasher(time_cost=self.passes, memory_cost=self.memory_kib, parallelism=self.lanes)

    def hash(self, secret: str) -> str:
        return self._argon2().hash(secret)

    def verify(self, stored: str | None, secret: str) -> bool:
        """True when ``secret`` matches ``stored``; a missing or damaged hash matches nothing."""
        if not stored:
            return False
        try:
            return self._argon2().verify(stored, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    @staticmethod
    def readable(stored: str | None) -> bool:
        """True when ``stored`` is an Argon2 hash at all (a damaged one can never match anything)."""
        if not stored:
            return False
        try:
            from argon2 import extract_parameters

            extract_parameters(stored)
            return True
        except (InvalidHashError, ValueError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        try:
            return self._argon2().check_needs_rehash(stored)
        except InvalidHashError:
            return True


# 64 MiB, 3 passes: 198 ms per check on this 2-core machine with one other job running (t=2: 132 ms,
# t=4: 283 ms), ~0.25 s under the load of a clinic laptop busy with music and the chart. The same
# parameters derive an encrypted record's key (kapdesk.store.crypto). Hashes made with t=2 by the
# first build of accounts are re-hashed at their next sign-in.
SHIPPED = Hasher(memory_kib=64 * 1024, passes=3)
FAST = Hasher(memory_kib=8, passes=1)  # tests only: the lowest cost Argon2 accepts


def _common_passwords() -> frozenset[str]:
    """The shipped list of passwords every guesser tries first (resources/common-passwords.txt)."""
    from kapdesk.paths import resources_dir

    try:
        lines = (resources_dir() / "common-passwords.txt").read_text(encoding="utf-8").splitlines()
    except OSError:
        return frozenset()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password: str, *, name: str = "") -> str:
    """``password`` if it may be used; else one line saying why (``name``: the clinician's own)."""
    if not password:
        raise CredentialError("the password is empty")
    if len(password) < MIN_PASSWORD:
        raise CredentialError(f"the password is too short: use at least {MIN_PASSWORD} characters (a few words)")
    folded = password.strip().casefold()
    if folded in _common_passwords():
        raise CredentialError("that password is on the list every guesser tries first: choose another")
    if name and folded in (name.strip().casefold(), name.strip().casefold().replace(" ", "")):
        raise CredentialError("the password is the clinician's own name: choose another")
    if len(password) > MAX_PASSWORD:
        raise CredentialError(f"the password is too long: use at most {MAX_PASSWORD} characters")
    if not password.strip():
        raise CredentialError("the password is only spaces")
    return password


def check_pin(pin: str) -> str:
    low, high = PIN_DIGITS
    if not pin.isascii() or not pin.isdigit() or not low <= len(pin) <= high:
        raise CredentialError(f"a PIN is {low} to {high} digits")
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise CredentialError("that PIN is too easy to guess: avoid repeated or consecutive digits")
    return pin


def _measure(hasher: Hasher, rounds: int = 5) -> float:
    stored = hasher.hash("synthetic password (measurement)")
    start = time.perf_counter()
    for _ in range(rounds):
        hasher.verify(stored, "synthetic password (measurement)")
    return (time.perf_counter() - start) / rounds


if __name__ == "__main__":
    print(f"Argon2id m={SHIPPED.memory_kib} KiB t={SHIPPED.passes} p={SHIPPED.lanes}: "
          f"{_measure(SHIPPED) * 1000:.0f} ms per check")
