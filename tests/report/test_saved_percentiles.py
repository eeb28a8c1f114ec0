"""The percentiles the pages show are those of ``scores.tsv``, with or without the profiles.

``gutbalance analyze`` compares each sample with the healthy population of
its kind of input (profiler family and rank) while it has the profiles;
``gutbalance report DIR`` must place the sample against the same
population when ``cohort.h5ad`` is not in the folder (``--reports none``
first, or the file deleted), from what the run saved.
"""

from __future__ import annotations

import html
import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from gutbalance.cli import main
from gutbalance.reference import load_reference
from gutbalance.reference.comparability import kind_from_against, saved_profiler
from gutbalance.reference.sample import sample_statistics
from gutbalance.report.render import percentile_sentence, safe_filename, score_columns
from gutbalance.scores_table import read_scores
from tests.helpers import SMALL_COMMUNITY, make_cohort, scored, write_metaphlan

_CARD = re.compile(r'<h3 id="score-([^"]+)">.*?<p class="percentile">(.*?)</p>', re.DOTALL)
_ROW = re.compile(r'<tr><td class="name" data-value="([^"]*)">.*?</td>\s*(.*?)</tr>', re.DOTALL)
_CELL = re.compile(r'<td class="num" data-score="([^"]+)"[^>]*>(.*?)</td>', re.DOTALL)
_SHOWN = re.compile(r'<span class="muted small">\((\d+)\)</span>')


def _variant(k: int) -> dict[str, float]:
    out = dict(SMALL_COMMUNITY)
    names = list(out)
    move = min(4.0 * k, out[names[0]] - 1.0)
    out[names[0]] -= move
    out[names[-1]] += move
    return out


def _run(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output


def sample_page_percentiles(page: str) -> dict[str, str]:
    """``{score: the percentile sentence of its card}`` of a sample page."""
    return {key: html.unescape(text) for key, text in _CARD.findall(page)}


def cohort_page_percentiles(page: str, keys: list[str]) -> dict[str, dict[str, int | None]]:
    """``{sample: {score: the bracketed percentile of its cell, None without one}}`` of the cohort page
    (a sample's row in each of its tables of all samples, each score's cell in one of them)."""
    out: dict[str, dict[str, int | None]] = {}
    for sample, cells in _ROW.findall(page):
        row = out.setdefault(html.unescape(sample), {})
        for key, cell in _CELL.findall(cells):
            assert key not in row, (sample, key)
            row[key] = int(m.group(1)) if (m := _SHOWN.search(cell)) else None
    assert all(set(row) == set(keys) for row in out.values())
    return out


def assert_pages_show_saved_percentiles(out: Path) -> int:
    """Every percentile on the sample pages and the cohort page is the one in scores.tsv; returns how many were checked."""
    scores = read_scores(out / "scores.tsv", percentiles=True)
    keys = score_columns(read_scores(out / "scores.tsv"))
    cohort_page = cohort_page_percentiles((out / "report.html").read_text(encoding="utf-8"), keys)
    assert set(cohort_page) == set(scores.index)
    checked = 0
    for sample in scores.index:
        cards = sample_page_percentiles((out / "samples" / f"{safe_filename(sample)}.html").read_text(encoding="utf-8"))
        for key in keys:
            saved = scores.at[sample, f"{key}_percentile"] if f"{key}_percentile" in scores else np.nan
            if math.isfinite(saved):
                assert cards[key] == percentile_sentence(saved), (sample, key, saved, cards[key])
                assert cohort_page[sample][key] == int(f"{saved:.0f}"), (sample, key, saved)
                checked += 1
            else:
                assert not cards.get(key, "").startswith("Percentile"), (sample, key, cards.get(key))
                assert cohort_page[sample][key] is None, (sample, key)
    return checked


@pytest.fixture(scope="module")
def metaphlan_results(tmp_path_factory) -> Path:
    """Three MetaPhlAn 3 profiles scored with ``--reports none`` (no cohort.h5ad)."""
    root = tmp_path_factory.mktemp("saved")
    profiles = root / "profiles"
    profiles.mkdir()
    for k in range(3):
        write_metaphlan(profiles / f"mpa{k}.txt", _variant(k))
    out = root / "results"
    _run(["analyze", str(profiles), "-o", str(out), "--reports", "none", "--jobs", "1"])
    assert not (out / "cohort.h5ad").exists()
    return out


def test_pages_without_profiles_show_the_percentiles_of_scores_tsv(metaphlan_results, tmp_path):
    out = tmp_path / "results"
    shutil.copytree(metaphlan_results, out)
    _run(["report", str(out), "--no-figures"])
    assert not (out / "cohort.h5ad").exists()
    assert assert_pages_show_saved_percentiles(out) > 0
    page = (out / "samples" / "mpa0.html").read_text(encoding="utf-8")
    assert "MetaPhlAn runs" in page  # against the MetaPhlAn population, as analyze compared it


def test_pages_with_profiles_show_the_percentiles_of_scores_tsv(metaphlan_results, tmp_path):
    out = tmp_path / "results"
    shutil.copytree(metaphlan_results, out)
    _run(["analyze", str(metaphlan_results.parent / "profiles"), "-o", str(out), "--jobs", "1"])
    assert (out / "cohort.h5ad").exists()
    assert assert_pages_show_saved_percentiles(out) > 0
    _run(["report", str(out), "--no-figures"])
    assert assert_pages_show_saved_percentiles(out) > 0


@pytest.mark.parametrize("drop", ["scores.json", "percentiles"])
def test_the_kind_comes_from_either_saved_record(metaphlan_results, tmp_path, drop):
    """Without scores.json (``--no-contributions``) the saved percentiles tell the
    population; without those (a table edited down to its scores) scores.json does."""
    out = tmp_path / "results"
    shutil.copytree(metaphlan_results, out)
    if drop == "scores.json":
        (out / "scores.json").unlink()
        expected = read_scores(out / "scores.tsv", percentiles=True)
    else:
        table = pd.read_csv(out / "scores.tsv", sep="\t", dtype=str, keep_default_na=False)
        expected = read_scores(out / "scores.tsv", percentiles=True)
        table.drop(columns=[c for c in table.columns if c.endswith("_percentile")]).to_csv(
            out / "scores.tsv", sep="\t", index=False)
    _run(["report", str(out), "--no-figures"])
    page = (out / "samples" / "mpa0.html").read_text(encoding="utf-8")
    cards = sample_page_percentiles(page)
    saved = expected.at["mpa0", "immune_support_percentile"]
    assert cards["immune_support"] == percentile_sentence(saved)


def test_a_sample_whose_profiler_nothing_tells_gets_no_percentile():
    """Neither profiles nor a saved record: the primary population is not taken as the sample's."""
    scores = scored(make_cohort({"a": SMALL_COMMUNITY}))
    scores = scores[[c for c in scores.columns if not c.endswith("_percentile")]].assign(warnings="")
    stats = sample_statistics("a", scores, keys=["immune_support"], reference=load_reference())
    assert stats.not_comparable.startswith("percentiles not comparable")
    assert "which profiler made this sample is not known" in stats.not_comparable
    assert stats.positions[0].percentile is None


@pytest.mark.parametrize(("note", "profiler"), [
    ("percentiles not comparable: the reference (Healthy reference) is mOTUs, species-level or MetaPhlAn, "
     "species-level profiles, this sample is Kraken, species-level", "Kraken"),
    ("percentiles not comparable: the reference (Healthy reference) is mOTUs, species-level profiles, "
     "this sample is a profile whose file does not name its profiler, genus-level", "unknown"),
    # as outputs written before 2026-11-28 said it
    ("percentiles not comparable: the reference (Healthy reference) is mOTUs, species-level profiles, "
     "this sample is an unnamed profiler, genus-level", "unknown"),
    ("percentiles against MetaPhlAn 2 profiles, this sample is MetaPhlAn 4: the databases name different "
     "species, so read its percentiles as a rough guide", "MetaPhlAn"),
    ("stool-like: oral markers", ""),
])
def test_the_profiler_read_back_from_a_saved_note(note, profiler):
    assert saved_profiler(f"other | {note}") == profiler


def test_the_population_text_reads_back_as_its_kind():
    for pop in load_reference().healthy_populations:
        assert kind_from_against(pop.against) == pop.kind


def test_real_profiles_of_two_families_with_and_without_the_profiles(shared_data, tmp_path):
    """44 kefir MetaPhlAn 3 and 6 Zeller mOTUs profiles in one run: the pages show scores.tsv's percentiles."""
    zeller = sorted((shared_data / "profiles" / "zeller2014_motus3_controls" / "profiles").iterdir())[:6]
    out = tmp_path / "results"
    inputs = [str(shared_data / "profiles" / "kefir_metaphlan3"), *map(str, zeller)]
    _run(["analyze", *inputs, "-o", str(out), "--reports", "none", "--jobs", "1"])
    against = {s: e.get("percentiles_against", "") for s, e in
               json.loads((out / "scores.json").read_text(encoding="utf-8"))["samples"].items()}
    assert {a.split(" runs")[0].split("healthy ")[-1] for a in against.values()} == {"MetaPhlAn", "mOTUs"}
    _run(["report", str(out), "--no-figures"])
    checked = assert_pages_show_saved_percentiles(out)
    assert checked > 500
    _run(["analyze", *inputs, "-o", str(out), "--jobs", "1"])  # the reports, and cohort.h5ad, this time
    assert (out / "cohort.h5ad").exists()
    assert assert_pages_show_saved_percentiles(out) == checked
