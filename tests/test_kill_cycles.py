"""The short version of ``make reliability``'s 1,000 SIGKILL cycles: a few real processes killed at random.

Each cycle starts a real KAPDesk (tests/drivers/entry_loop_app.py: ``kapdesk.app.build``, the
sitting resumed as after a crash, observations typed into the real entry line and confirmed on
screen), SIGKILLs it at a random moment — one of them early in start-up — and reads the file with
plain ``sqlite3``: integrity ok, every confirmed entry there once, nothing typed stored twice.
"""

from __future__ import annotations

import sqlite3

import pytest
from kill_cycles import check_cycle, kill_cycles

pytestmark = pytest.mark.slow


def test_random_sigkills_lose_and_duplicate_nothing(tmp_path):
    # seed 9: cycle 1 is killed early in its start-up (opening the record the last kill left),
    # cycles 0 and 2 while they type; cycle 2 then resumes the sitting cycle 0 started. The sitting
    # is never rotated here (rotate far above what 0.6 s of typing commits: since entries commit in
    # ~0.2 ms, cycle 0 could type 40 and cycle 2 would start a new sitting instead of resuming it).
    figures = kill_cycles(tmp_path, 3, seed=9, write_window_s=0.6, startup_kill_share=0.5, rotate=10_000)
    assert figures.problems == []
    assert (figures.lost, figures.duplicated, figures.integrity_failures) == (0, 0, 0), figures.line()
    assert figures.cycles == 3 and figures.confirmed > 0
    assert figures.killed_in_startup == 1 and figures.resumed >= 1, figures.line()


def test_the_check_counts_a_lost_and_a_duplicated_entry(tmp_path):
    """The checker can fail: a confirmed id that is missing is lost; one text stored twice is duplicated."""
    path = tmp_path / "record.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE entry (id CHAR(32) PRIMARY KEY, kind TEXT, payload JSON)")
    db.executemany("INSERT INTO entry VALUES (?, 'observation', ?)", [
        ("a" * 32, '{"text": "kill c7 n1"}'), ("b" * 32, '{"text": "kill c7 n2"}'), ("c" * 32, '{"text": "kill c7 n2"}'),
        ("d" * 32, '{"text": "kill c70 n1"}'),  # another cycle's entry is not counted
    ])
    db.commit()
    db.close()
    ok, lost, duplicated, unconfirmed = check_cycle(path, "kill c7", {"a" * 32: "kill c7 n1", "e" * 32: "kill c7 n3"})
    assert (ok, lost, duplicated, unconfirmed) == (True, 1, 1, 2)
