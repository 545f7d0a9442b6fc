"""Scenario files on disk: the bundled ones round-trip through the YAML writer and the strict
loader; files that are not safe, small, UTF-8 YAML are refused in one line naming the file."""

from __future__ import annotations

import re

import numpy as np
import pytest
import yaml

import mvd_sim
import mvd_sim.scenario.files
from mvd_sim.core.errors import ScenarioError
from mvd_sim.scenario import load_scenario, parse_scenario, scenario_to_yaml

from .test_schema import BASE, BUNDLED, assert_one_line, vessels, write


@pytest.mark.parametrize("name", list(BUNDLED))
def test_bundled_scenario_parses_and_round_trips(name, tmp_path):
    spec = load_scenario(BUNDLED[name])
    assert spec.schema_version == mvd_sim.scenario.SCHEMA_VERSION
    assert spec.side in ("left", "right")
    text = scenario_to_yaml(spec)
    assert parse_scenario(yaml.safe_load(text)) == spec
    # the serialised form must also pass the strict loader (e.g. no anchors/aliases emitted)
    assert load_scenario(write(tmp_path, text)) == spec


def test_yaml_text_is_the_pure_python_emitters():
    """Scenario YAML comes from libyaml's emitter where PyYAML has it: the same text as the
    pure-Python one, for every bundled scenario and 30 sampled cases (dataset tables hold
    it, so it must not depend on how PyYAML was built)."""
    from mvd_sim.dataset.priors import load_priors
    from mvd_sim.dataset.sampler import draw_diagnosis, draw_spec

    priors = load_priors()
    specs = [load_scenario(path) for path in BUNDLED.values()]
    for index in range(30):
        diagnosis = draw_diagnosis(priors, np.random.default_rng([3, index, 0]))
        specs.append(draw_spec(priors, diagnosis, np.random.default_rng([3, index, 1]),
                               f"case{index}"))
    for spec in specs:
        data = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
        assert scenario_to_yaml(spec) == yaml.safe_dump(data, sort_keys=False,
                                                        allow_unicode=True, width=96)


# (id, file content, regex of what follows "{file}: ")
FILE_CASES = [
    ("invalid-yaml-syntax", BASE + "vessels: [\n  {id: a\n",
     r"invalid YAML at line 7: expected ',' or '\}'"),
    ("tab-indentation", BASE + "\tvessels: []\n",
     r"invalid YAML at line 5: .*cannot start any token"),
    ("two-documents", BASE + "---\n" + BASE, r"invalid YAML at line 5: .*another document"),
    ("control-character", BASE.replace("title: t", "title: a\x07b"),
     r"invalid YAML: unacceptable character"),
    ("anchor-and-alias", vessels("&v {id: a, type: AICA}", "*v"),
     r"invalid YAML at line 6: YAML anchors are not allowed"),
    ("alias-only", vessels("*v"), r"invalid YAML at line 6: YAML aliases are not allowed"),
    ("merge-key", "base: &b {side: right}\n<<: *b\n" + BASE.replace("side: right\n", ""),
     r"invalid YAML at line 1: YAML anchors are not allowed"),
    ("python-object-apply", BASE + 'x: !!python/object/apply:os.system ["echo hacked"]\n',
     (r"invalid YAML at line 5: could not determine a constructor for the tag "
      r"'tag:yaml\.org,2002:python/object/apply:os\.system'")),
    ("python-name", BASE + "x: !!python/name:os.system\n",
     r"invalid YAML at line 5: could not determine a constructor .*python/name:os\.system"),
    ("nested-too-deep", BASE + "anatomy: " + "[" * 5000 + "]" * 5000 + "\n",
     r"invalid YAML at line 5: nested deeper than 32 levels"),
    ("non-utf8", BASE.encode() + b"colour: \xff\xfe\n", r"not UTF-8 text"),
    ("latin1", "schema_version: 1\ntitle: Caf\u00e9\n".encode("latin-1"), r"not UTF-8 text"),
]


@pytest.mark.parametrize("content, reason",
                         [pytest.param(*case[1:], id=case[0]) for case in FILE_CASES])
def test_unreadable_scenario_names_file_and_reason(tmp_path, content, reason):
    path = write(tmp_path, content, "bad_file.yaml")
    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(path))}: {reason}") as info:
        load_scenario(path)
    assert_one_line(str(info.value))


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system",
                                 "!!python/object/new:os.system"])
def test_python_object_tag_runs_nothing(tmp_path, tag):
    marker = tmp_path / "hacked"
    path = write(tmp_path, BASE + f'x: {tag} ["touch {marker}"]\n')
    with pytest.raises(ScenarioError, match=r"invalid YAML at line 5: could not determine"):
        load_scenario(path)
    assert not marker.exists()


def test_file_over_the_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(mvd_sim.scenario.files, "MAX_SCENARIO_BYTES", 64)
    path = write(tmp_path, BASE + "# " + "x" * 64 + "\n", "big.yaml")
    size = path.stat().st_size
    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(path))}: file is {size} bytes, "
                       r"over the 64-byte limit") as info:
        load_scenario(path)
    assert_one_line(str(info.value))
    # a file exactly at the limit is read (and here valid)
    monkeypatch.setattr(mvd_sim.scenario.files, "MAX_SCENARIO_BYTES", len(BASE))
    assert load_scenario(write(tmp_path, BASE, "at_limit.yaml")).title == "t"


def test_file_over_the_real_size_limit(tmp_path):
    assert mvd_sim.scenario.files.MAX_SCENARIO_BYTES == 1 << 20
    path = write(tmp_path, BASE + "#" * (1 << 20) + "\n", "huge.yaml")
    with pytest.raises(ScenarioError, match=r"huge\.yaml: file is \d+ bytes, over the "
                       r"1048576-byte limit"):
        load_scenario(path)


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ScenarioError,
                       match=rf"^{re.escape(str(path))}: cannot read: No such file") as info:
        load_scenario(path)
    assert_one_line(str(info.value))


def test_directory_is_not_a_scenario(tmp_path):
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    with pytest.raises(ScenarioError, match=r"folder\.yaml: not a regular file"):
        load_scenario(folder)


def test_unknown_bundled_name():
    with pytest.raises(ScenarioError, match=r"^no_such_case: no such file or bundled scenario"):
        mvd_sim.load_scene("no_such_case")


