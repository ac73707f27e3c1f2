"""The vitals entry line: what it accepts, what it refuses, and that it never crashes.

The property tests are the heart of this module: whatever is typed (random text, or strings
built from the grammar with random numbers, labels and separators), ``parse_vitals`` either
returns a plausible reading or raises ``VitalsError`` with a message and a span inside the text.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from kapdesk.domain.vitals import (
    EMPTY_MESSAGE,
    FIELD_ORDER,
    VITAL_BOUNDS,
    VitalsError,
    VitalsReading,
    parse_vitals,
    validate_field,
)

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def assert_plausible(reading: VitalsReading) -> None:
    """The contract every accepted reading meets."""
    assert isinstance(reading, VitalsReading)
    present = [name for name in FIELD_ORDER if getattr(reading, name) is not None]
    assert present, "a reading holds at least one value"
    for name in present:
        value = getattr(reading, name)
        bound = VITAL_BOUNDS[name]
        assert bound.low <= value <= bound.high, (name, value)
        if bound.integer:
            assert type(value) is int, (name, value)
    if reading.diastolic is not None:
        assert reading.systolic is not None
        assert reading.diastolic < reading.systolic


def parse_or_error(text: str) -> VitalsReading | VitalsError:
    try:
        reading = parse_vitals(text)
    except VitalsError as err:
        assert str(err).strip(), f"empty message for {text!r}"
        start, end = err.span
        assert 0 <= start <= end <= len(text), (text, err.span)
        assert err.field is None or err.field in FIELD_ORDER
        return err
    assert_plausible(reading)
    return reading


def error_for(text: str) -> VitalsError:
    with pytest.raises(VitalsError) as info:
        parse_vitals(text)
    return info.value


def highlighted(text: str, err: VitalsError) -> str:
    return text[err.span[0] : err.span[1]]


# --------------------------------------------------------------------------------------------
# Property tests
# --------------------------------------------------------------------------------------------


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
@example("")
@example("   \t\n")
@example("9" * 5000)  # longer than Python's int-from-string limit
@example("t " + "9" * 400 + ".5")  # a float that overflows to inf
@example("t 1" + "0" * 400 + "F")
@example("٧٢")  # Arabic-Indic digits: str.isdigit() is True, our grammar says no
@example("hr ²")
@example("İ")  # casefold changes the length
@example("128/84\x00")
def test_any_text_reads_or_fails_cleanly(text: str) -> None:
    parse_or_error(text)


LABELS = [
    "bp", "BP", "Bp", "sys", "SYS", "systolic", "sbp", "dia", "diastolic", "dbp", "hr", "HR",
    "pulse", "Pulse", "spo2", "SpO2", "SpO₂", "o2", "O2", "sat", "sats", "rr", "RR", "resp",
    "t", "T", "temp", "Temp", "bogus", "x",
]
UNITS = ["mmHg", "mmhg", "bpm", "%", "/min", "/ min", "C", "c", "°C", "° C", "°", "F", "°F", "º", ""]
SEPARATORS = [" ", "  ", ",", ", ", ";", "\t", "=", ":", " = ", "/", ""]


@st.composite
def numbers(draw: st.DrawFn) -> str:
    whole = draw(st.integers(min_value=0, max_value=400))
    kind = draw(st.sampled_from(["int", "dot", "comma", "zero-padded"]))
    if kind == "int":
        return str(whole)
    if kind == "zero-padded":
        return f"{whole:05d}"
    frac = draw(st.integers(min_value=0, max_value=99))
    return f"{whole}{'.' if kind == 'dot' else ','}{frac}"


@st.composite
def near_valid_lines(draw: st.DrawFn) -> str:
    """Lines assembled from the grammar's own pieces, mostly but not always well formed."""
    pieces: list[str] = []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        choice = draw(st.sampled_from(["label-value", "value", "fraction", "label", "unit", "junk"]))
        if choice == "label-value":
            value = draw(st.one_of(numbers(), st.builds(lambda a, b: f"{a}/{b}", numbers(), numbers())))
            pieces.append(
                draw(st.sampled_from(LABELS)) + draw(st.sampled_from(["", "=", ":", " "])) + " " + value
                + draw(st.sampled_from(UNITS))
            )
        elif choice == "value":
            pieces.append(draw(numbers()) + draw(st.sampled_from(UNITS)))
        elif choice == "fraction":
            pieces.append(f"{draw(numbers())}{draw(st.sampled_from(['/', ' / ', '/ ']))}{draw(numbers())}"
                          + draw(st.sampled_from(UNITS)))
        elif choice == "label":
            pieces.append(draw(st.sampled_from(LABELS)))
        elif choice == "unit":
            pieces.append(draw(st.sampled_from(UNITS)))
        else:
            pieces.append(draw(st.text(alphabet="-+.*#@!?()[]x9 ", min_size=1, max_size=3)))
    out = pieces[0]
    for piece in pieces[1:]:
        out += draw(st.sampled_from(SEPARATORS)) + piece
    return out


@settings(max_examples=3000, suppress_health_check=[HealthCheck.too_slow])
@given(near_valid_lines())
def test_grammar_built_lines_read_or_fail_cleanly(text: str) -> None:
    parse_or_error(text)


@st.composite
def plausible_lines(draw: st.DrawFn) -> str:
    """Readings written the way people write them, with numbers near and across the bounds."""
    def near(name: str) -> str:
        bound = VITAL_BOUNDS[name]
        if bound.integer:
            return str(draw(st.integers(int(bound.low) - 3, int(bound.high) + 3)))
        tenths = draw(st.integers(int(bound.low * 10) - 5, int(bound.high * 10) + 5))
        text = f"{tenths / 10:.1f}"
        return text.replace(".", ",") if draw(st.booleans()) else text

    positional = draw(st.booleans())
    parts: list[str] = []
    if positional:
        parts.append(f"{near('systolic')}/{near('diastolic')}" + draw(st.sampled_from(["", "mmHg", " mmHg"])))
        for name, unit in (("heart_rate", "bpm"), ("spo2", "%"), ("resp_rate", "/min"), ("temperature_c", "C")):
            if draw(st.integers(0, 4)) == 0:
                break
            parts.append(near(name) + draw(st.sampled_from(["", unit, " " + unit])))
    else:
        names = draw(st.lists(st.sampled_from(["bp", "sys", "dia", "hr", "spo2", "rr", "t"]), min_size=1, max_size=7))
        for label in names:
            value = {
                "bp": lambda: f"{near('systolic')}/{near('diastolic')}",
                "sys": lambda: near("systolic"),
                "dia": lambda: near("diastolic"),
                "hr": lambda: near("heart_rate"),
                "spo2": lambda: near("spo2"),
                "rr": lambda: near("resp_rate"),
                "t": lambda: near("temperature_c"),
            }[label]()
            parts.append(label + draw(st.sampled_from([" ", "=", ": "])) + value)
    return draw(st.sampled_from([" ", "  ", ", "])).join(parts)


@st.composite
def mutated_lines(draw: st.DrawFn) -> str:
    """A plausible line with a few keystrokes gone wrong (inserted, dropped or changed)."""
    text = draw(plausible_lines())
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(st.sampled_from(list("0123456789/.,% =:-abchrtFC°")))
        if op == "insert":
            text = text[:pos] + char + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + 1 :]
        else:
            text = text[:pos] + char + text[pos + 1 :]
    return text


@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(plausible_lines(), mutated_lines()))
def test_plausible_and_mistyped_lines_read_or_fail_cleanly(text: str) -> None:
    parse_or_error(text)


@st.composite
def plausible_readings(draw: st.DrawFn, with_bp: bool = False) -> VitalsReading:
    """Any plausible reading; ``with_bp`` always has both blood pressures (drawn, not filtered,
    so Hypothesis does not throw most examples away)."""
    values: dict[str, int | float | None] = {}
    for name in FIELD_ORDER:
        bound = VITAL_BOUNDS[name]
        if name == "systolic" and with_bp:
            values[name] = draw(st.integers(max(int(bound.low), int(VITAL_BOUNDS["diastolic"].low) + 1), int(bound.high)))
        elif name == "diastolic":
            sys_ = values["systolic"]
            if sys_ is None or sys_ <= bound.low or not (with_bp or draw(st.booleans())):
                values[name] = None
            else:
                values[name] = draw(st.integers(int(bound.low), min(int(bound.high), int(sys_) - 1)))
        elif bound.integer:
            values[name] = draw(st.none() | st.integers(int(bound.low), int(bound.high)))
        else:
            tenths = draw(st.none() | st.integers(int(bound.low * 10), int(bound.high * 10)))
            values[name] = None if tenths is None else tenths / 10
    assume(any(v is not None for v in values.values()))
    return VitalsReading(**values)  # type: ignore[arg-type]


def labelled_text(reading: VitalsReading, draw: st.DrawFn) -> str:
    aliases = {
        "heart_rate": ["hr", "HR", "pulse"],
        "spo2": ["spo2", "SpO2", "o2", "sat"],
        "resp_rate": ["rr", "resp", "RR"],
        "temperature_c": ["t", "temp", "T"],
    }
    parts = []
    if reading.systolic is not None:
        if reading.diastolic is not None:
            parts.append(draw(st.sampled_from([f"bp {reading.systolic}/{reading.diastolic}",
                                               f"sys {reading.systolic} dia {reading.diastolic}",
                                               f"BP={reading.systolic}/{reading.diastolic}mmHg"])))
        else:
            parts.append(f"sys {reading.systolic}")
    for name, names in aliases.items():
        value = getattr(reading, name)
        if value is None:
            continue
        sep = draw(st.sampled_from([" ", "=", ": ", ":"]))
        shown = str(value)
        if name == "temperature_c" and draw(st.booleans()):
            shown = shown.replace(".", ",")
        parts.append(f"{draw(st.sampled_from(names))}{sep}{shown}")
    order = draw(st.permutations(parts))
    return draw(st.sampled_from([" ", "  ", ", "])).join(order)


@settings(max_examples=500)
@given(st.data(), plausible_readings())
def test_labelled_rendering_round_trips(data: st.DataObject, reading: VitalsReading) -> None:
    text = labelled_text(reading, data.draw)
    assert parse_vitals(text) == reading


@settings(max_examples=300)
@given(plausible_readings(with_bp=True))
def test_positional_rendering_round_trips(reading: VitalsReading) -> None:
    values = [f"{reading.systolic}/{reading.diastolic}"]
    for name in ("heart_rate", "spo2", "resp_rate", "temperature_c"):
        value = getattr(reading, name)
        if value is None:
            break  # the quick form only allows leaving off trailing values
        values.append(str(value))
    parsed = parse_vitals(" ".join(values))
    assert parsed.systolic == reading.systolic and parsed.diastolic == reading.diastolic
    for name, text in zip(("heart_rate", "spo2", "resp_rate", "temperature_c"), values[1:]):
        assert getattr(parsed, name) == getattr(reading, name), text


@given(plausible_readings())
def test_payload_round_trips(reading: VitalsReading) -> None:
    payload = reading.to_payload()
    assert set(payload) == {"systolic", "diastolic", "hr", "spo2", "rr", "temp_c"}
    assert VitalsReading.from_payload(payload) == reading


# --------------------------------------------------------------------------------------------
# Accepted forms
# --------------------------------------------------------------------------------------------


def test_positional_quick_form() -> None:
    assert parse_vitals("128/84 72 98 14") == VitalsReading(128, 84, 72, 98, 14)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("128/84", VitalsReading(128, 84)),
        ("128/84 72", VitalsReading(128, 84, heart_rate=72)),
        ("128/84 72 98", VitalsReading(128, 84, heart_rate=72, spo2=98)),
        ("128/84 72 98 14 36.8", VitalsReading(128, 84, 72, 98, 14, 36.8)),
        ("  128 / 84   72  ", VitalsReading(128, 84, heart_rate=72)),
        ("128/84, 72, 98, 14", VitalsReading(128, 84, 72, 98, 14)),
    ],
)
def test_trailing_positional_values_are_optional(text: str, expected: VitalsReading) -> None:
    assert parse_vitals(text) == expected


def test_labelled_form_in_any_order_and_case() -> None:
    expected = VitalsReading(128, 84, 72, 98, 14, 36.8)
    assert parse_vitals("bp 128/84 hr 72 spo2 98 rr 14 t 36.8") == expected
    assert parse_vitals("T 36.8 RR 14 SpO2 98 HR 72 BP 128/84") == expected
    assert parse_vitals("temp 36.8 resp 14 sat 98 pulse 72 sys 128 dia 84") == expected
    assert parse_vitals("o2 98 Pulse 72 DIA 84 SYS 128 rr 14 t 36.8") == expected


@pytest.mark.parametrize("text", ["hr=72", "hr:72", "hr = 72", "hr: 72", "HR=72bpm", "pulse 72 bpm", "hr 72/min"])
def test_label_separators_and_units(text: str) -> None:
    assert parse_vitals(text) == VitalsReading(heart_rate=72)


def test_units_after_numbers() -> None:
    assert parse_vitals("128/84mmHg 72bpm 98% 14/min 36.8°C") == VitalsReading(128, 84, 72, 98, 14, 36.8)
    assert parse_vitals("128/84 mmHg 72 bpm 98 % 14 /min 36.8 C") == VitalsReading(128, 84, 72, 98, 14, 36.8)


def test_decimal_comma_for_temperature() -> None:
    assert parse_vitals("t 36,8").temperature_c == pytest.approx(36.8)
    assert parse_vitals("temp 37,25 C").temperature_c == pytest.approx(37.25)


@pytest.mark.parametrize("text, celsius", [("t 98.6F", 37.0), ("t 98.6 °F", 37.0), ("temp 100,4f", 38.0), ("t 96.8 F", 36.0)])
def test_fahrenheit_is_converted(text: str, celsius: float) -> None:
    assert parse_vitals(text).temperature_c == pytest.approx(celsius)


def test_unit_only_vital_routes_unlabelled_value() -> None:
    # % can only be SpO₂ and °C only temperature, so the client's heart rate may be left out.
    assert parse_vitals("128/84 98% 36.8C") == VitalsReading(128, 84, spo2=98, temperature_c=36.8)
    # /min after a heart rate is the respiratory rate …
    assert parse_vitals("128/84 72 14/min") == VitalsReading(128, 84, heart_rate=72, resp_rate=14)
    # … and before one, a pulse.
    assert parse_vitals("128/84 72/min") == VitalsReading(128, 84, heart_rate=72)


def test_unlabelled_value_follows_previous_label() -> None:
    assert parse_vitals("hr 72 98 14") == VitalsReading(heart_rate=72, spo2=98, resp_rate=14)
    assert parse_vitals("sys 128 84") == VitalsReading(128, 84)
    assert parse_vitals("bp 128/84 72") == VitalsReading(128, 84, heart_rate=72)


def test_systolic_alone_is_a_palpated_bp() -> None:
    assert parse_vitals("sys 90") == VitalsReading(systolic=90)
    assert parse_vitals("sys 90").format() == "90/–"


def test_leading_zeros_are_harmless() -> None:
    assert parse_vitals("hr 072") == VitalsReading(heart_rate=72)


# --------------------------------------------------------------------------------------------
# Bounds, edge by edge
# --------------------------------------------------------------------------------------------

LABEL_FOR = {"systolic": "sys", "diastolic": "dia", "heart_rate": "hr", "spo2": "spo2", "resp_rate": "rr",
             "temperature_c": "t"}


def line_for(name: str, value: str) -> str:
    # diastolic needs a systolic above it; pair it with the highest systolic there is
    if name == "diastolic":
        return f"sys 300 dia {value}"
    return f"{LABEL_FOR[name]} {value}"


@pytest.mark.parametrize("name", [n for n in FIELD_ORDER])
def test_bounds_are_inclusive(name: str) -> None:
    bound = VITAL_BOUNDS[name]
    for edge in (bound.low, bound.high):
        text = str(int(edge)) if bound.integer else str(float(edge))
        assert getattr(parse_vitals(line_for(name, text)), name) == edge
        assert validate_field(name, text) == edge


@pytest.mark.parametrize(
    "name, outside",
    [
        ("systolic", "39"), ("systolic", "301"),
        ("diastolic", "19"), ("diastolic", "201"),
        ("heart_rate", "19"), ("heart_rate", "251"),
        ("spo2", "101"),
        ("resp_rate", "61"),
        ("temperature_c", "29.9"), ("temperature_c", "43.1"),
    ],
)
def test_just_outside_bounds_is_refused_naming_the_vital(name: str, outside: str) -> None:
    text = line_for(name, outside)
    err = error_for(text)
    bound = VITAL_BOUNDS[name]
    assert err.field == name
    assert str(err) == f"{bound.label} {outside} is outside {bound.describe_range()}"
    assert highlighted(text, err) == outside
    with pytest.raises(VitalsError) as info:
        validate_field(name, outside)
    assert info.value.field == name


def test_range_wording() -> None:
    assert str(error_for("hr 300")) == "Heart rate 300 is outside 20–250 bpm"
    assert str(error_for("spo2 101")) == "SpO₂ 101 is outside 0–100%"
    assert str(error_for("rr 61")) == "Respiratory rate 61 is outside 0–60 /min"


def test_critical_values_can_be_recorded() -> None:
    """Issue 9: the worst moment of a sitting goes into its record (the alerts answer it)."""
    apnoea = parse_vitals("128/84 72 98 0")
    assert apnoea.resp_rate == 0 and apnoea.format() == "128/84  HR 72  SpO₂ 98%  RR 0 (apnoea)"
    assert parse_vitals("rr 0").resp_rate == 0 and parse_vitals("rr 3").resp_rate == 3
    assert parse_vitals("spo2 50").spo2 == 50 and parse_vitals("spo2 49").spo2 == 49
    assert parse_vitals("hr 20").heart_rate == 20 and parse_vitals("hr 250").heart_rate == 250
    assert parse_vitals("300/20").diastolic == 20  # kept; the pulse-pressure alert asks to check it
    assert validate_field("rr", "0") == 0 and validate_field("spo2", "49%") == 49
    assert str(error_for("128/10")) == "Diastolic 10 is outside 20–200 mmHg"


def test_diastolic_must_be_strictly_below_systolic() -> None:
    assert parse_vitals("120/119") == VitalsReading(120, 119)
    err = error_for("120/120")
    assert err.field == "diastolic"
    assert str(err).startswith("Diastolic 120 must be below systolic 120")
    err = error_for("84/128")  # typed the wrong way round
    assert "must be below systolic 84" in str(err)
    assert highlighted("84/128", err) == "84/128"
    err = error_for("dia 90 hr 60 sys 85")
    assert highlighted("dia 90 hr 60 sys 85", err) == "dia 90 hr 60 sys 85"[4:]  # from 90 to 85


def test_diastolic_alone_is_refused() -> None:
    err = error_for("dia 80")
    assert err.field == "diastolic"
    assert "needs its systolic" in str(err)


@pytest.mark.parametrize("text, field", [("hr 72.5", "heart_rate"), ("spo2 97,5", "spo2"), ("128.5/84", "systolic"),
                                         ("rr 14.0", "resp_rate")])
def test_integers_required_for_bp_hr_spo2_rr(text: str, field: str) -> None:
    err = error_for(text)
    assert err.field == field
    assert "must be a whole number" in str(err)


def test_comma_between_values_without_space_gets_a_hint() -> None:
    err = error_for("128/84,72")
    assert "separate values with a space" in str(err)


def test_temperature_without_f_is_not_guessed() -> None:
    err = error_for("t 98.6")
    assert str(err) == "Temperature 98.6 is outside 30–43 °C; for Fahrenheit write 98.6F"
    err = error_for("t 120F")
    assert str(err) == "Temperature 120 °F (48.9 °C) is outside 30–43 °C"


# --------------------------------------------------------------------------------------------
# Refusals and their messages
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\t\n  ", ", ,"])
def test_empty_input(text: str) -> None:
    err = error_for(text)
    assert str(err) == EMPTY_MESSAGE == "Nothing to save: type a reading such as 128/84 72 98 14"
    assert err.field is None


def test_unknown_word_is_named_and_highlighted() -> None:
    text = "bp 128/84 heartrate 72"
    err = error_for(text)
    assert "‘heartrate’" in str(err)
    assert highlighted(text, err) == "heartrate"
    assert err.field is None


@pytest.mark.parametrize(
    "text, first, second",
    [("hr 72 pulse 80", "72", "80"), ("128/84 72 98 14 spo2 97", "98", "97"), ("bp 128/84 sys 130", "128", "130"),
     ("128/84 72 98 14 99%", "98", "99")],
)
def test_duplicates_are_refused(text: str, first: str, second: str) -> None:
    err = error_for(text)
    assert "given twice" in str(err)
    assert f"({first} and {second})" in str(err)


def test_label_without_value() -> None:
    err = error_for("bp 128/84 hr")
    assert str(err) == "‘hr’ needs a number after it, e.g. hr 72"
    assert err.field == "heart_rate"
    assert highlighted("bp 128/84 hr", err) == "hr"
    assert "needs a number after it" in str(error_for("hr spo2 98"))


def test_bp_label_needs_both_numbers() -> None:
    err = error_for("bp 128")
    assert "systolic/diastolic" in str(err)
    assert "needs the diastolic" in str(error_for("128/"))


def test_single_value_labels_refuse_a_fraction() -> None:
    assert str(error_for("hr 72/80")) == "Heart rate takes one number, not 72/80"


def test_bare_number_at_the_start_is_ambiguous() -> None:
    err = error_for("72")
    assert "Cannot tell which vital 72 is" in str(err)
    assert "hr 72" in str(err)


def test_too_many_positional_values() -> None:
    text = "128/84 72 98 14 36.8 12"
    err = error_for(text)
    assert "nothing comes after the temperature" in str(err)
    assert highlighted(text, err) == "12"


@pytest.mark.parametrize(
    "text, unit",
    [("hr 98%", "%"), ("spo2 98 bpm", "bpm"), ("t 36.8 mmHg", "mmHg"), ("bp 128/84 %", "%"), ("rr 14 bpm", "bpm")],
)
def test_unit_that_does_not_fit_the_vital(text: str, unit: str) -> None:
    err = error_for(text)
    assert f"‘{unit}’ is not a unit for" in str(err)
    assert highlighted(text, err) == unit


@pytest.mark.parametrize("text, bad", [("bpm", "bpm"), ("% 98", "%"), ("= 72", "="), ("/ 84", "/"), ("-5", "-"),
                                       ("128/84 !", "!")])
def test_stray_symbols(text: str, bad: str) -> None:
    err = error_for(text)
    assert highlighted(text, err) == bad


def test_huge_numbers_are_range_errors_not_crashes() -> None:
    err = error_for("hr " + "9" * 5000)
    assert err.field == "heart_rate"
    assert "…" in str(err)  # the message stays short
    assert len(str(err)) < 120


def test_non_text_input() -> None:
    with pytest.raises(VitalsError):
        parse_vitals(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# The reading itself
# --------------------------------------------------------------------------------------------


def test_format() -> None:
    assert VitalsReading(128, 84, 72, 98, 14, 36.8).format() == "128/84  HR 72  SpO₂ 98%  RR 14  36.8 °C"
    assert VitalsReading(heart_rate=60, temperature_c=37).format() == "HR 60  37.0 °C"


def test_payload_keys_and_values() -> None:
    reading = VitalsReading(128, 84, 72, 98, 14, 36.8)
    assert reading.to_payload() == {"systolic": 128, "diastolic": 84, "hr": 72, "spo2": 98, "rr": 14, "temp_c": 36.8}
    assert VitalsReading(heart_rate=60).to_payload()["systolic"] is None


def test_from_payload_tolerates_missing_unknown_and_float_whole_numbers() -> None:
    assert VitalsReading.from_payload({"hr": 72.0, "future_key": "x"}) == VitalsReading(heart_rate=72)
    assert VitalsReading.from_payload({"temp_c": 37}).temperature_c == 37.0


@pytest.mark.parametrize(
    "payload",
    [{}, {"hr": 300}, {"hr": 72.5}, {"hr": "72"}, {"hr": True}, {"diastolic": 80}, {"systolic": 80, "diastolic": 90},
     {"temp_c": float("nan")}, {"temp_c": float("inf")}],
)
def test_from_payload_rejects_implausible_data(payload: dict) -> None:
    with pytest.raises(VitalsError):
        VitalsReading.from_payload(payload)


def test_from_payload_rejects_non_mapping() -> None:
    with pytest.raises(VitalsError):
        VitalsReading.from_payload([1, 2])  # type: ignore[arg-type]


def test_constructor_enforces_the_same_rules() -> None:
    with pytest.raises(VitalsError, match="Nothing to save"):
        VitalsReading()
    with pytest.raises(VitalsError, match="whole number"):
        VitalsReading(heart_rate=72.0)  # type: ignore[arg-type]
    with pytest.raises(VitalsError, match="outside"):
        VitalsReading(spo2=101)


# --------------------------------------------------------------------------------------------
# One field at a time (a form with separate fields)
# --------------------------------------------------------------------------------------------


def test_validate_field_accepts_units_aliases_and_blank() -> None:
    assert validate_field("heart_rate", "72") == 72
    assert validate_field("hr", " 72 bpm ") == 72
    assert validate_field("spo2", "98%") == 98
    assert validate_field("temp_c", "36,8") == pytest.approx(36.8)
    assert validate_field("temperature_c", "98.6F") == pytest.approx(37.0)
    assert validate_field("rr", "") is None
    assert validate_field("rr", "   ") is None


@pytest.mark.parametrize(
    "name, text, fragment",
    [
        ("hr", "abc", "Heart rate needs a number"),
        ("hr", "72 80", "Only one heart rate value fits here"),
        ("systolic", "128/84", "Type only the systolic here"),
        ("spo2", "98 bpm", "not a unit for SpO₂"),
        ("hr", "72.5", "whole number"),
        ("hr", "-72", "Unexpected character"),
        ("hr", ",,", "needs a number"),
    ],
)
def test_validate_field_errors(name: str, text: str, fragment: str) -> None:
    with pytest.raises(VitalsError) as info:
        validate_field(name, text)
    assert fragment in str(info.value)
    assert info.value.field in FIELD_ORDER
    start, end = info.value.span
    assert 0 <= start < end <= len(text)


def test_validate_field_unknown_name_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="Unknown vital field"):
        validate_field("bmi", "22")


@settings(max_examples=500)
@given(st.sampled_from(list(FIELD_ORDER)), st.text(max_size=20))
def test_validate_field_never_crashes(name: str, text: str) -> None:
    try:
        value = validate_field(name, text)
    except VitalsError as err:
        assert str(err)
        assert err.field == name
        assert 0 <= err.span[0] <= err.span[1] <= len(text)
    else:
        if value is not None:
            assert VITAL_BOUNDS[name].contains(value)


def test_vital_bounds_are_the_documented_ones() -> None:
    expected = {
        "systolic": (40, 300), "diastolic": (20, 200), "heart_rate": (20, 250), "spo2": (0, 100),
        "resp_rate": (0, 60), "temperature_c": (30, 43),
    }
    assert {k: (b.low, b.high) for k, b in VITAL_BOUNDS.items()} == expected
    assert not VITAL_BOUNDS["temperature_c"].integer
    assert all(VITAL_BOUNDS[k].integer for k in expected if k != "temperature_c")
    with pytest.raises(TypeError):
        VITAL_BOUNDS["spo2"] = VITAL_BOUNDS["spo2"]  # type: ignore[index]
