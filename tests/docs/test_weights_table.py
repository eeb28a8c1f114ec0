"""docs/scoring.md's table of the shipped weights is the shipped calibration.json, rounded.

The table stayed at an older fit for several refits (an outside check found
homeostasis 0.38 where 0.45 was shipped)."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CALIBRATION = ROOT / "src" / "gutbalance" / "pillars" / "data" / "calibration.json"
HEADER = "| pillar (weight in immune_support) | component | weight | fitted before the literature share |"


def _table_rows() -> list[list[str]]:
    lines = (ROOT / "docs" / "scoring.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(HEADER) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_the_weights_table_is_the_shipped_calibration():
    shipped = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    expected = []
    for pillar, components in shipped["components"].items():
        for k, (component, weight) in enumerate(components.items()):
            excluded = component in shipped["excluded"].get(pillar, [])
            fitted = shipped["fitted"]["components"][pillar][component]
            expected.append([f"{pillar} ({shipped['pillars'][pillar]:.2f})" if k == 0 else "", component,
                             f"{weight:.2f}", "0 (excluded: AUC < 0.5 in a study)" if excluded else f"{fitted:.2f}"])
    assert _table_rows() == expected
    assert all(re.fullmatch(r"\d\.\d\d", row[2]) for row in expected)
