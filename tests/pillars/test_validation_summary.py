"""The shipped validation summary (``pillars/data/validation_summary.json``)
is what ``scripts/build_validation_summary.py`` measures.

The full rebuild (every labelled study held out and in-sample, the public
cohorts) takes minutes; here one labelled study is re-measured in-sample
(a study's rows depend on its own samples only) and the held-out figures are
re-measured with the script's own fit, and both must equal the shipped file.
The full rebuild is ``python scripts/build_validation_summary.py``
(docs/validation.md, "How far these scores have been tested").
"""

from __future__ import annotations

import hashlib

import pytest

from gutbalance.report.validity import validation_summary
from tests.helpers import import_script

STUDIES = ("Franzosa 2019", "iHMP 2019", "Qin 2012", "Le Chatelier 2013", "Karlsson 2013", "Zeller 2014")


def _rows(rows: list[dict], study: str) -> list[dict]:
    return sorted((r for r in rows if r["study"] == study), key=lambda r: r["score"])


def test_every_score_has_a_figure_per_labelled_study_with_its_provenance():
    summary = validation_summary()
    script = import_script("build_validation_summary")
    assert summary["scores"] == script.SCORES
    for part in ("held_out", "in_sample"):
        rows = summary["labelled"][part]
        for study in (*STUDIES, "pooled"):
            got = _rows(rows, study)
            assert sorted(r["score"] for r in got) == sorted(script.SCORES), (part, study)
            for r in got:
                assert r["auc"] is not None, (part, r)
                assert r["low"] <= r["auc"] <= r["high"], (part, r)
                assert r["n_healthy"] > 0
                assert r["n_disease"] > 0
    # the people compared: disease, country, ages from the sets' metadata
    assert [s["label"] for s in summary["labelled"]["studies"].values()] == list(STUDIES)
    prov = summary["provenance"]
    assert prov["script"] == "scripts/build_validation_summary.py"
    assert len(prov["git_commit"]) == 40
    assert prov["date"].endswith("Z")
    assert prov["command"].startswith("python scripts/build_validation_summary.py")
    assert len(prov["labelled_data"]) == 6
    assert all(len(h) == 64 for h in prov["labelled_data"].values())
    # the published indices are not fitted: held out and in-sample are the same measurement
    for score in ("gmhi", "gmwi2", "shannon"):
        for study in STUDIES:
            held = _rows(summary["labelled"]["held_out"], study)
            in_sample = _rows(summary["labelled"]["in_sample"], study)
            one = next(r for r in held if r["score"] == score)
            other = next(r for r in in_sample if r["score"] == score)
            assert one["auc"] == other["auc"], (score, study)


def test_the_shipped_labelled_data_are_the_files_measured(shared_data):
    prov = validation_summary()["provenance"]
    for path, digest in prov["labelled_data"].items():
        assert hashlib.sha256((shared_data.parent / path).read_bytes()).hexdigest() == digest, path


def test_shipped_in_sample_figures_agree_with_a_re_run_on_one_study(shared_data, tmp_path):
    """Franzosa 2019 alone through validate_labelled.py (gutbalance analyze + validate) gives the shipped rows."""
    script = import_script("build_validation_summary")
    labelled = import_script("validate_labelled")
    table = labelled.run(shared_data, tmp_path, str(validation_summary()["provenance"]["bootstrap"]),
                         sets=["franzosa2019_ibd"])
    got = _rows(script.rows(table), "Franzosa 2019")
    assert got == _rows(validation_summary()["labelled"]["in_sample"], "Franzosa 2019")


@pytest.mark.slow
def test_shipped_held_out_figures_agree_with_the_scripts_fit(shared_data):
    """Every labelled study scored with the weights fitted on the other five: the shipped held-out rows."""
    script = import_script("build_validation_summary")
    names = {s: info["label"] for s, info in script.LABELLED.items()}
    got = script.rows(script.held_out(shared_data), names)
    shipped = validation_summary()["labelled"]["held_out"]
    for study in (*STUDIES, "pooled"):
        assert _rows(got, study) == _rows(shipped, study), study
