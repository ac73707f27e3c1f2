"""``kapdesk export``: exit statuses, messages that name the problem, atomic writes, the audit event."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from test_export_csv import CLIENT, NURSE, build_sitting

from kapdesk.domain.clock import FakeClock
from kapdesk.domain.protocols import Protocol
from kapdesk.export import OutputPathError, UnknownSessionError
from kapdesk.export.cli import (
    EXIT_OK, EXIT_OUTPUT, EXIT_STORE, EXIT_USAGE, default_file_name, export_session, headless, main,
)
from kapdesk.export.csv_export import read_csv
from kapdesk.session import exports as session_exports
from kapdesk.store import Store


@pytest.fixture
def signed(store: Store, clock: FakeClock, protocols: dict[str, Protocol]) -> uuid.UUID:
    return build_sitting(store, clock, protocols["sublingual"])


def _exports(store: Store, session_id: uuid.UUID) -> list[dict]:
    return [a.detail | {"actor": a.actor} for a in store.audit_events(session_id) if a.action == "exported"]


@pytest.mark.parametrize("fmt", ["csv", "fhir"])
def test_export_writes_the_file_prints_its_path_and_audits(store: Store, signed: uuid.UUID, db_path: Path,
                                                           tmp_path: Path, capsys, fmt: str) -> None:
    out = tmp_path / f"session.{fmt}"
    status = main([str(signed), "--format", fmt, "--out", str(out), "--db", str(db_path)])

    captured = capsys.readouterr()
    assert status == EXIT_OK, captured.err
    assert captured.out.strip() == str(out)
    assert captured.err == f"kapdesk export: note: {out} is an unencrypted copy of health information, readable only " \
        "by your user account: keep it off shared folders and delete it when it is no longer needed\n"
    if fmt == "csv":
        assert read_csv(out) == store.session_record(signed).entries
    else:
        assert json.loads(out.read_text(encoding="utf-8"))["resourceType"] == "Bundle"
    assert _exports(store, signed) == [{"format": fmt, "path": str(out.resolve()), "actor": None}]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_pdf_export_through_the_cli(qapp, store: Store, signed: uuid.UUID, db_path: Path, tmp_path: Path,
                                    capsys) -> None:
    out = tmp_path / "report.pdf"
    status = main([str(signed), "-f", "pdf", "-o", str(out), "--db", str(db_path), "--as", NURSE])

    assert status == EXIT_OK, capsys.readouterr().err
    assert out.read_bytes().startswith(b"%PDF-")
    assert _exports(store, signed) == [{"format": "pdf", "path": str(out.resolve()), "actor": NURSE}]


def test_a_folder_as_out_gets_a_default_name(store: Store, signed: uuid.UUID, db_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    assert main([str(signed), "--format", "csv", "--out", str(folder), "--db", str(db_path)]) == EXIT_OK

    (written,) = folder.iterdir()
    assert written.name == default_file_name(store.session_record(signed), "csv")
    assert written.name == f"kapdesk-2026-01-05-DEMO-01-synthetic-client-{str(signed)[:8]}.csv"


def test_a_malformed_session_id_is_a_usage_error(store: Store, signed: uuid.UUID, db_path: Path, tmp_path: Path,
                                                 capsys) -> None:
    status = main(["not-a-session", "--format", "csv", "--out", str(tmp_path / "x.csv"), "--db", str(db_path)])

    assert status == EXIT_USAGE
    assert "'not-a-session' is not a session id" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_an_unknown_session_id_is_named(store: Store, signed: uuid.UUID, db_path: Path, tmp_path: Path,
                                        capsys) -> None:
    unknown = uuid.uuid4()
    status = main([str(unknown), "--format", "fhir", "--out", str(tmp_path / "x.json"), "--db", str(db_path)])

    assert status == EXIT_USAGE
    assert f"no session with id {unknown}" in capsys.readouterr().err
    assert list(tmp_path.glob("x.json*")) == [] and _exports(store, signed) == []


@pytest.mark.parametrize("where", ["missing folder", "folder is a file"])
def test_an_unwritable_output_path_is_named_and_nothing_is_written(store: Store, signed: uuid.UUID, db_path: Path,
                                                                   tmp_path: Path, capsys, where: str) -> None:
    if where == "folder is a file":
        (tmp_path / "plain-file").write_text("synthetic")
        out = tmp_path / "plain-file" / "s.csv"
    else:
        out = tmp_path / "no" / "such" / "folder" / "s.csv"
    status = main([str(signed), "--format", "csv", "--out", str(out), "--db", str(db_path)])

    assert status == EXIT_OUTPUT
    assert f"cannot write {out}" in capsys.readouterr().err
    assert not out.exists() and _exports(store, signed) == []


def test_a_failing_writer_leaves_the_old_file_and_no_debris(store: Store, signed: uuid.UUID, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "s.csv"
    out.write_text("an earlier export (synthetic)\n", encoding="utf-8")

    def half_then_fail(record, path):  # a disk that fills up half-way
        Path(path).write_text("entry_id,session_id\n1,", encoding="utf-8")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(session_exports, "_writer", lambda fmt: half_then_fail)
    with pytest.raises(OutputPathError, match=f"cannot write {out}: No space left on device"):
        export_session(store, signed, "csv", out)

    assert out.read_text(encoding="utf-8") == "an earlier export (synthetic)\n"
    assert sorted(p.name for p in folder.iterdir()) == ["s.csv"]
    assert _exports(store, signed) == []


def test_an_export_the_audit_cannot_record_is_removed(store: Store, signed: uuid.UUID, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from kapdesk.store import StoreError

    def refuse(*_args, **_kwargs):
        raise StoreError("the database is read-only (synthetic)")

    monkeypatch.setattr(store, "record_export", refuse)
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(StoreError, match="read-only"):
        export_session(store, signed, "csv", folder / "s.csv")
    assert list(folder.iterdir()) == []


def test_an_unsigned_note_exports_as_draft_with_a_note_on_stderr(store: Store, clock: FakeClock,
                                                                 protocols: dict[str, Protocol], db_path: Path,
                                                                 tmp_path: Path, capsys) -> None:
    sid = build_sitting(store, clock, protocols["sublingual"], sign=False)
    out = tmp_path / "draft.json"
    status = main([str(sid), "--format", "fhir", "--out", str(out), "--db", str(db_path)])

    assert status == EXIT_OK
    assert "exported as DRAFT — the integration note is not signed" in capsys.readouterr().err
    assert json.loads(out.read_text(encoding="utf-8"))["meta"]["tag"][0]["code"] == "draft"


def test_an_unknown_format_is_an_argparse_error(signed: uuid.UUID, db_path: Path, tmp_path: Path, capsys) -> None:
    status = main([str(signed), "--format", "docx", "--out", str(tmp_path / "x"), "--db", str(db_path)])

    assert status == EXIT_USAGE
    err = capsys.readouterr().err
    assert "invalid choice: 'docx'" in err and "usage: kapdesk export" in err


def test_help_exits_zero(capsys) -> None:
    assert main(["--help"]) == EXIT_OK
    assert "--format {pdf,csv,fhir}" in capsys.readouterr().out


def test_a_missing_database_is_not_created(tmp_path: Path, capsys) -> None:
    db = tmp_path / "typo.sqlite3"
    status = main([str(uuid.uuid4()), "--format", "csv", "--out", str(tmp_path / "x.csv"), "--db", str(db)])

    assert status == EXIT_STORE
    assert f"there is no database at {db}" in capsys.readouterr().err
    assert not db.exists()


def test_an_unknown_exporter_is_a_usage_error(signed: uuid.UUID, db_path: Path, tmp_path: Path, capsys) -> None:
    status = main([str(signed), "--format", "csv", "--out", str(tmp_path / "x.csv"), "--db", str(db_path),
                   "--as", "Nobody (synthetic)"])

    assert status == EXIT_USAGE
    assert "no clinician named 'Nobody (synthetic)'" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_export_session_accepts_text_ids_and_refuses_bad_ones(store: Store, signed: uuid.UUID, tmp_path: Path) -> None:
    clinician = store.clinicians()[0]
    path = export_session(store, str(signed), "csv", tmp_path / "s.csv", clinician.id)

    assert path == tmp_path / "s.csv" and read_csv(path)[0].session_id == signed
    assert _exports(store, signed)[0]["actor"] == clinician.name
    with pytest.raises(UnknownSessionError, match="'12' is not a session id"):
        export_session(store, "12", "csv", tmp_path / "t.csv")
    with pytest.raises(ValueError, match="unknown export format 'xml'"):
        export_session(store, signed, "xml", tmp_path / "t.xml")
    assert CLIENT in (tmp_path / "s.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize(("environ", "platform", "expected"), [
    ({}, "linux", True),
    ({"DISPLAY": ":0"}, "linux", False),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
    ({"QT_QPA_PLATFORM": "xcb"}, "linux", False),
    ({}, "freebsd14", True),
    ({}, "win32", False),
    ({}, "darwin", False),
])
def test_headless_only_where_a_missing_display_means_no_screen(environ: dict[str, str], platform: str,
                                                                expected: bool) -> None:
    assert headless(environ, platform) is expected


def test_the_clinics_alert_rules_reach_the_pdf(qapp, store: Store, signed: uuid.UUID, tmp_path: Path) -> None:
    from test_export_pdf import pdf_pages

    from kapdesk.domain.alerts import AlertRules

    path = export_session(store, signed, "pdf", tmp_path / "r.pdf", rules=AlertRules(systolic_high=170))
    text = " ".join(" ".join(pdf_pages(path)).split())

    assert "SBP 170" in text and "SBP 180" not in text
