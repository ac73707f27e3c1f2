"""Protocols as data: the phases of a sitting and its vitals schedule, read from TOML files.

A clinic edits ``resources/protocols/*.toml`` (or its own folder). Every number in them is a
setting; the defaults come from product.md. A broken file never stops the others from loading:
``load_protocols`` returns the good ones and a ``ProtocolError`` for each bad one, whose message
names the file, the line and the field.

Contraindications are screened per protocol. The general ketamine cautions, asked before every
protocol's dose, live once in the shared file ``_general-cautions.toml`` of the protocol folder
(a file whose name starts with ``_`` holds shared tables, not a protocol; a clinic's own folder
may carry its own copy, which replaces the shipped one). Each protocol adds its own items in
``[[contraindications]]`` tables (esketamine: the label's list). A protocol's
:attr:`Protocol.contraindications` is the general list followed by its own, and is stored with
each session's snapshot, so a sitting keeps asking what it asked when it started.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kapdesk.domain.toml_lines import TomlLines, decode_error_line

# A sitting longer than this is not a KAP sitting but a typo (e.g. 1800 for 180).
MAX_PROTOCOL_MINUTES = 12 * 60


@dataclass(frozen=True)
class Phase:
    key: str
    name: str
    minutes: int  # planned length; the clock bends it to what really happens
    music: str = ""  # the playlist section that accompanies this phase
    dose: bool = False  # T0 is marked in this phase


@dataclass(frozen=True)
class VitalsWindow:
    """Readings due every ``every_minutes`` from ``from_minutes`` to ``until_minutes`` after T0."""

    from_minutes: int
    until_minutes: int
    every_minutes: int


@dataclass(frozen=True)
class VitalsSchedule:
    before_dose: bool = True
    windows: tuple[VitalsWindow, ...] = ()
    at_minutes: tuple[int, ...] = ()  # fixed offsets from T0, e.g. T+40 for esketamine
    at_discharge: bool = True

    def offsets_after_dose(self) -> tuple[int, ...]:
        """Every planned reading as minutes after T0, sorted, without duplicates.

        A window's own start is included except at T+0 (the pre-dose reading covers it).
        """
        offsets = set(self.at_minutes)
        for w in self.windows:
            offsets.update(m for m in range(w.from_minutes, w.until_minutes + 1, w.every_minutes) if m > 0)
        return tuple(sorted(offsets))


@dataclass(frozen=True)
class Contraindication:
    """One screening question whose answer "yes" holds the dose (``key`` is stored in the preparation)."""

    key: str
    label: str


# The screen every protocol asked before contraindications became protocol data. A session
# snapshot written then has no list of its own and keeps this one; its stored answers keep
# these labels wherever they are shown.
LEGACY_CONTRAINDICATIONS: tuple[Contraindication, ...] = (
    Contraindication("pregnancy", "Pregnancy"),
    Contraindication("uncontrolled_hypertension", "Uncontrolled high blood pressure"),
    Contraindication("cardiac", "Cardiac condition"),
    Contraindication("substance_misuse", "Active substance misuse"),
)

# The shared file of general cautions in a protocol folder; ``_*.toml`` files are not protocols.
GENERAL_CAUTIONS_FILE = "_general-cautions.toml"


@dataclass(frozen=True)
class Protocol:
    id: str
    name: str
    route: str
    drug: str
    phases: tuple[Phase, ...]
    vitals: VitalsSchedule
    min_observation_minutes: int = 0
    source: Path | None = None
    # The general cautions then the protocol's own (see the module docstring).
    contraindications: tuple[Contraindication, ...] = ()

    @property
    def dose_phase_index(self) -> int:
        return next((i for i, p in enumerate(self.phases) if p.dose), 0)

    @property
    def planned_minutes(self) -> int:
        return sum(p.minutes for p in self.phases)


class ProtocolError(Exception):
    """A protocol file that cannot be used. ``str()`` reads ``file:line: field: what is wrong``."""

    def __init__(self, source: Path, line: int | None, field: str | None, message: str) -> None:
        where = f"{source}:{line}" if line else str(source)
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")
        self.source, self.line, self.field, self.detail = source, line, field, message


def load_protocols(folders: list[Path]) -> tuple[list[Protocol], list[ProtocolError]]:
    """Load every ``*.toml`` in ``folders``; a later folder's protocol replaces an earlier one of the same id.

    The general cautions come first: the last folder with a readable ``_general-cautions.toml``
    supplies them (a broken clinic copy is reported and the earlier list stays in force).
    """
    errors: list[ProtocolError] = []
    general: tuple[Contraindication, ...] = ()
    for folder in folders:
        path = folder / GENERAL_CAUTIONS_FILE
        if path.is_file():
            try:
                general = load_general_cautions(path)
            except ProtocolError as exc:
                errors.append(exc)
    by_id: dict[str, Protocol] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            if path.name.startswith("_"):
                continue  # shared tables, read above
            try:
                protocol = load_protocol(path, general)
            except ProtocolError as exc:
                errors.append(exc)
            else:
                by_id[protocol.id] = protocol
    return list(by_id.values()), errors


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProtocolError(path, None, None, f"cannot be read ({exc})") from exc


def _parse_toml(text: str, source: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = decode_error_line(exc)
        raise ProtocolError(source, line, None, f"not valid TOML ({exc})") from exc


def load_protocol(path: Path, general: tuple[Contraindication, ...] = ()) -> Protocol:
    return parse_protocol(_read_text(path), path, general)


def parse_protocol(text: str, source: Path, general: tuple[Contraindication, ...] = ()) -> Protocol:
    """A protocol from its TOML text; ``general`` is the shared list of cautions it asks first."""
    return _Reader(text, source).protocol(_parse_toml(text, source), general)


def load_general_cautions(path: Path) -> tuple[Contraindication, ...]:
    return parse_general_cautions(_read_text(path), path)


def parse_general_cautions(text: str, source: Path) -> tuple[Contraindication, ...]:
    """The shared ``[[contraindications]]`` list (nothing else may stand in the file)."""
    reader = _Reader(text, source)
    data = _parse_toml(text, source)
    reader.only_keys(data, {"contraindications"}, None)
    return reader.contraindications(data, ())


class _Reader:
    """Turns parsed TOML into a Protocol, pointing every complaint at a line of the file."""

    def __init__(self, text: str, source: Path) -> None:
        self.lines = TomlLines(text)
        self.source = source

    def fail(self, field: str, message: str, table: str | None = None, index: int = 0) -> ProtocolError:
        return ProtocolError(self.source, self.line_of(field, table, index), field, message)

    def line_of(self, field: str, table: str | None, index: int) -> int | None:
        """The line of the field's key inside the ``index``-th ``[table]``/``[[table]]`` (top level if None)."""
        return self.lines.line_of(table, field.rsplit(".", 1)[-1].split("[")[0], index)

    def protocol(self, data: dict[str, Any], general: tuple[Contraindication, ...] = ()) -> Protocol:
        self.only_keys(data, {"id", "name", "route", "drug", "phases", "vitals", "min_observation_minutes",
                              "contraindications"}, None)
        pid = self.text(data, "id", None)
        if not re.fullmatch(r"[a-z0-9][a-z0-9\-]*", pid):
            raise self.fail("id", f"{pid!r} must be lower-case letters, digits and hyphens")
        raw_phases = data.get("phases")
        if not isinstance(raw_phases, list) or not raw_phases:
            raise self.fail("phases", "a protocol needs at least one [[phases]] table")
        phases = tuple(self.phase(raw, i) for i, raw in enumerate(raw_phases))
        keys = [p.key for p in phases]
        duplicate = next((k for k in keys if keys.count(k) > 1), None)
        if duplicate:
            raise self.fail("phases.key", f"phase key {duplicate!r} appears twice", "phases", keys.index(duplicate, keys.index(duplicate) + 1))
        if sum(p.dose for p in phases) > 1:
            raise self.fail("phases.dose", "only one phase can be the dosing phase", "phases", [p.dose for p in phases].index(True, [p.dose for p in phases].index(True) + 1))
        total = sum(p.minutes for p in phases)
        if total > MAX_PROTOCOL_MINUTES:
            raise self.fail("phases.minutes", f"the phases add up to {total} min, more than {MAX_PROTOCOL_MINUTES}", "phases", len(phases) - 1)
        min_obs = self.minutes(data, "min_observation_minutes", None, default=0, allow_zero=True)
        return Protocol(
            id=pid,
            name=self.text(data, "name", None),
            route=self.text(data, "route", None),
            drug=self.text(data, "drug", None),
            phases=phases,
            vitals=self.vitals(data.get("vitals", {})),
            min_observation_minutes=min_obs,
            source=self.source,
            contraindications=general + self.contraindications(data, general),
        )

    def contraindications(self, data: dict[str, Any], general: tuple[Contraindication, ...]) -> tuple[Contraindication, ...]:
        """The ``[[contraindications]]`` tables: each a ``key`` (lower-case words joined by ``_``)
        and a ``label``; a key may appear once, and not again after the general list."""
        raw = data.get("contraindications", [])
        table = "contraindications"
        if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
            raise self.fail(table, "each item must be a [[contraindications]] table with a key and a label")
        taken = {item.key for item in general}
        items: list[Contraindication] = []
        for index, item in enumerate(raw):
            self.only_keys(item, {"key", "label"}, table, index)
            key = self.text(item, "key", table, index)
            if not re.fullmatch(r"[a-z][a-z0-9_]*", key):
                raise self.fail(f"{table}.key", f"{key!r} must be lower-case letters, digits and _", table, index)
            if key in taken:
                where = "in the general cautions" if key in {g.key for g in general} else "twice"
                raise self.fail(f"{table}.key", f"{key!r} appears {where}", table, index)
            taken.add(key)
            items.append(Contraindication(key, self.text(item, "label", table, index)))
        return tuple(items)

    def phase(self, raw: Any, index: int) -> Phase:
        if not isinstance(raw, dict):
            raise self.fail("phases", "each phase must be a [[phases]] table")
        self.only_keys(raw, {"key", "name", "minutes", "music", "dose"}, "phases", index)
        dose = raw.get("dose", False)
        if not isinstance(dose, bool):
            raise self.fail("phases.dose", "must be true or false", "phases", index)
        return Phase(
            key=self.text(raw, "key", "phases", index),
            name=self.text(raw, "name", "phases", index),
            minutes=self.minutes(raw, "minutes", "phases", index),
            music=str(raw.get("music", "")),
            dose=dose,
        )

    def vitals(self, raw: Any) -> VitalsSchedule:
        if not isinstance(raw, dict):
            raise self.fail("vitals", "must be a [vitals] table")
        self.only_keys(raw, {"before_dose", "every_minutes", "until_minutes", "at_minutes", "at_discharge", "windows"}, "vitals")
        windows: list[VitalsWindow] = []
        if "every_minutes" in raw:
            every = self.minutes(raw, "every_minutes", "vitals")
            until = self.minutes(raw, "until_minutes", "vitals", default=MAX_PROTOCOL_MINUTES)
            windows.append(VitalsWindow(0, until, every))
        for i, w in enumerate(raw.get("windows", [])):
            self.only_keys(w, {"from_minutes", "until_minutes", "every_minutes"}, "vitals.windows", i)
            start = self.minutes(w, "from_minutes", "vitals.windows", i, default=0, allow_zero=True)
            until = self.minutes(w, "until_minutes", "vitals.windows", i)
            if until <= start:
                raise self.fail("vitals.windows.until_minutes", f"{until} must be after from_minutes {start}", "vitals.windows", i)
            windows.append(VitalsWindow(start, until, self.minutes(w, "every_minutes", "vitals.windows", i)))
        at = raw.get("at_minutes", [])
        if not isinstance(at, list) or not all(isinstance(m, int) and not isinstance(m, bool) and 0 < m <= MAX_PROTOCOL_MINUTES for m in at):
            raise self.fail("vitals.at_minutes", f"must be a list of whole minutes between 1 and {MAX_PROTOCOL_MINUTES}", "vitals")
        flags = {}
        for name in ("before_dose", "at_discharge"):
            value = raw.get(name, True)
            if not isinstance(value, bool):
                raise self.fail(f"vitals.{name}", "must be true or false", "vitals")
            flags[name] = value
        return VitalsSchedule(windows=tuple(windows), at_minutes=tuple(sorted(set(at))), **flags)

    def only_keys(self, raw: dict[str, Any], allowed: set[str], table: str | None, index: int = 0) -> None:
        unknown = sorted(set(raw) - allowed)
        if unknown:
            prefix = f"{table}." if table else ""
            raise self.fail(prefix + unknown[0], f"unknown setting (known: {', '.join(sorted(allowed))})", table, index)

    def text(self, raw: dict[str, Any], key: str, table: str | None, index: int = 0) -> str:
        value = raw.get(key)
        field = f"{table}.{key}" if table else key
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, "is required and must be non-empty text", table, index)
        return value.strip()

    def minutes(self, raw: dict[str, Any], key: str, table: str | None, index: int = 0, *, default: int | None = None, allow_zero: bool = False) -> int:
        field = f"{table}.{key}" if table else key
        if key not in raw:
            if default is None:
                raise self.fail(field, "is required (whole minutes)", table, index)
            return default
        value = raw[key]
        lowest = 0 if allow_zero else 1
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(field, f"{value!r} is not a whole number of minutes", table, index)
        if not lowest <= value <= MAX_PROTOCOL_MINUTES:
            raise self.fail(field, f"{value} minutes is impossible: use {lowest} to {MAX_PROTOCOL_MINUTES}", table, index)
        return value


def protocol_to_dict(protocol: Protocol) -> dict[str, Any]:
    """A JSON-able snapshot, stored with each session so its plan outlives later edits of the file."""
    return {
        "id": protocol.id,
        "name": protocol.name,
        "route": protocol.route,
        "drug": protocol.drug,
        "min_observation_minutes": protocol.min_observation_minutes,
        "contraindications": [{"key": c.key, "label": c.label} for c in protocol.contraindications],
        "phases": [
            {"key": p.key, "name": p.name, "minutes": p.minutes, "music": p.music, "dose": p.dose}
            for p in protocol.phases
        ],
        "vitals": {
            "before_dose": protocol.vitals.before_dose,
            "at_discharge": protocol.vitals.at_discharge,
            "at_minutes": list(protocol.vitals.at_minutes),
            "windows": [
                {"from_minutes": w.from_minutes, "until_minutes": w.until_minutes, "every_minutes": w.every_minutes}
                for w in protocol.vitals.windows
            ],
        },
    }


def protocol_from_dict(data: dict[str, Any]) -> Protocol:
    vitals = data["vitals"]
    return Protocol(
        id=data["id"],
        name=data["name"],
        route=data["route"],
        drug=data["drug"],
        min_observation_minutes=data.get("min_observation_minutes", 0),
        # A snapshot from before per-protocol contraindications asked the legacy four.
        contraindications=tuple(Contraindication(c["key"], c["label"]) for c in data["contraindications"])
        if "contraindications" in data else LEGACY_CONTRAINDICATIONS,
        phases=tuple(Phase(**p) for p in data["phases"]),
        vitals=VitalsSchedule(
            before_dose=vitals["before_dose"],
            at_discharge=vitals["at_discharge"],
            at_minutes=tuple(vitals["at_minutes"]),
            windows=tuple(VitalsWindow(**w) for w in vitals["windows"]),
        ),
    )
