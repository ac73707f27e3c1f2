from pathlib import Path

import pytest

from kapdesk.domain.protocols import (
    ProtocolError, load_protocols, parse_protocol, protocol_from_dict, protocol_to_dict,
)
from kapdesk.paths import resources_dir

GOOD = """\
id = "test-route"
name = "Test route"
route = "sublingual"
drug = "ketamine"

[[phases]]
key = "arrival"
name = "Arrival"
minutes = 10

[[phases]]
key = "dosing"
name = "Dosing"
minutes = 15
dose = true

[vitals]
every_minutes = 15
until_minutes = 60
"""


def test_shipped_protocols_cover_the_four_routes(protocols):
    assert set(protocols) == {"sublingual", "intramuscular", "iv-infusion", "esketamine"}
    assert protocols["sublingual"].planned_minutes == 180
    assert protocols["esketamine"].vitals.offsets_after_dose()[0] == 40
    assert protocols["esketamine"].min_observation_minutes == 120
    # IV: every 10 min during the 40-minute infusion, then every 15.
    assert protocols["iv-infusion"].vitals.offsets_after_dose()[:6] == (10, 20, 30, 40, 55, 70)


def test_snapshot_round_trips(protocols):
    for protocol in protocols.values():
        again = protocol_from_dict(protocol_to_dict(protocol))
        assert again == protocol.__class__(**{**protocol.__dict__, "source": None})


def test_syntax_error_names_file_and_line(tmp_path):
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(GOOD.replace('minutes = 15\ndose', 'minutes = = 15\ndose'), tmp_path / "bad.toml")
    assert caught.value.line == 14
    assert "bad.toml:14" in str(caught.value)


@pytest.mark.parametrize(
    ("edit", "field", "line", "words"),
    [
        (("minutes = 15\ndose", "minutes = -5\ndose"), "phases.minutes", 14, "impossible"),
        (("minutes = 10", "minutes = 10.5"), "phases.minutes", 9, "whole number"),
        (("every_minutes = 15", "every_minutes = 0"), "vitals.every_minutes", 18, "impossible"),
        (('name = "Dosing"', 'name = "Dosing"\ncolour = "blue"'), "phases.colour", 14, "unknown setting"),
        (('id = "test-route"', 'id = "Test Route!"'), "id", 1, "lower-case"),
        (("dose = true", "dose = 1"), "phases.dose", 15, "true or false"),
    ],
)
def test_impossible_values_name_file_line_and_field(tmp_path, edit, field, line, words):
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(GOOD.replace(*edit), tmp_path / "route.toml")
    error = caught.value
    assert (error.field, error.line) == (field, line)
    assert words in str(error)
    assert str(error).startswith(f"{tmp_path / 'route.toml'}:{line}: {field}:")


def test_a_broken_file_does_not_stop_the_others(tmp_path):
    (tmp_path / "a-good.toml").write_text(GOOD)
    (tmp_path / "b-broken.toml").write_text(GOOD.replace("minutes = 10", "minutes = 100000"))
    (tmp_path / "c-garbage.toml").write_bytes(b"\xff\xfe\x00binary")
    loaded, errors = load_protocols([resources_dir() / "protocols", tmp_path])
    assert "test-route" in {p.id for p in loaded} and "sublingual" in {p.id for p in loaded}
    assert sorted(Path(e.source).name for e in errors) == ["b-broken.toml", "c-garbage.toml"]


def test_clinic_folder_overrides_shipped_protocol_by_id(tmp_path):
    shipped = (resources_dir() / "protocols" / "sublingual.toml").read_text()
    (tmp_path / "ours.toml").write_text(shipped.replace("minutes = 45\nmusic = \"peak\"", "minutes = 60\nmusic = \"peak\""))
    loaded, _ = load_protocols([resources_dir() / "protocols", tmp_path])
    sublingual = next(p for p in loaded if p.id == "sublingual")
    assert next(p for p in sublingual.phases if p.key == "peak").minutes == 60


# -- contraindications per protocol --------------------------------------------------------------
OWN = GOOD + """
[[contraindications]]
key = "route_specific"
label = "A synthetic route-specific caution"
"""


def test_a_protocol_asks_the_general_cautions_then_its_own(tmp_path):
    from kapdesk.domain.protocols import Contraindication

    general = (Contraindication("general_one", "General one"),)
    protocol = parse_protocol(OWN, tmp_path / "own.toml", general)
    assert [c.key for c in protocol.contraindications] == ["general_one", "route_specific"]
    assert protocol.contraindications[1].label == "A synthetic route-specific caution"
    assert protocol_from_dict(protocol_to_dict(protocol)).contraindications == protocol.contraindications


def test_an_old_snapshot_asks_the_legacy_screen(protocols):
    from kapdesk.domain.protocols import LEGACY_CONTRAINDICATIONS

    old = protocol_to_dict(protocols["sublingual"])
    del old["contraindications"]
    assert protocol_from_dict(old).contraindications == LEGACY_CONTRAINDICATIONS


@pytest.mark.parametrize(
    ("edit", "field", "line", "words"),
    [
        (('key = "route_specific"', 'key = "Route Specific"'), "contraindications.key", 22, "lower-case"),
        (('label = "A synthetic route-specific caution"', 'label = ""'), "contraindications.label", 23, "required"),
        (('label = "A synthetic', 'colour = "red"\nlabel = "A synthetic'), "contraindications.colour", 23, "unknown setting"),
        (('key = "route_specific"', 'key = "general_one"'), "contraindications.key", 22, "general cautions"),
    ],
)
def test_a_bad_contraindication_names_file_line_and_field(tmp_path, edit, field, line, words):
    from kapdesk.domain.protocols import Contraindication

    with pytest.raises(ProtocolError) as caught:
        parse_protocol(OWN.replace(*edit), tmp_path / "own.toml", (Contraindication("general_one", "General one"),))
    error = caught.value
    assert (error.field, error.line) == (field, line)
    assert words in str(error)
    assert str(error).startswith(f"{tmp_path / 'own.toml'}:{line}: {field}:")


def test_a_key_twice_is_refused(tmp_path):
    with pytest.raises(ProtocolError, match="appears twice") as caught:
        parse_protocol(OWN + OWN[len(GOOD):], tmp_path / "twice.toml")
    assert caught.value.line == 26


def test_a_broken_contraindication_does_not_stop_the_other_protocols(tmp_path):
    (tmp_path / "a-good.toml").write_text(OWN)
    (tmp_path / "b-broken.toml").write_text(OWN.replace('id = "test-route"', 'id = "broken"').replace(
        'key = "route_specific"', 'key = 3'))
    loaded, errors = load_protocols([resources_dir() / "protocols", tmp_path])
    ids = {p.id for p in loaded}
    assert {"test-route", "sublingual", "esketamine"} <= ids and "broken" not in ids
    assert [(Path(e.source).name, e.field) for e in errors] == [("b-broken.toml", "contraindications.key")]
    test_route = next(p for p in loaded if p.id == "test-route")
    assert test_route.contraindications[-1].key == "route_specific"
    assert test_route.contraindications[0].key == "psychosis_mania_history"  # the shipped general list first


def test_a_clinic_general_list_replaces_the_shipped_one_and_a_broken_one_is_reported(tmp_path):
    from kapdesk.domain.protocols import GENERAL_CAUTIONS_FILE

    (tmp_path / GENERAL_CAUTIONS_FILE).write_text('[[contraindications]]\nkey = "ours"\nlabel = "Our only caution"\n')
    loaded, errors = load_protocols([resources_dir() / "protocols", tmp_path])
    assert not errors
    assert [c.key for c in next(p for p in loaded if p.id == "sublingual").contraindications] == ["ours"]

    (tmp_path / GENERAL_CAUTIONS_FILE).write_text('[[contraindications]]\nkey = "ours"\nlabel = 5\n')
    loaded, errors = load_protocols([resources_dir() / "protocols", tmp_path])
    assert [(Path(e.source).name, e.line, e.field) for e in errors] == [
        (GENERAL_CAUTIONS_FILE, 3, "contraindications.label")]
    # The shipped list stays in force, and every protocol still loads.
    sublingual = next(p for p in loaded if p.id == "sublingual")
    assert sublingual.contraindications[0].key == "psychosis_mania_history" and len(loaded) == 4
