"""`chainsim new NAME`: a starting scenario for another city that validates and runs, and
the worked second-city example of docs/new-city.md."""

from __future__ import annotations

import pytest

from chainsim.cli import main
from paths import ROOT


def test_new_writes_a_valid_scenario_that_runs(tmp_path, capsys):
    path = tmp_path / "testcity.yaml"
    assert main(["new", "testcity", "--out", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    assert "name: testcity" in text and text.count("source:") >= 10  # a slot for every input's source
    assert main(["validate", str(path)]) == 0
    assert "valid scenario 'testcity'" in capsys.readouterr().out
    assert main(["run", str(path), "-r", "2", "--json"]) == 0
    assert '"scenario": "testcity"' in capsys.readouterr().out
    # never overwrites
    assert main(["new", "testcity", "--out", str(path)]) == 2
    assert "exists" in capsys.readouterr().err and path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("name", ["dali_example.yaml"])
def test_the_second_city_example_validates_and_runs(name, capsys):
    path = ROOT / "scenarios" / "examples" / name
    assert main(["validate", str(path)]) == 0
    assert main(["run", str(path), "-r", "2", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"scenario": "dali_example"' in out
    assert "INVENTED" in path.read_text(encoding="utf-8")  # clearly labelled
