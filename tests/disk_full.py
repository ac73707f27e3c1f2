"""A full disk under a session in progress, for real: what the entry line says, and what is kept.

The record lives on a small filesystem of its own: a loop-mounted ext4 image (needs root and
``mount -o loop``, as on the CI machine and here) — the real thing, ENOSPC from the kernel. Where
that cannot be done, ``RLIMIT_FSIZE`` stands in (this process may then not grow any file, so the
WAL cannot grow: the kernel answers EFBIG, which SQLite reports as an I/O error rather than a full
disk; the line then says the disk could not be written).

The scenario (:func:`disk_full_scenario`), through the real window and its observation line:
one entry saved; the disk filled (a filler file written until the kernel refuses another byte);
the next entries typed until one is refused — the line says "Not saved: the disk is full …", the
text stays in the line, nothing of it is in the record and ``PRAGMA integrity_check`` is ok; the
filler deleted; Enter again, on the same kept text, saves it exactly once.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

IMAGE_MB = 4


class NoSmallFilesystem(Exception):
    """Why a loop-mounted filesystem cannot be had here."""


@contextlib.contextmanager
def loop_filesystem(workdir: Path, megabytes: int = IMAGE_MB) -> Iterator[Path]:
    """A fresh ext4 filesystem of ``megabytes`` mounted at ``workdir/mnt``; unmounted afterwards."""
    if os.geteuid() != 0:
        raise NoSmallFilesystem("not root: mount -o loop needs root")
    mkfs = shutil.which("mkfs.ext4") or shutil.which("mkfs.ext4", path="/sbin:/usr/sbin")
    if mkfs is None:
        raise NoSmallFilesystem("mkfs.ext4 is not installed")
    image, mountpoint = workdir / "disk.img", workdir / "mnt"
    with image.open("wb") as handle:
        handle.truncate(megabytes * 1024 * 1024)
    mountpoint.mkdir()
    made = subprocess.run([mkfs, "-q", "-F", str(image)], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        raise NoSmallFilesystem(f"mkfs.ext4 failed: {made.stderr.strip()}")
    mounted = subprocess.run(["mount", "-o", "loop", str(image), str(mountpoint)], capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        raise NoSmallFilesystem(f"mount -o loop is refused here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def fill(folder: Path) -> Path:
    """Write a filler file until the kernel refuses another byte (ENOSPC or EFBIG); returns it."""
    filler = folder / "filler.bin"
    with open(filler, "wb", buffering=0) as handle:
        for chunk in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            block = b"\0" * chunk
            while True:
                try:
                    if handle.write(block) < chunk:
                        break
                except OSError as exc:
                    if exc.errno not in (errno.ENOSPC, errno.EFBIG):
                        raise
                    break
        with contextlib.suppress(OSError):
            os.fsync(handle.fileno())
    return filler


@contextlib.contextmanager
def file_size_limit() -> Iterator[None]:
    """RLIMIT_FSIZE at 0 for this process: no file may grow (SIGXFSZ ignored, so writes fail with EFBIG)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)


@dataclass
class DiskFullResult:
    how: str  # "loop-mounted ext4 (4 MB)" or "RLIMIT_FSIZE"
    saved_before: int = 0
    tries_until_refused: int = 0
    refused_message: str = ""  # the entry line's message when the disk was full
    text_kept: bool = False
    integrity_while_full: bool = False
    refused_entry_absent: bool = False
    saved_after_freeing: str = ""  # the entry line's message after Enter, space freed
    stored_once: bool = False
    integrity_after: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (not self.problems and self.refused_message.startswith("Not saved:") and self.text_kept
                and self.integrity_while_full and self.refused_entry_absent and self.stored_once
                and self.saved_after_freeing.startswith("Saved ") and self.integrity_after)

    def line(self) -> str:
        return (f"disk full         {self.how}: refused after {self.tries_until_refused} tries with "
                f"“{self.refused_message}”; text kept {_yes(self.text_kept)}, integrity "
                f"{'ok' if self.integrity_while_full else 'FAILED'}, refused entry absent "
                f"{_yes(self.refused_entry_absent)}; space freed, Enter: “{self.saved_after_freeing}”, stored once "
                f"{_yes(self.stored_once)}" + (f"; PROBLEMS: {'; '.join(self.problems)}" if self.problems else ""))


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def _integrity(record: Path) -> bool:
    db = sqlite3.connect(f"file:{record}?mode=ro", uri=True)
    try:
        return db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        db.close()


def _stored(record: Path, text: str) -> int:
    db = sqlite3.connect(f"file:{record}?mode=ro", uri=True)
    try:
        return db.execute("SELECT count(*) FROM entry WHERE kind = 'observation' AND json_extract(payload, '$.text') = ?",
                          (text,)).fetchone()[0]
    finally:
        db.close()


def open_window(record: Path, clock):
    """The real main window on a store at ``record``, with a sitting in progress on screen."""
    from kapdesk.domain.protocols import load_protocols
    from kapdesk.paths import protocol_folders
    from kapdesk.session import Clinic
    from kapdesk.store import Store
    from kapdesk.ui.main_window import MainWindow

    protocols, errors = load_protocols(protocol_folders())
    clinic = Clinic(Store.open(str(record), now=clock.utcnow), clock)
    window = MainWindow(protocols, errors, clock, clinic)
    window.show()
    clinician = clinic.clinician_named("Disk Full Clinician (synthetic)")
    client = clinic.client_labelled("DISK-01 (synthetic)", clinician.id)
    info = clinic.start_session(client.id, clinician.id, window.protocols["sublingual"])
    view = window.show_session(info.id, clinician.id)
    return window, view


def type_and_enter(line, text: str | None) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    if text is not None:
        line.clear()
        QTest.keyClicks(line, text)
    QTest.keyClick(line, Qt.Key.Key_Return)  # returns once the entry is committed, or refused


def disk_full_scenario(folder: Path, how: str, clock, make_full, make_room) -> DiskFullResult:
    """Run the scenario with the record in ``folder``; ``make_full()`` fills, ``make_room()`` frees."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    result = DiskFullResult(how)
    record = folder / "record.sqlite3"
    window, view = open_window(record, clock)
    try:
        section = view.record_pane.observation
        line = section.line
        type_and_enter(line, "settled, breathing slowly (synthetic)")
        if not section.message.text().startswith("Saved "):
            result.problems.append(f"the first entry was not saved: {section.message.text()}")
            return result
        result.saved_before = 1
        make_full()
        try:
            for n in range(1, 41):  # a WAL with room left takes a few more commits before it must grow
                clock.advance(20)
                text = f"full disk entry {n} (synthetic)"
                type_and_enter(line, text)
                result.tries_until_refused = n
                if section.message.text().startswith("Not saved"):
                    break
                result.saved_before += 1
            result.refused_message = section.message.text()
            result.text_kept = line.text() == text
            result.integrity_while_full = _integrity(record)
            result.refused_entry_absent = _stored(record, text) == 0
        finally:
            make_room()
        clock.advance(20)
        type_and_enter(line, None)  # Enter again on the text the line kept
        result.saved_after_freeing = section.message.text()
        result.stored_once = _stored(record, text) == 1 and line.text() == ""
        result.integrity_after = _integrity(record)
        return result
    finally:
        window.close()
        window.clinic.close()
        window.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # gone before whatever runs next


def disk_full_run(workdir: Path | None = None) -> DiskFullResult:
    """The real-filesystem run of ``make reliability`` (falls back to RLIMIT_FSIZE, and says so)."""
    import tempfile

    from PySide6.QtWidgets import QApplication

    from kapdesk.domain.clock import FakeClock

    app = QApplication.instance() or QApplication(["kapdesk-reliability"])
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kapdesk-disk-")))
        try:
            mountpoint = stack.enter_context(loop_filesystem(workdir))
        except NoSmallFilesystem as why:
            limit = stack.enter_context(contextlib.ExitStack())
            folder = workdir / "record"
            folder.mkdir()
            return disk_full_scenario(folder, f"RLIMIT_FSIZE (no loop mount: {why})", FakeClock(),
                                      lambda: limit.enter_context(file_size_limit()), limit.close)
        fillers: list[Path] = []
        result = disk_full_scenario(mountpoint, f"loop-mounted ext4 ({IMAGE_MB} MB)", FakeClock(),
                                    lambda: fillers.append(fill(mountpoint)),
                                    lambda: [f.unlink() for f in fillers])
        app.processEvents()
        return result
