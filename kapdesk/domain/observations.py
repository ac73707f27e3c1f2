"""Observations as typed in the room, the clinic's quick tags, and the time typed after an entry.

An observation is free text with optional tags and a flag saying the text is the client's own
words (payload ``{"text", "tags", "quote"}``, see :mod:`kapdesk.domain.entries`). The therapist
types it one-handed in a dim room, so the line understands a little shorthand:

* ``#tag`` anywhere adds one of the clinic's quick tags; ``#eye-mask-off`` and ``#eye_mask_off``
  both name "eye mask off", and an unambiguous start is enough (``#cry`` → "crying"). An unknown
  or ambiguous ``#word`` is refused with the span to highlight: a tag silently kept as text
  would never show up when the record is searched by tag.
* Text wrapped in double quotes (``"…"`` or ``“…”``) or started with ``>`` is a client quote.

Tags picked with the keyboard (Alt+1 … Alt+9) arrive as ``tags=`` and the quote key as
``quote=True``; they combine with what the line says.

Every entry line of the record pane may end with a time (``@10:35`` or ``-5m``) for something
that happened a few minutes ago: :func:`split_time_suffix` takes it off the end and
:func:`parse_entry_time` reads a time field. The store, not this module, refuses a time in the
future or before the client arrived, because only it knows the arrival.

Pure Python: no Qt, no I/O; the current time is passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "DEFAULT_QUICK_TAGS",
    "MAX_QUICK_TAGS",
    "MAX_TAG_LENGTH",
    "EntryTimeError",
    "Observation",
    "ObservationError",
    "check_quick_tags",
    "normalize_tag",
    "observation_line",
    "parse_entry_time",
    "parse_observation",
    "split_time_suffix",
]

# The pane gives each tag a key, Alt+1 … Alt+9: more tags than keys would leave some unreachable.
MAX_QUICK_TAGS = 9
MAX_TAG_LENGTH = 40
MAX_TEXT_LENGTH = 4000

DEFAULT_QUICK_TAGS: tuple[str, ...] = (
    "crying",
    "speaking",
    "moving",
    "nausea",
    "bathroom",
    "eye mask off",
    "touch with consent",
    "resting",
)

NOTHING_MESSAGE = "Nothing to save: type what you notice, or pick a tag with Alt+1 … Alt+9"

_OPEN_CLOSE: Mapping[str, str] = {'"': '"', "“": "”", "„": "“", "«": "»"}


class ObservationError(ValueError):
    """An observation (or the clinic's tag list) that cannot be used.

    ``span`` is the ``(start, end)`` range of the offending part of the typed line, ``(0, 0)``
    when there is nothing to point at.
    """

    def __init__(self, message: str, span: tuple[int, int] = (0, 0)) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


class EntryTimeError(ValueError):
    """A time typed after an entry (``@10:35``, ``-5m``) that cannot be read; ``span`` as above."""

    def __init__(self, message: str, span: tuple[int, int] = (0, 0)) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


# --------------------------------------------------------------------------------------------
# Quick tags
# --------------------------------------------------------------------------------------------


def normalize_tag(text: str) -> str:
    """How two spellings of a tag are compared: case-folded, ``-``/``_`` as spaces, spaces collapsed."""
    return " ".join(text.replace("-", " ").replace("_", " ").casefold().split())


def check_quick_tags(tags: object) -> tuple[str, ...]:
    """The clinic's quick-tag list, checked: at most nine non-empty, distinct, printable words.

    Raises :class:`ObservationError`. Tags are kept as the clinic wrote them (trimmed), because
    that is how they are stored with each observation and shown in the record.
    """
    if not isinstance(tags, (list, tuple)):
        raise ObservationError(f"quick tags must be a list of words, not {type(tags).__name__}")
    if len(tags) > MAX_QUICK_TAGS:
        raise ObservationError(
            f"at most {MAX_QUICK_TAGS} quick tags fit the keys Alt+1 … Alt+{MAX_QUICK_TAGS}; this list has {len(tags)}"
        )
    seen: dict[str, str] = {}
    out: list[str] = []
    for number, tag in enumerate(tags, start=1):
        if not isinstance(tag, str) or not tag.strip():
            raise ObservationError(f"quick tag {number} must be non-empty text, not {tag!r}")
        text = " ".join(tag.split())
        if len(text) > MAX_TAG_LENGTH:
            raise ObservationError(f"quick tag {number} ‘{text[:20]}…’ is longer than {MAX_TAG_LENGTH} characters")
        if "#" in text or any(not ch.isprintable() for ch in text):
            raise ObservationError(f"quick tag {number} ‘{text}’ may not contain # or control characters")
        key = normalize_tag(text)
        if key in seen:
            raise ObservationError(f"quick tags {seen[key]!r} and {text!r} are the same tag")
        seen[key] = text
        out.append(text)
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Observations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """One observation as stored: text (may be empty when a tag says it all), tags, quote flag."""

    text: str
    tags: tuple[str, ...] = ()
    quote: bool = False

    def to_payload(self) -> dict[str, Any]:
        return {"text": self.text, "tags": list(self.tags), "quote": self.quote}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Observation:
        """Rebuild a stored observation; missing keys take their empty values."""
        if not isinstance(payload, Mapping):
            raise ObservationError(f"a stored observation must be a mapping, not {type(payload).__name__}")
        text = payload.get("text") or ""
        tags = payload.get("tags") or []
        if not isinstance(text, str) or not isinstance(tags, (list, tuple)) or not all(isinstance(t, str) for t in tags):
            raise ObservationError("a stored observation needs text and a list of tags")
        return cls(text, tuple(tags), bool(payload.get("quote", False)))

    def format(self) -> str:
        """As the record shows it: ``“I feel held”  [crying]``."""
        text = f"“{self.text}”" if self.quote else self.text
        return f"{text}  [{', '.join(self.tags)}]" if self.tags else text


_HASHTAG_RE = re.compile(r"(?<!\S)#(\S*)")


def parse_observation(
    text: str,
    known_tags: Sequence[str] = DEFAULT_QUICK_TAGS,
    *,
    tags: Iterable[str] = (),
    quote: bool = False,
) -> Observation:
    """Read one observation line (without its time suffix; see :func:`split_time_suffix`).

    ``known_tags`` are the clinic's quick tags, which ``#words`` in the line may name; ``tags``
    are those already picked by key (kept even if the clinic has since dropped them, so a
    correction of an old entry does not lose its tags). The result's tags follow the clinic's
    order, then any others in the order given. Whitespace is collapsed. Raises
    :class:`ObservationError` with the span of an unknown tag, or when there is nothing to save.
    """
    if not isinstance(text, str):
        raise ObservationError(f"an observation must be text, not {type(text).__name__}")
    chosen: list[str] = [t for t in tags]
    pieces: list[str] = []
    last = 0
    for match in _HASHTAG_RE.finditer(text):
        chosen.append(_resolve_tag(match.group(1), known_tags, match.span()))
        pieces.append(text[last:match.start()])
        last = match.end()
    pieces.append(text[last:])
    body = " ".join("".join(pieces).split())

    if body.startswith(">"):
        quote, body = True, body[1:].strip()
    elif len(body) >= 2 and body[0] in _OPEN_CLOSE and body.endswith(_OPEN_CLOSE[body[0]]):
        quote, body = True, body[1:-1].strip()

    if len(body) > MAX_TEXT_LENGTH:
        raise ObservationError(f"The observation is {len(body)} characters; at most {MAX_TEXT_LENGTH} fit",
                               (0, len(text)))
    ordered = _order_tags(chosen, known_tags)
    if not body and not ordered:
        raise ObservationError(NOTHING_MESSAGE, (0, len(text)))
    return Observation(body, ordered, quote)


def observation_line(observation: Observation) -> str:
    """The line that :func:`parse_observation` reads back as ``observation`` (tags as ``#words``)."""
    text = f"“{observation.text}”" if observation.quote else observation.text
    hashtags = " ".join("#" + "-".join(tag.split()) for tag in observation.tags)
    return " ".join(part for part in (text, hashtags) if part)


def _resolve_tag(word: str, known: Sequence[str], span: tuple[int, int]) -> str:
    key = normalize_tag(word)
    names = ", ".join(known) if known else "none set"
    if not key:
        raise ObservationError(f"‘#’ needs a tag after it; tags: {names}", span)
    exact = [t for t in known if normalize_tag(t) == key]
    if exact:
        return exact[0]
    starts = [t for t in known if normalize_tag(t).startswith(key)]
    if len(starts) == 1:
        return starts[0]
    shown = word if len(word) <= 24 else word[:23] + "…"
    if starts:
        raise ObservationError(f"‘#{shown}’ could be {' or '.join(starts)}: type more of it", span)
    raise ObservationError(f"Unknown tag ‘#{shown}’; tags: {names}", span)


def _order_tags(chosen: Iterable[str], known: Sequence[str]) -> tuple[str, ...]:
    by_key: dict[str, str] = {}
    for tag in chosen:
        clean = " ".join(tag.split())
        if clean:
            by_key.setdefault(normalize_tag(clean), clean)
    order = {normalize_tag(t): i for i, t in enumerate(known)}
    keys = sorted(by_key, key=lambda k: (order.get(k, len(order)), list(by_key).index(k)))
    return tuple(by_key[k] for k in keys)


# --------------------------------------------------------------------------------------------
# Times typed after an entry
# --------------------------------------------------------------------------------------------

_AT_RE = re.compile(r"@\s*(?P<h>\d{1,2})[:.hH](?P<m>\d{2})")
_AGO_RE = re.compile(r"-\s*(?P<n>\d{1,4})\s*(?:m|min|mins|minute|minutes)\.?", re.IGNORECASE)
# The last word of a line, when it looks like an attempt at a time.
_SUFFIX_RE = re.compile(
    r"(?:^|(?<=\s))(?P<tok>@\s*\d\S*|-\s*\d{1,4}\s*(?:m|min|mins|minute|minutes)\.?)\s*\Z", re.IGNORECASE
)

TIME_HINT = "write @10:35 (24-hour) or -5m for five minutes ago"


def split_time_suffix(text: str, now: datetime) -> tuple[str, datetime | None]:
    """Take a trailing ``@HH:MM`` or ``-Nm`` off ``text``: ``(the rest, the time in UTC or None)``.

    ``@10:35`` is that time today on the laptop's local clock; ``-5m`` / ``-5 min`` is five
    minutes before ``now``. Only the end of the line is looked at, so the spans of errors in the
    rest of the line stay valid for highlighting. Raises :class:`EntryTimeError`.
    """
    match = _SUFFIX_RE.search(text)
    if match is None:
        return text, None
    start, end = match.span("tok")
    return text[:start].rstrip(), _read_time(match.group("tok"), now, (start, end))


def parse_entry_time(text: str, now: datetime) -> datetime | None:
    """A form's time field: empty means now (``None``); else ``10:35``, ``@10:35`` or ``-5m``."""
    stripped = text.strip()
    if not stripped:
        return None
    start = len(text) - len(text.lstrip())
    span = (start, start + len(stripped))
    token = stripped if stripped[0] in "@-" else "@" + stripped
    try:
        return _read_time(token, now, span)
    except EntryTimeError:
        shown = stripped if len(stripped) <= 12 else stripped[:11] + "…"
        raise EntryTimeError(f"‘{shown}’ is not a time: write 10:35 (24-hour) or -5m for five minutes ago",
                             span) from None


def _read_time(token: str, now: datetime, span: tuple[int, int]) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    token = token.strip()
    at = _AT_RE.fullmatch(token)
    if at is not None:
        hour, minute = int(at.group("h")), int(at.group("m"))
        if hour > 23 or minute > 59:
            raise EntryTimeError(f"‘{token}’ is not a time of day: {TIME_HINT}", span)
        local = now.astimezone()
        return local.replace(hour=hour, minute=minute, second=0, microsecond=0).astimezone(timezone.utc)
    ago = _AGO_RE.fullmatch(token)
    if ago is not None:
        return (now - timedelta(minutes=int(ago.group("n")))).astimezone(timezone.utc)
    shown = token if len(token) <= 12 else token[:11] + "…"
    raise EntryTimeError(f"‘{shown}’ is not a time: {TIME_HINT}", span)
