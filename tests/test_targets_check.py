"""`chainsim targets`: each reported figure against the replicate mean and its tolerance."""

from __future__ import annotations

import json

import pytest

from chainsim.calibration.check import check, interval, ratio_interval
from chainsim.cli import main
from relkit import small_scenario, write_yaml


def targets_doc(**extra: dict) -> dict:
    """Leader trips are a schedule, the same in every replicate: a known model value."""

    def target(value: float, tolerance: float, **how: object) -> dict:
        return {"facts": "F4", "label_en": "Leader trips", "label_zh": "市级领导外出招商", "value": value,
                "unit": "trips", "rounding": 0, "discrepancy": 1, "discrepancy_reason": "test",
                "tolerance": tolerance, **how}  # fmt: skip

    return {
        "source": "a hand-made test file",
        "targets": {
            "city_trips": target(15, 0.5, metric="periods.2023H1.city_leader_trips"),  # F4: 15, within
            "county_trips": target(1000, 1, metric="periods.2023H1.county_leader_trips"),  # far off
            "city_growth": target(
                2.5, 0.01, ratio_of=["periods.2023H1.city_leader_trips", "periods.2022H1.city_leader_trips"]
            ),
            **extra,
        },
    }


def test_one_within_one_not(tmp_path):
    scen = small_scenario(tmp_path)
    file = write_yaml(tmp_path / "t.yaml", targets_doc())
    c = check(scen, file, replications=2, seed=3)
    rows = {r.id: r for r in c.rows}
    assert rows["city_trips"].within and rows["city_trips"].mean == 15
    assert rows["city_trips"].ci95_low == rows["city_trips"].ci95_high == 15  # no replicate noise
    assert not rows["county_trips"].within and rows["county_trips"].difference < -900
    assert rows["city_growth"].within and rows["city_growth"].mean == pytest.approx(15 / 6)
    assert c.within == 2


def test_command_prints_writes_and_json(tmp_path, capsys):
    scen = small_scenario(tmp_path)
    file = write_yaml(tmp_path / "t.yaml", targets_doc())
    out = tmp_path / "out"
    assert main(["targets", str(scen), "--targets", str(file), "-r", "2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2 of 3 within tolerance" in text and "市级领导外出招商" in text and "✗" in text
    data = json.loads((out / "targets.json").read_text(encoding="utf-8"))
    assert data["within"] == 2 and data["total"] == 3
    assert (out / "targets.csv").read_text(encoding="utf-8").startswith("id,facts,label_en")
    marker = json.loads((out / ".chainsim-output.json").read_text(encoding="utf-8"))
    assert marker["command"] == "targets" and set(marker["files"]) == {"targets.json", "targets.csv"}
    assert main(["targets", str(scen), "--targets", str(file), "-r", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["targets"][1]["within"] is False


def test_unknown_metric_is_refused(tmp_path, capsys):
    scen = small_scenario(tmp_path)
    bad = targets_doc()
    bad["targets"]["city_trips"]["metric"] = "periods.2023H1.city_leader_trip"
    file = write_yaml(tmp_path / "t.yaml", bad)
    assert main(["targets", str(scen), "--targets", str(file), "-r", "1"]) == 2
    err = capsys.readouterr().err
    assert "unknown metric" in err and "city_leader_trips" in err and "Traceback" not in err


def test_intervals():
    import numpy as np

    lo, hi = interval(np.array([1.0, 2.0, 3.0, np.nan]))
    assert lo < 2 < hi and hi - 2 == pytest.approx(2 - lo)
    lo, hi = ratio_interval(np.array([2.0, 4.0, 6.0]), np.array([1.0, 2.0, 3.0]))
    assert lo == pytest.approx(2) and hi == pytest.approx(2)  # an exact ratio has no spread
