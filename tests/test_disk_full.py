"""A full disk mid-session (tests/disk_full.py): the entry line says so, keeps the text, the record stays
sound, and Enter saves the kept text once space is freed.

The record is on a real 4 MB ext4 filesystem, loop-mounted for the test, filled for real (ENOSPC
from the kernel) where this runs as root; elsewhere ``RLIMIT_FSIZE`` stands in, and the message is
then the drive's (EFBIG is an I/O error to SQLite, not a full disk).
"""

from __future__ import annotations

import contextlib
import os

import pytest
from disk_full import (
    IMAGE_MB,
    NoSmallFilesystem,
    disk_full_scenario,
    file_size_limit,
    fill,
    loop_filesystem,
)


def test_a_full_disk_is_said_in_the_entry_line_and_enter_saves_once_space_is_freed(qapp, tmp_path, clock):
    with contextlib.ExitStack() as stack:
        try:
            mountpoint = stack.enter_context(loop_filesystem(tmp_path))
        except NoSmallFilesystem:
            limit = contextlib.ExitStack()
            folder = tmp_path / "record"
            folder.mkdir()
            result = disk_full_scenario(folder, "RLIMIT_FSIZE", clock,
                                        lambda: limit.enter_context(file_size_limit()), limit.close)
            expected = "Not saved: the disk could not be written"
        else:
            fillers = []
            result = disk_full_scenario(mountpoint, f"loop-mounted ext4 ({IMAGE_MB} MB)", clock,
                                        lambda: fillers.append(fill(mountpoint)),
                                        lambda: [f.unlink() for f in fillers])
            expected = "Not saved: the disk is full: nothing was saved. Free some space, then try again."
    assert result.problems == []
    assert result.refused_message.startswith(expected), result.line()
    assert result.text_kept and result.refused_entry_absent and result.integrity_while_full, result.line()
    assert result.saved_after_freeing.startswith("Saved ") and "full disk entry" in result.saved_after_freeing
    assert result.stored_once and result.integrity_after, result.line()
    assert result.ok


def test_the_filler_really_fills_the_filesystem(tmp_path):
    try:
        with loop_filesystem(tmp_path) as mountpoint:
            fill(mountpoint)
            with pytest.raises(OSError), open(mountpoint / "more.bin", "wb", buffering=0) as handle:  # not a block more
                handle.write(b"\0" * 8192)
                os.fsync(handle.fileno())
    except NoSmallFilesystem as why:
        pytest.skip(str(why))
