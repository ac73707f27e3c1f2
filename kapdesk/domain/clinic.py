"""Clinic settings: alert thresholds, how dissociation is scored, quick tags, the default protocol, from TOML.

The shipped ``resources/clinic.toml`` holds the defaults; a clinic's own
``<user data folder>/clinic.toml`` overrides it key by key (a table's keys merge; a list such as
``quick_tags`` is replaced whole). :func:`load_clinic_settings` reads the files in order and raises
a :class:`ClinicSettingsError` whose message names the file, the line and the setting, like
:class:`kapdesk.domain.protocols.ProtocolError` does, because a clinician fixing a typo in a text
file needs to be told where it is.

:func:`load_clinic_settings_or_defaults` is the start-up variant: it never raises, falls back to the
shipped file (or the built-in defaults) and returns the errors for the window to show. A session
must be able to start even when somebody broke the clinic's file the night before; the error is
said, not swallowed.

Plain Python, no Qt.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kapdesk.domain.alerts import DEFAULT_RULES, AlertRules, AlertRulesError
from kapdesk.domain.dose_limits import DEFAULT_DOSE_LIMITS, DoseLimits, DoseLimitsError
from kapdesk.domain.observations import (
    DEFAULT_QUICK_TAGS,
    ObservationError,
    check_quick_tags,
)
from kapdesk.domain.scales import (
    ALDRETE,
    ALDRETE_DISCHARGE_THRESHOLD,
    CADSS6_ITEM_NUMBERS,
    DissociationMode,
    ScaleDefinition,
    ScaleError,
    dissociation_scale,
)
from kapdesk.domain.rescue import DEFAULT_RESCUE, RescueList, RescueSettingsError, rescue_list_from_settings
from kapdesk.domain.toml_lines import TomlLines, decode_error_line

__all__ = [
    "DEFAULT_OVERDUE_ALERT_AFTER",
    "ClinicSettings",
    "ClinicSettingsError",
    "ServerSettings",
    "clinic_settings_paths",
    "load_clinic_settings",
    "load_clinic_settings_or_defaults",
    "parse_clinic_settings",
    "setting_location",
]

DEFAULT_OVERDUE_ALERT_AFTER = timedelta(minutes=5)
MUSIC_SECTION_CHANGES = ("fade", "after_track")
MAX_OVERDUE_ALERT_AFTER_MINUTES = 60
# [security] idle_lock_minutes: the screen locks after this long without input (issue 10: at most 15).
DEFAULT_IDLE_LOCK_MINUTES = 10
IDLE_LOCK_MINUTES = (1, 15)

# Words accepted for [scales] dissociation, besides the DissociationMode values themselves.
_DISSOCIATION_WORDS: Mapping[str, DissociationMode] = MappingProxyType(
    {
        "cadss6": DissociationMode.CADSS6,
        "cadss-6": DissociationMode.CADSS6,
        "cadss": DissociationMode.CADSS6,
        "rating": DissociationMode.RATING,
        "0-10": DissociationMode.RATING,
        "0–10": DissociationMode.RATING,
        "dissociation_0_10": DissociationMode.RATING,
    }
)

_KNOWN: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "": frozenset({"alerts", "reminders", "scales", "observations", "music", "session", "doses"}),
        "session": frozenset({"default_protocol"}),
        "music": frozenset({"section_change"}),
        "reminders": frozenset({"overdue_alert_after_minutes"}),
        "scales": frozenset({"dissociation", "aldrete_discharge_score", "cadss_labels"}),
        "observations": frozenset({"quick_tags"}),
    }
)
# [rescue]: the clinic's PRN rescue drugs, [[rescue.drugs]] (checked by kapdesk.domain.rescue).
_KNOWN = MappingProxyType({**_KNOWN, "": _KNOWN[""] | {"rescue"}, "rescue": frozenset({"drugs"})})
# [server]: the clinic's PostgreSQL server this room replicates to (kapdesk.sync).
_KNOWN = MappingProxyType({**_KNOWN, "": _KNOWN[""] | {"server"},
                           "server": frozenset({"url", "room", "push_interval_seconds"})})
# [security]: the idle lock (issue 10).
_KNOWN = MappingProxyType({**_KNOWN, "": _KNOWN[""] | {"security"}, "security": frozenset({"idle_lock_minutes"})})
SERVER_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
MAX_PUSH_INTERVAL_SECONDS = 3600


@dataclass(frozen=True)
class ServerSettings:
    """``[server]``: where this room's record is replicated, and under which room name.

    ``room`` marks the events this room sends (``detail["room"]``) and names the second of two
    clients created offline under one label (``"LABEL (Room 2)"``); unset, the laptop's host name."""

    url: str
    room: str | None = None
    push_interval_seconds: int = 10


@dataclass(frozen=True)
class ClinicSettings:
    """What the record pane needs to know about the clinic. Defaults are product.md's numbers."""

    alert_rules: AlertRules = DEFAULT_RULES
    overdue_alert_after: timedelta = DEFAULT_OVERDUE_ALERT_AFTER
    dissociation: DissociationMode = DissociationMode.CADSS6
    cadss_labels: Mapping[int, str] = field(default_factory=dict)
    aldrete_discharge_score: int = ALDRETE_DISCHARGE_THRESHOLD
    quick_tags: tuple[str, ...] = DEFAULT_QUICK_TAGS
    # When a phase change moves the music: "fade" (now, with a fade) or "after_track".
    music_section_change: str = "fade"
    # The protocol id the start screen offers on a record with no sessions yet (None: nothing picked).
    default_protocol: str | None = None
    sources: tuple[Path, ...] = ()  # the files these settings were read from, in order
    rescue: RescueList = DEFAULT_RESCUE  # the PRN rescue drugs ([[rescue.drugs]]): examples, not advice
    # [doses]: per drug and route, typical ranges and hard maximums; per drug, a session maximum.
    dose_limits: DoseLimits = DEFAULT_DOSE_LIMITS
    # [server]: the clinic server this room replicates to; None (the default): none, no socket opened.
    server: ServerSettings | None = None
    # [security] idle_lock_minutes: minutes without keyboard or mouse input before the window locks.
    idle_lock_minutes: int = DEFAULT_IDLE_LOCK_MINUTES

    def dissociation_scale(self) -> ScaleDefinition:
        return dissociation_scale(self.dissociation, item_labels=self.cadss_labels or None)

    def in_session_scales(self) -> tuple[ScaleDefinition, ...]:
        """Display order of the pane's scales: sedation, dissociation, BPRS+, nausea, discharge."""
        from kapdesk.domain.scales import BPRS_PLUS, MOAAS, NAUSEA

        return (MOAAS, self.dissociation_scale(), BPRS_PLUS, NAUSEA, ALDRETE)


class ClinicSettingsError(Exception):
    """A settings file that cannot be used. ``str()`` reads ``file:line: field: what is wrong``."""

    def __init__(self, source: Path, line: int | None, field: str | None, message: str) -> None:
        where = f"{source}:{line}" if line else str(source)
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")
        self.source, self.line, self.field, self.detail = source, line, field, message


def clinic_settings_paths() -> list[Path]:
    """The shipped defaults first, then the clinic's own file (which may not exist)."""
    from kapdesk.paths import data_dir, resources_dir

    return [resources_dir() / "clinic.toml", data_dir() / "clinic.toml"]


def load_clinic_settings(paths: Sequence[Path] | None = None) -> ClinicSettings:
    """Read ``paths`` in order (default :func:`clinic_settings_paths`); missing files are skipped.

    Each file is checked on its own before it is merged, so an error points at the file and line
    that hold the mistake. Raises :class:`ClinicSettingsError`.
    """
    paths = clinic_settings_paths() if paths is None else list(paths)
    merged: dict[str, Any] = {}
    used: list[Path] = []
    last: TomlLines | None = None
    for path in paths:
        if not path.is_file():
            continue
        data = _read(path)
        text = _text_of(path)
        parse_clinic_settings(data, path, text)  # check this file alone, with its own lines
        _merge(merged, data)
        used.append(path)
        last = TomlLines(text)
    # A mistake only the files together make (the clinic's typical range above the shipped
    # maximum) is told at the last file's line for that setting, or its table's header.
    return _build(merged, tuple(used), last)


def load_clinic_settings_or_defaults(
    paths: Sequence[Path] | None = None,
) -> tuple[ClinicSettings, list[ClinicSettingsError]]:
    """Never raises: the settings of every file that loads (in order) and the errors of those that do not.

    A broken clinic file is left out entirely rather than half-applied, so the thresholds in force
    are always those of a file somebody wrote on purpose (or the built-in defaults).
    """
    paths = clinic_settings_paths() if paths is None else list(paths)
    merged: dict[str, Any] = {}
    used: list[Path] = []
    errors: list[ClinicSettingsError] = []
    for path in paths:
        if not path.is_file():
            continue
        try:
            data = _read(path)
            text = _text_of(path)
            parse_clinic_settings(data, path, text)
            trial: dict[str, Any] = _deep_copy(merged)
            _merge(trial, data)
            _build(trial, (*used, path), TomlLines(text))
        except ClinicSettingsError as exc:
            errors.append(exc)
            continue
        merged = trial
        used.append(path)
    return _build(merged, tuple(used), None), errors


def parse_clinic_settings(data: Mapping[str, Any], source: Path, text: str = "") -> ClinicSettings:
    """Settings from one parsed TOML document; ``text`` (the file's text) lets errors name a line."""
    return _build(data, (source,), TomlLines(text))


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _text_of(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ClinicSettingsError(path, None, None, f"cannot be read ({exc})") from exc


def _read(path: Path) -> dict[str, Any]:
    text = _text_of(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ClinicSettingsError(path, decode_error_line(exc), None, f"not valid TOML ({exc})") from exc


def _merge(into: dict[str, Any], data: Mapping[str, Any]) -> None:
    """Tables merge key by key (recursively); anything else, lists included, is replaced."""
    for key, value in data.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = _deep_copy(value) if isinstance(value, Mapping) else value


def _deep_copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}


def _build(data: Mapping[str, Any], sources: tuple[Path, ...], lines: TomlLines | None) -> ClinicSettings:
    source = sources[-1] if sources else Path("clinic.toml")

    def fail(table: str, key: str | None, message: str) -> ClinicSettingsError:
        name = f"{table}.{key}" if table and key else (table or key)
        line = lines.line_of(table, key) if lines is not None else None
        return ClinicSettingsError(source, line, name, message)

    _only_known(data, "", fail)
    for table in ("reminders", "scales", "observations", "alerts", "music", "session", "security"):
        value = data.get(table, {})
        if not isinstance(value, Mapping):
            raise fail("", table, f"must be a [{table}] table")
        if table != "alerts":
            _only_known(value, table, fail)

    try:
        rules = AlertRules.from_mapping(data.get("alerts", {}))
    except AlertRulesError as exc:
        raise fail("alerts", exc.field, exc.message) from None

    reminders = data.get("reminders", {})
    overdue = reminders.get("overdue_alert_after_minutes", int(DEFAULT_OVERDUE_ALERT_AFTER.total_seconds() // 60))
    if isinstance(overdue, bool) or not isinstance(overdue, int) or not 0 <= overdue <= MAX_OVERDUE_ALERT_AFTER_MINUTES:
        raise fail("reminders", "overdue_alert_after_minutes",
                   f"must be a whole number of minutes 0–{MAX_OVERDUE_ALERT_AFTER_MINUTES}, not {overdue!r}")

    scales = data.get("scales", {})
    mode_word = scales.get("dissociation", DissociationMode.CADSS6.value)
    mode = _DISSOCIATION_WORDS.get(mode_word.strip().casefold()) if isinstance(mode_word, str) else None
    if mode is None:
        raise fail("scales", "dissociation", f'must be "cadss6" or "rating" (a single 0–10), not {mode_word!r}')
    aldrete = scales.get("aldrete_discharge_score", ALDRETE_DISCHARGE_THRESHOLD)
    low, high = ALDRETE.total_range
    if isinstance(aldrete, bool) or not isinstance(aldrete, int) or not low < aldrete <= high:
        raise fail("scales", "aldrete_discharge_score", f"must be a whole number {low + 1}–{high}, not {aldrete!r}")
    raw_labels = scales.get("cadss_labels", {})
    if not isinstance(raw_labels, Mapping):
        raise fail("scales", "cadss_labels", "must be a [scales.cadss_labels] table of item number = label")
    labels: dict[int, str] = {}
    for key, text in raw_labels.items():
        number = int(key) if str(key).isdigit() else None
        if number not in CADSS6_ITEM_NUMBERS:
            items = ", ".join(str(n) for n in CADSS6_ITEM_NUMBERS)
            raise ClinicSettingsError(source, lines.line_of("scales.cadss_labels", str(key)) if lines else None,
                                      f"scales.cadss_labels.{key}", f"CADSS-6 has items {items} only")
        if not isinstance(text, str) or not text.strip():
            raise ClinicSettingsError(source, lines.line_of("scales.cadss_labels", str(key)) if lines else None,
                                      f"scales.cadss_labels.{key}", "must be non-empty text")
        labels[number] = text.strip()
    try:
        dissociation_scale(mode, item_labels=labels or None)
    except ScaleError as exc:  # pragma: no cover - the checks above catch what cadss6_scale refuses
        raise fail("scales", "cadss_labels", exc.message) from None

    observations = data.get("observations", {})
    tags = observations.get("quick_tags", list(DEFAULT_QUICK_TAGS))
    try:
        checked = check_quick_tags(tags)
    except ObservationError as exc:
        raise fail("observations", "quick_tags", exc.message) from None

    section_change = data.get("music", {}).get("section_change", "fade")
    if section_change not in MUSIC_SECTION_CHANGES:
        raise fail("music", "section_change", f'must be "fade" or "after_track", not {section_change!r}')

    default_protocol = data.get("session", {}).get("default_protocol")
    if default_protocol is not None and (not isinstance(default_protocol, str)
                                         or not re.fullmatch(r"[a-z0-9][a-z0-9\-]*", default_protocol)):
        raise fail("session", "default_protocol",
                   f'must be a protocol id such as "sublingual" (lower-case letters, digits, hyphens), not {default_protocol!r}')

    rescue = _rescue(data, source, lines, fail)

    idle = data.get("security", {}).get("idle_lock_minutes", DEFAULT_IDLE_LOCK_MINUTES)
    low, high = IDLE_LOCK_MINUTES
    if isinstance(idle, bool) or not isinstance(idle, int) or not low <= idle <= high:
        raise fail("security", "idle_lock_minutes", f"must be a whole number of minutes {low}–{high}, not {idle!r}")

    doses_table = data.get("doses", {})
    if not isinstance(doses_table, Mapping):
        raise fail("", "doses", "must be a [doses] table")
    try:
        dose_limits = DoseLimits.from_mapping(doses_table) if "doses" in data else DEFAULT_DOSE_LIMITS
    except DoseLimitsError as exc:
        line = lines.line_of(exc.table, exc.key) if lines is not None else None
        raise ClinicSettingsError(source, line, f"{exc.table}.{exc.key}" if exc.key else exc.table,
                                  exc.message) from None

    server = _server(data, fail)

    return ClinicSettings(
        server=server,
        rescue=rescue,
        dose_limits=dose_limits,
        default_protocol=default_protocol,
        music_section_change=section_change,
        alert_rules=rules,
        overdue_alert_after=timedelta(minutes=overdue),
        dissociation=mode,
        cadss_labels=MappingProxyType(labels),
        aldrete_discharge_score=aldrete,
        quick_tags=checked,
        sources=sources,
        idle_lock_minutes=idle,
    )


def _rescue(data: Mapping[str, Any], source: Path, lines: TomlLines | None, fail: Any) -> RescueList:
    """The ``[rescue]`` table's PRN list; without one, the shipped list (:data:`DEFAULT_RESCUE`)."""
    table = data.get("rescue", {})
    if not isinstance(table, Mapping):
        raise fail("", "rescue", "must be a [rescue] table")
    _only_known(table, "rescue", fail)
    if "drugs" not in table:
        return DEFAULT_RESCUE
    try:
        return rescue_list_from_settings(table["drugs"])
    except RescueSettingsError as exc:
        if exc.index is None:
            raise fail("rescue", "drugs", exc.message) from None
        line = lines.line_of("rescue.drugs", exc.key, exc.index) if lines is not None else None
        name = f"rescue.drugs[{exc.index + 1}]" + (f".{exc.key}" if exc.key else "")
        raise ClinicSettingsError(source, line, name, exc.message) from None


def _server(data: Mapping[str, Any], fail: Any) -> ServerSettings | None:
    table = data.get("server")
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise fail("", "server", "must be a [server] table")
    _only_known(table, "server", fail)
    url = table.get("url")
    if not isinstance(url, str) or not url.strip().startswith(SERVER_SCHEMES):
        raise fail("server", "url", f'must be the clinic server\'s address, "postgresql://user@host/database", not {url!r}')
    room = table.get("room")
    if room is not None and (not isinstance(room, str) or not room.strip() or len(room.strip()) > 40):
        raise fail("server", "room", f"must be this room's name (1–40 characters), not {room!r}")
    interval = table.get("push_interval_seconds", 10)
    if isinstance(interval, bool) or not isinstance(interval, int) or not 1 <= interval <= MAX_PUSH_INTERVAL_SECONDS:
        raise fail("server", "push_interval_seconds",
                   f"must be a whole number of seconds 1–{MAX_PUSH_INTERVAL_SECONDS}, not {interval!r}")
    return ServerSettings(url.strip(), room.strip() if room else None, interval)


def _only_known(raw: Mapping[str, Any], table: str, fail: Any) -> None:
    allowed = _KNOWN[table]
    for key in raw:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(sorted(allowed))})"
            raise fail(table, str(key), f"unknown setting{hint}")



def setting_location(settings: ClinicSettings, table: str, key: str) -> str:
    """``file:line`` of the file in force that sets ``[table] key`` (the last one read), for a message
    about a value that is well formed but names something that is not there (a protocol not loaded)."""
    for source in reversed(settings.sources):
        try:
            text = _text_of(source)
            data = tomllib.loads(text)
        except (ClinicSettingsError, tomllib.TOMLDecodeError):
            continue
        section = data.get(table)
        if isinstance(section, Mapping) and key in section:
            line = TomlLines(text).line_of(table, key)
            return f"{source}:{line}" if line else str(source)
    return "clinic.toml"
