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
