"""Issue 9, "Bad input": a rule file with a bad number is reported with file, line and field, and the
shipped defaults stay in force — for each settings table the issue added.

Each case writes the clinic's own file where KAPDesk looks for it (the user data folder) and
loads the settings as the main window does at start-up (:func:`load_clinic_settings_or_defaults`
with no arguments): the error reads ``file:line: field: …`` and the settings in force are the
shipped ones, not half of the broken file. The protocols' ``[[contraindications]]`` are checked the
same way through :func:`load_protocols` over the shipped and the clinic's folders.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kapdesk.domain.alerts import DEFAULT_RULES
from kapdesk.domain.clinic import ClinicSettings, load_clinic_settings_or_defaults
from kapdesk.domain.dose_limits import DEFAULT_DOSE_LIMITS
from kapdesk.domain.protocols import load_protocols
from kapdesk.domain.rescue import DEFAULT_RESCUE
from kapdesk.paths import data_dir, protocol_folders, resources_dir

SHIPPED = resources_dir() / "clinic.toml"
DRUG = '[[rescue.drugs]]\nname = "{name}"\nclass = "antiemetic"\nunit = "mg"\nroutes = ["IV"]\n'


def clinic_file(text: str) -> Path:
    path = data_dir() / "clinic.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def start_up(text: str) -> tuple[ClinicSettings, str]:
    """The settings in force at start-up with ``text`` as the clinic's file, and its one error."""
    path = clinic_file(text)
    settings, errors = load_clinic_settings_or_defaults()
    assert len(errors) == 1, errors
    assert errors[0].source == path
    return settings, str(errors[0]).replace(f"{path}:", "clinic.toml:", 1)


def assert_shipped(settings: ClinicSettings) -> None:
    assert settings.sources == (SHIPPED,)
    assert settings.alert_rules == DEFAULT_RULES
    assert settings.dose_limits == DEFAULT_DOSE_LIMITS
    assert settings.rescue == DEFAULT_RESCUE


@pytest.mark.parametrize(("text", "where"), [
    ("[alerts]\ndiastolic_high = nan\n", "clinic.toml:2: alerts.diastolic_high: "),
    ("[alerts]\nsystolic_high = 170\ndiastolic_critical = inf\n", "clinic.toml:3: alerts.diastolic_critical: "),
    ("# ours\n[alerts]\ncrisis_systolic = 0\n", "clinic.toml:3: alerts.crisis_systolic: "),
    ("[alerts]\nspo2_critical = 101\n", "clinic.toml:2: alerts.spo2_critical: "),
    ("[alerts]\npulse_pressure_low = -5\n", "clinic.toml:2: alerts.pulse_pressure_low: "),
    ("[alerts]\nmoaas_caution = 6\n", "clinic.toml:2: alerts.moaas_caution: "),
    ("[alerts]\nmoaas_critical = 3\n", "clinic.toml:2: alerts.moaas_critical: "),  # not below moaas_caution 2
    ("[alerts]\nbprs_item_caution = 0\n", "clinic.toml:2: alerts.bprs_item_caution: "),
    ("[alerts]\naspiration_moaas = 9\n", "clinic.toml:2: alerts.aspiration_moaas: "),
    ("[alerts]\ncritical_reshow_minutes = 2.5\n", "clinic.toml:2: alerts.critical_reshow_minutes: "),
])
def test_a_bad_new_alert_number_names_its_line_and_the_shipped_rules_stay(text: str, where: str) -> None:
    settings, error = start_up(text)
    assert error.startswith(where), error
    assert_shipped(settings)
    assert settings.alert_rules.systolic_high == 180  # the broken file is left out whole, not half-applied


@pytest.mark.parametrize(("text", "where"), [
    ("[doses.ketamine.iv]\nmax_mg = inf\n", "clinic.toml:2: doses.ketamine.iv.max_mg: must be a positive number"),
    ("[doses.ketamine.iv]\nmax_mg_per_kg = nan\n", "clinic.toml:2: doses.ketamine.iv.max_mg_per_kg: "),
    ("[doses.ketamine.iv]\ntypical_mg_per_kg = [0.5, inf]\n", "clinic.toml:2: doses.ketamine.iv.typical_mg_per_kg: "),
    ("[doses.ketamine]\n\nsession_max_mg = 0\n", "clinic.toml:3: doses.ketamine.session_max_mg: "),
    ('[doses.esketamine.in]\nmax_mg = "84"\n', "clinic.toml:2: doses.esketamine.in.max_mg: "),
    # Only wrong beside the shipped file (its max_mg_per_kg 1.0): still told at this file's line.
    ("[doses.ketamine.iv]\ntypical_mg_per_kg = [0.5, 2]\n",
     "clinic.toml:2: doses.ketamine.iv.typical_mg_per_kg: reaches above max_mg_per_kg 1"),
])
def test_a_bad_dose_limit_names_its_line_and_the_shipped_limits_stay(text: str, where: str) -> None:
    settings, error = start_up(text)
    assert error.startswith(where), error
    assert_shipped(settings)
    assert settings.dose_limits.route("ketamine", _iv()).max_mg == 100


@pytest.mark.parametrize(("text", "where"), [
    (DRUG.format(name="a") + "max_amount = inf\n", "clinic.toml:6: rescue.drugs[1].max_amount: "),
    (DRUG.format(name="a") + "\n" + DRUG.format(name="b") + "example_amounts = [4, nan]\n",
     "clinic.toml:12: rescue.drugs[2].example_amounts: "),
    (DRUG.format(name="a") + "max_amount = 0\n", "clinic.toml:6: rescue.drugs[1].max_amount: "),
])
def test_a_bad_rescue_number_names_its_line_and_the_shipped_list_stays(text: str, where: str) -> None:
    settings, error = start_up(text)
    assert error.startswith(where), error
    assert_shipped(settings)
    assert "ondansetron" in settings.rescue.names


def test_a_clinics_protocol_with_a_bad_contraindication_leaves_the_shipped_protocol_in_force() -> None:
    """A clinic's copy of esketamine.toml with a number where a label belongs, and a bad minimum."""
    shipped = (resources_dir() / "protocols" / "esketamine.toml").read_text(encoding="utf-8")
    ours = data_dir() / "protocols"
    ours.mkdir(parents=True, exist_ok=True)
    broken = shipped.replace("min_observation_minutes = 120", "min_observation_minutes = 90") + (
        '\n[[contraindications]]\nkey = "clinic_own"\nlabel = 5\n')
    (ours / "esketamine.toml").write_text(broken, encoding="utf-8")
    line = broken.splitlines().index("label = 5") + 1

    loaded, errors = load_protocols(protocol_folders())
    assert [str(e) for e in errors] == [f"{ours / 'esketamine.toml'}:{line}: contraindications.label: "
                                        + errors[0].detail]
    esketamine = next(p for p in loaded if p.id == "esketamine")
    assert esketamine.min_observation_minutes == 120  # the shipped protocol, not the broken copy's 90
    assert "clinic_own" not in {c.key for c in esketamine.contraindications}
    assert "intracerebral_haemorrhage" in {c.key for c in esketamine.contraindications}

    (ours / "esketamine.toml").write_text(shipped.replace("min_observation_minutes = 120",
                                                          "min_observation_minutes = nan"), encoding="utf-8")
    loaded, errors = load_protocols(protocol_folders())
    number = next(i for i, text in enumerate(shipped.splitlines(), 1) if text.startswith("min_observation_minutes"))
    assert [(e.line, e.field) for e in errors] == [(number, "min_observation_minutes")]
    assert next(p for p in loaded if p.id == "esketamine").min_observation_minutes == 120


def _iv():
    from kapdesk.domain.doses import Route

    return Route.INTRAVENOUS_INFUSION
