"""scores.json as written (format 2: the component legend once, lean lists
under "samples") reads back into the dictionaries the reports and the API
use, and files of earlier versions (the full lists, no legend) still read
and render the same pages."""

from __future__ import annotations

import json
import re

import orjson
import pytest

import gutbalance
from gutbalance.errors import FormatError
from gutbalance.pillars import component_labels
from gutbalance.pipeline import run
from gutbalance.reference import with_percentiles_explained
from gutbalance.report import read_contributions, read_scores
from gutbalance.report.render import render_sample_report
from gutbalance.scores import SCORES_JSON_FORMAT, score_with_contributions, scores_json_samples
from tests.helpers import SMALL_COMMUNITY, write_metaphlan


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """Three profiles analysed into a results folder, and the cohort."""
    root = tmp_path_factory.mktemp("scores_json")
    folder = root / "in"
    folder.mkdir()
    for i, (name, factor) in enumerate((("format", 1.0), ("samples", 3.0), ("S3", 0.2))):
        community = dict(SMALL_COMMUNITY)
        first = next(iter(community))
        community[first] *= factor
        total = sum(community.values())
        community = {k: 100.0 * v / total for k, v in community.items()}
        text = write_metaphlan(folder / f"p{i}.txt", community).read_text()
        (folder / f"p{i}.txt").write_text(text.replace("#SampleID\tMetaphlan_Analysis", f"#SampleID\t{name}"))
    out = root / "out"
    run([folder], out, jobs=1)
    return out, gutbalance.read(sorted(folder.iterdir()))


def test_the_file_names_its_format_and_each_component_once(analysed):
    out, _ = analysed
    document = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    assert list(document) == ["format", "components", "samples"]
    assert document["format"] == SCORES_JSON_FORMAT
    assert document["components"] == component_labels()
    # samples named like the top-level keys are just samples
    assert list(document["samples"]) == ["format", "samples", "S3"]
    text = (out / "scores.json").read_text(encoding="utf-8")
    for label in component_labels().values():
        assert text.count(json.dumps(label)) == 1  # written once, in the legend


def test_read_back_it_is_what_the_api_gives_to_a_millionth_of_a_point(analysed):
    out, cohort = analysed
    read = read_contributions(out / "scores.json")
    exact = with_percentiles_explained(*score_with_contributions(cohort), cohort)[1]
    assert read == orjson.loads(orjson.dumps(exact))  # the API gives the values as written


def test_a_file_of_an_earlier_version_renders_the_same_pages(analysed, tmp_path):
    """Earlier versions wrote {sample: entry} with every trait in every entry."""
    out, cohort = analysed
    lean = read_contributions(out / "scores.json")
    old = tmp_path / "scores.json"
    old.write_text(json.dumps(lean), encoding="utf-8")
    assert read_contributions(old) == lean
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"contributions": lean}), encoding="utf-8")
    assert read_contributions(wrapped) == lean
    scores = read_scores(out / "scores.tsv")
    strip = lambda t: re.sub(r'id="c\d+[td]"|c\d+t c\d+d', "", t)  # noqa: E731 - chart ids are page-unique only
    for sample in scores.index:
        pages = [strip(render_sample_report(sample, scores, cohort=cohort, contributions=read_contributions(path)))
                 for path in (out / "scores.json", old)]
        assert pages[0] == pages[1]
        assert "What raised and lowered" in pages[0]


def test_an_old_file_with_a_sample_named_format_is_read_as_old():
    entry = {"training": [{"taxon": "A", "id": "s__A", "effect": 1.0, "trait": "t",
                           "parts": [{"component": "training.x", "trait": "t", "effect": 1.0}]}]}
    assert scores_json_samples({"format": entry, "S2": entry}) == {"format": entry, "S2": entry}


def test_bad_documents_name_the_file_and_the_field(tmp_path):
    path = tmp_path / "scores.json"
    path.write_text(json.dumps({"format": "gutbalance scores.json 9", "components": {}, "samples": {}}))
    with pytest.raises(FormatError, match="unknown format") as info:
        read_contributions(path)
    assert info.value.path == str(path)
    assert info.value.field == "format"
    path.write_text(json.dumps({"format": SCORES_JSON_FORMAT, "components": {"training.x": "X"}, "samples": {
        "S1": {"training": [{"taxon": "A", "id": "s__A", "effect": 1.0, "component": "training.y"}]}}}))
    with pytest.raises(FormatError, match="training.y") as info:
        read_contributions(path)
    assert info.value.field == "samples.S1.training"
    path.write_text(json.dumps({"format": SCORES_JSON_FORMAT, "samples": {}}))
    with pytest.raises(FormatError, match="components"):
        read_contributions(path)
    path.write_text("[1, 2]")
    with pytest.raises(FormatError, match="expected an object"):
        read_contributions(path)
    path.write_text("{not json")
    with pytest.raises(FormatError, match="cannot read"):
        read_contributions(path)
