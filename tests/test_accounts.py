"""Clinician accounts: first admin, sign-in with back-off, PINs, admin actions, break glass."""

from __future__ import annotations

import pytest

from kapdesk.session.accounts import MAX_BACKOFF_S, Accounts, SignInError, backoff_s
from kapdesk.session.credentials import FAST, SHIPPED, CredentialError, check_pin
from kapdesk.store.errors import EntryError

PASSWORD = "synthetic pass 1"  # synthetic test secrets only


@pytest.fixture
def accounts(store, clock):
    return Accounts(store, clock.utcnow, FAST)


@pytest.fixture
def admin(accounts):
    return accounts.create_first_admin("Admin (synthetic)", PASSWORD)


def _actions(store):
    return [(e.action, e.object_type) for e in store.audit_events()]


@pytest.mark.both_engines
def test_a_new_record_asks_for_its_first_admin_once(accounts):
    assert accounts.needs_first_admin()
    admin = accounts.create_first_admin("Admin (synthetic)", PASSWORD)
    assert admin.is_admin and admin.has_password and not accounts.needs_first_admin()
    with pytest.raises(EntryError, match="already has an admin"):
        accounts.create_first_admin("Other (synthetic)", PASSWORD)


@pytest.mark.both_engines
def test_a_clinician_from_before_accounts_can_become_the_admin(store, accounts):
    old = store.add_clinician("Old Clinician (synthetic)")
    admin = accounts.create_first_admin("Old Clinician (synthetic)", PASSWORD)
    assert admin.id == old.id and admin.is_admin


def test_short_passwords_and_easy_pins_are_refused(accounts, admin):
    with pytest.raises(CredentialError, match="at least 10"):
        accounts.add_clinician(admin, "T (synthetic)", "therapist", "nine char")  # 9 characters
    with pytest.raises(CredentialError, match="empty"):
        accounts.add_clinician(admin, "T (synthetic)", "therapist", "")
    with pytest.raises(CredentialError, match="every guesser tries first"):
        accounts.add_clinician(admin, "T (synthetic)", "therapist", "Password123")
    with pytest.raises(CredentialError, match="own name"):
        accounts.add_clinician(admin, "Ten Letters (synthetic)", "therapist", "ten letters (synthetic)")
    assert accounts.add_clinician(admin, "T (synthetic)", "therapist", "ten chars!").name == "T (synthetic)"
    for pin in ("123", "1111", "1234", "abcd", "123456789"):
        with pytest.raises(CredentialError):
            check_pin(pin)
    assert check_pin("2580") == "2580"


@pytest.mark.both_engines
def test_sign_in_is_audited_and_wrong_passwords_back_off(store, clock, accounts, admin):
    with pytest.raises(SignInError, match="wrong password") as first:
        accounts.sign_in(admin.id, "not it (synthetic)")
    assert first.value.wait_s == 1
    with pytest.raises(SignInError, match="wait 1 s"):  # during the back-off the secret is not even checked
        accounts.sign_in(admin.id, PASSWORD)
    clock.advance(1)
    with pytest.raises(SignInError) as second:
        accounts.sign_in(admin.id, "still not (synthetic)")
    assert second.value.wait_s == 2
    clock.advance(1.5)
    with pytest.raises(SignInError, match="wait 1 s"):
        accounts.sign_in(admin.id, PASSWORD)
    clock.advance(0.5)
    assert accounts.sign_in(admin.id, PASSWORD).by == "password"
    assert accounts.wait_before_next_try(admin.id) == 0
    actions = _actions(store)
    assert actions.count(("sign-in failed", "clinician")) == 2 and ("signed in", "clinician") in actions


def test_the_back_off_doubles_up_to_its_ceiling():
    assert [backoff_s(n) for n in range(0, 5)] == [0, 1, 2, 4, 8]
    assert backoff_s(30) == MAX_BACKOFF_S


@pytest.mark.both_engines
def test_the_back_off_survives_a_restart(store, clock, accounts, admin):
    for _ in range(3):
        with pytest.raises(SignInError):
            accounts.sign_in(admin.id, "wrong (synthetic)")
        clock.advance(10)
    restarted = Accounts(store, clock.utcnow, FAST)
    with pytest.raises(SignInError):
        restarted.sign_in(admin.id, "wrong (synthetic)")
    assert restarted.wait_before_next_try(admin.id) == pytest.approx(8)


@pytest.mark.both_engines
def test_a_pin_opens_only_where_a_pin_is_allowed(clock, accounts, admin):
    accounts.set_pin(admin.id, "2580")
    with pytest.raises(SignInError):
        accounts.sign_in(admin.id, "2580")
    clock.advance(1)
    assert accounts.sign_in(admin.id, "2580", allow_pin=True).by == "pin"


def test_admins_add_deactivate_and_reset_never_delete(store, accounts, admin):
    nurse = accounts.add_clinician(admin, "Nurse (synthetic)", "prescriber", "nurse pass (synthetic)")
    with pytest.raises(EntryError, match="only an admin"):
        accounts.add_clinician(nurse, "X (synthetic)", "therapist", PASSWORD)
    accounts.set_active(admin, nurse.id, False)
    with pytest.raises(SignInError, match="deactivated"):
        accounts.sign_in(nurse.id, "nurse pass (synthetic)")
    accounts.set_active(admin, nurse.id, True)
    accounts.reset_password(admin, nurse.id, "new nurse pass (synthetic)")
    assert accounts.sign_in(nurse.id, "new nurse pass (synthetic)").clinician.name == "Nurse (synthetic)"
    with pytest.raises(EntryError, match="last active admin"):
        accounts.set_active(admin, admin.id, False)
    assert {("deactivated", "clinician"), ("reactivated", "clinician"), ("password reset", "clinician")} <= set(
        _actions(store))
    import sqlite3
    with sqlite3.connect(store.engine.url.database) as db, pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        db.execute("DELETE FROM clinician")


@pytest.mark.both_engines
def test_no_secret_reaches_the_audit_trail(store, accounts, admin):
    accounts.set_pin(admin.id, "2580")
    accounts.set_emergency_code(admin, "glass code (synthetic)")
    trail = repr([e.detail for e in store.audit_events()])
    assert "argon2" not in trail and "2580" not in trail and "glass code" not in trail


@pytest.mark.both_engines
def test_break_glass_needs_the_code_and_a_reason_and_waits_for_review(store, clock, accounts, admin):
    with pytest.raises(SignInError, match="no emergency code"):
        accounts.break_glass("anything (synthetic)", "client unwell")
    accounts.set_emergency_code(admin, "glass code (synthetic)")
    with pytest.raises(SignInError, match="say why"):
        accounts.break_glass("glass code (synthetic)", "  ")
    with pytest.raises(SignInError, match="wrong emergency code"):
        accounts.break_glass("nope (synthetic)", "client unwell")
    clock.advance(2)
    access = accounts.break_glass("glass code (synthetic)", "Therapist locked out; client unwell (synthetic)")
    assert [a.id for a in accounts.open_emergency_accesses()] == [access.id]
    accounts.review_emergency_access(admin, access.id)
    assert accounts.open_emergency_accesses() == []
    assert ("break glass", "emergency_access") in _actions(store)


@pytest.mark.both_engines
def test_a_hash_with_weaker_parameters_is_upgraded_at_the_next_sign_in(store, clock, accounts, admin):
    strong = Accounts(store, clock.utcnow, SHIPPED.__class__(memory_kib=16, passes=2))
    strong.sign_in(admin.id, PASSWORD)
    password_hash, _ = store.clinician_secrets(admin.id)
    assert "m=16,t=2" in password_hash


def test_shipped_parameters_take_a_noticeable_fraction_of_a_second():
    """Argon2id as shipped is memory-hard (64 MiB) and not trivially fast to guess."""
    stored = SHIPPED.hash("synthetic (shipped)")
    assert "$argon2id$" in stored and "m=65536,t=3" in stored
    assert SHIPPED.verify(stored, "synthetic (shipped)") and not SHIPPED.verify(stored, "other")


def test_a_damaged_password_hash_is_named_not_taken_for_a_wrong_password(store, accounts, admin):
    import sqlite3

    store.close()
    with sqlite3.connect(store.engine.url.database) as db:
        db.execute("UPDATE clinician SET password_hash = '$argon2id$v=19$garbage' WHERE id = ?", (admin.id.hex,))
    with pytest.raises(SignInError, match="stored password is damaged.*admin resets it"):
        accounts.sign_in(admin.id, PASSWORD)
    assert store.failed_sign_ins(admin.id)[0] == 0  # not counted as a guess
