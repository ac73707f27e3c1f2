"""Is libvlc usable here? Find out without ever taking the app down.

Music is optional: the session clock, notes and vitals must work on a laptop without VLC. Loading
libvlc fails in more ways than ``ImportError`` (style.md, habit 3), and every one must end in a
plain sentence for the therapist plus exactly what to install:

* python-vlc missing, or blocked (``sys.modules["vlc"] = None``): ``ImportError``.
* python-vlc present but no libvlc: on Linux ``find_lib`` raises
  ``NotImplementedError("Cannot find libvlc lib")``; elsewhere ``ctypes`` raises ``OSError``
  (wrong bitness, missing DLL dependencies).
* ``PYTHON_VLC_LIB_PATH`` / ``PYTHON_VLC_MODULE_PATH`` set to something unusable: python-vlc
  logs and calls ``sys.exit(1)`` *while being imported*, so ``SystemExit`` must be caught too.
* libvlc loads but ``vlc.Instance()`` returns ``None`` (no plugins found, bad arguments) or raises.

Nothing here imports ``vlc`` at module import time; only ``import_vlc`` and ``probe_vlc`` do.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

# The options every libvlc instance of ours gets: audio only, no console chatter, no X11 calls
# (libvlc's Xlib use from a non-GUI thread can crash a Qt app on Linux).
BASE_INSTANCE_ARGS: tuple[str, ...] = ("--no-video", "--quiet", "--no-xlib")


@dataclass(frozen=True)
class VlcAvailability:
    available: bool
    reason: str  # one sentence a therapist can read: why music is (un)available
    install_hint: str  # what to install on this platform; "" when available
    version: str = ""  # libvlc's own version string when available


class VlcUnavailableError(RuntimeError):
    """libvlc cannot be used; ``availability`` says why and what to install."""

    def __init__(self, availability: VlcAvailability) -> None:
        super().__init__(availability.reason)
        self.availability = availability


def install_hint(platform: str | None = None) -> str:
    """Exactly what to install for music playback on ``platform`` (default: this one)."""
    platform = sys.platform if platform is None else platform
    if platform.startswith("linux"):
        return (
            "Install VLC's library: on Debian/Ubuntu run "
            "`sudo apt-get install libvlc5 vlc-plugin-base` (Fedora: `sudo dnf install vlc-libs`)."
        )
    bits = "64-bit" if sys.maxsize > 2**32 else "32-bit"
    if platform.startswith("win"):
        return (
            f"Install VLC 3 for Windows ({bits}, the same bitness as Python) from "
            "https://www.videolan.org/vlc/ and restart KAPDesk."
        )
    if platform == "darwin":
        return (
            "Install VLC 3 for macOS from https://www.videolan.org/vlc/ into /Applications "
            f"(a {bits} build matching Python) and restart KAPDesk."
        )
    return "Install VLC 3 (libvlc) from https://www.videolan.org/vlc/ and restart KAPDesk."


def import_vlc() -> ModuleType:
    """Import python-vlc, turning every way it can fail into ``VlcUnavailableError``."""
    try:
        return importlib.import_module("vlc")
    except ImportError as exc:
        reason = f"The python-vlc package is not installed ({exc})."
    except NotImplementedError as exc:  # python-vlc's find_lib on Linux: "Cannot find libvlc lib"
        reason = f"VLC's library (libvlc) was not found ({exc})."
    except OSError as exc:  # ctypes could not load the library that was found
        reason = f"VLC's library (libvlc) could not be loaded ({exc})."
    except SystemExit:
        # python-vlc calls sys.exit(1) during import when PYTHON_VLC_LIB_PATH or
        # PYTHON_VLC_MODULE_PATH points somewhere unusable; an optional part must not exit the app.
        reason = "VLC's library could not be loaded from PYTHON_VLC_LIB_PATH / PYTHON_VLC_MODULE_PATH."
    except Exception as exc:  # noqa: BLE001 - a broken optional dependency must never crash start-up
        reason = f"VLC's library could not be loaded ({type(exc).__name__}: {exc})."
    raise VlcUnavailableError(VlcAvailability(False, reason, install_hint()))


def create_instance(vlc: ModuleType, extra_args: Sequence[str] = ()) -> Any:
    """A ``vlc.Instance`` with our audio-only options, or ``VlcUnavailableError``."""
    args = [*BASE_INSTANCE_ARGS, *extra_args]
    try:
        instance = vlc.Instance(args)
    except Exception as exc:  # libvlc_new failures surface as assorted errors
        reason = f"VLC's library loaded but could not start ({type(exc).__name__}: {exc})."
        raise VlcUnavailableError(VlcAvailability(False, reason, install_hint())) from exc
    if instance is None:  # libvlc_new returned NULL: typically no plugins found
        reason = "VLC's library loaded but could not start (its plugins may be missing)."
        raise VlcUnavailableError(VlcAvailability(False, reason, install_hint()))
    return instance


def probe_vlc(extra_args: Sequence[str] = ()) -> VlcAvailability:
    """Can music be played here? Never raises; creates and releases one libvlc instance."""
    try:
        vlc = import_vlc()
        instance = create_instance(vlc, extra_args)
    except VlcUnavailableError as exc:
        return exc.availability
    try:
        version = libvlc_version(vlc)
    finally:
        instance.release()
    return VlcAvailability(True, f"Music playback uses libvlc {version}.", "", version)


def libvlc_version(vlc: ModuleType) -> str:
    """libvlc's own version string, e.g. "3.0.24 Vetinari"."""
    try:
        raw = vlc.libvlc_get_version()
    except Exception:  # noqa: BLE001 - the version is decoration, not a reason to fail
        return "(unknown version)"
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
