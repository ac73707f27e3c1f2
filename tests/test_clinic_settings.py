"""Clinic settings: the shipped file, a clinic's own overrides, and errors that say where."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from kapdesk.domain.alerts import AlertRules
from kapdesk.domain.clinic import (
    ClinicSettings,
    ClinicSettingsError,
    clinic_settings_paths,
    load_clinic_settings,
    load_clinic_settings_or_defaults,
)
from kapdesk.domain.observations import DEFAULT_QUICK_TAGS
from kapdesk.domain.scales import CADSS6, DISSOCIATION_RATING, DissociationMode
from kapdesk.paths import data_dir, resources_dir

SHIPPED = resources_dir() / "clinic.toml"


def write(folder: Path, text: str, name: str = "clinic.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_holds_the_product_defaults() -> None:
    settings = load_clinic_settings([SHIPPED])
    defaults = ClinicSettings()
    assert settings.alert_rules == AlertRules() == defaults.alert_rules
    assert settings.quick_tags == DEFAULT_QUICK_TAGS
    assert settings.dissociation is DissociationMode.CADSS6
    assert settings.aldrete_discharge_score == 9
    assert settings.overdue_alert_after == timedelta(minutes=5)
    assert settings.sources == (SHIPPED,)
    assert [d.key for d in settings.in_session_scales()] == ["moaas", "cadss6", "bprs_plus", "nausea", "aldrete"]


def test_the_clinic_file_lives_in_the_user_data_folder_and_overrides_key_by_key() -> None:
    assert clinic_settings_paths() == [SHIPPED, data_dir() / "clinic.toml"]
    own = write(data_dir(), """
[alerts]
systolic_high = 170
spo2_low = false

[scales]
dissociation = "rating"

[observations]
quick_tags = ["crying", "laughing"]
""")
    settings = load_clinic_settings()
    assert settings.sources == (SHIPPED, own)
    assert settings.alert_rules.systolic_high == 170
    assert settings.alert_rules.spo2_low is None  # switched off
    assert settings.alert_rules.hr_high == 150  # untouched keys keep the shipped value
    assert settings.quick_tags == ("crying", "laughing")  # a list is replaced whole
    assert settings.dissociation is DissociationMode.RATING
    assert settings.dissociation_scale() is DISSOCIATION_RATING
    assert settings.aldrete_discharge_score == 9


def test_missing_files_are_skipped(tmp_path: Path) -> None:
    assert load_clinic_settings([tmp_path / "none.toml"]) == ClinicSettings()


def test_clinic_cadss_labels_change_the_wording_not_the_scoring(tmp_path: Path) -> None:
    path = write(tmp_path, '[scales.cadss_labels]\n22 = "Clinic wording of item 22"\n')
    scale = load_clinic_settings([path]).dissociation_scale()
    assert scale.item("cadss_22").label == "Clinic wording of item 22"
    assert scale.item_keys == CADSS6.item_keys


@pytest.mark.parametrize(
    "text, line, field, words",
    [
        ("[alerts]\nhr_high = 150\nsystolic_hihg = 170\n", 3, "alerts.systolic_hihg", "did you mean 'systolic_high'"),
        ("# comment\n[alerts]\nsystolic_high = 1800\n", 3, "alerts.systolic_high", "outside the possible"),
        ("[alerts]\nhr_low = 160\n", 2, "alerts.hr_low", "must be below"),
        ('\n[scales]\ndissociation = "cads"\n', 3, "scales.dissociation", '"cadss6" or "rating"'),
        ("[scales]\naldrete_discharge_score = 11\n", 2, "scales.aldrete_discharge_score", "whole number 1–10"),
        ('[scales.cadss_labels]\n3 = "x"\n', 2, "scales.cadss_labels.3", "items 1, 2, 6, 7, 15, 22 only"),
        ("[reminders]\noverdue_alert_after_minutes = -1\n", 2, "reminders.overdue_alert_after_minutes", "0–60"),
        ("[observations]\nquick_tags = [\n" + "".join(f'  "t{i}",\n' for i in range(10)) + "]\n", 2,
         "observations.quick_tags", "at most 9"),
        ("[observations]\nquick_tags = ['a', 'A']\n", 2, "observations.quick_tags", "same tag"),
        ("[observations]\ntags = ['a']\n", 2, "observations.tags", "unknown setting (known: quick_tags)"),
        ("[alerts]\n\n[alrets]\nhr_low = 40\n", 3, "alrets", "did you mean 'alerts'"),
        ("[alerts]\ncritical_reshow_minutes = 0\n", 2, "alerts.critical_reshow_minutes", "whole minutes 1–60"),
        ("[alerts]\ncritical_reshow_minutes = false\n", 2, "alerts.critical_reshow_minutes", "cannot be switched off"),
        ("[alerts]\n\ndiastolic_high = 125\n", 3, "alerts.diastolic_high", "below 'diastolic_critical'"),
        ("[alerts]\nspo2_critical = 101\n", 2, "alerts.spo2_critical", "outside the possible SpO₂ range 0–100%"),
    ],
)
def test_errors_name_the_file_the_line_and_the_setting(tmp_path: Path, text: str, line: int, field: str,
                                                       words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ClinicSettingsError) as err:
        load_clinic_settings([SHIPPED, path])
    exc = err.value
    assert (exc.source, exc.line, exc.field) == (path, line, field)
    assert str(exc).startswith(f"{path}:{line}: {field}: ")
    assert words in str(exc)


def test_invalid_toml_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[alerts]\nhr_low = \n")
    with pytest.raises(ClinicSettingsError, match="not valid TOML") as err:
        load_clinic_settings([path])
    assert err.value.line == 2 and str(err.value).startswith(f"{path}:2:")


def test_at_start_up_a_broken_clinic_file_is_reported_and_left_out() -> None:
    broken = write(data_dir(), "[alerts]\nsystolic_high = 170\nspo2_low = 101\n")
    settings, errors = load_clinic_settings_or_defaults()
    assert settings.sources == (SHIPPED,)
    assert settings.alert_rules.systolic_high == 180  # not half-applied
    assert len(errors) == 1 and errors[0].source == broken and errors[0].line == 3


def test_at_start_up_good_files_give_no_errors() -> None:
    settings, errors = load_clinic_settings_or_defaults()
    assert errors == [] and settings.sources == (SHIPPED,)


def test_music_section_change_is_a_clinic_setting(tmp_path):
    from kapdesk.domain.clinic import load_clinic_settings

    assert load_clinic_settings().music_section_change == "fade"
    ours = tmp_path / "clinic.toml"
    ours.write_text('[music]\nsection_change = "after_track"\n')
    assert load_clinic_settings([ours]).music_section_change == "after_track"
    ours.write_text('[music]\n\nsection_change = "whenever"\n')
    with pytest.raises(Exception) as caught:
        load_clinic_settings([ours])
    assert "music.section_change" in str(caught.value) and ":3:" in str(caught.value)
