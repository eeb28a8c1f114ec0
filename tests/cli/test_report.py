"""``gutbalance report`` on results saved without reports or metadata
(``analyze --reports none``): metadata given afterwards, named columns
checked before any page is written."""

from __future__ import annotations

import json

from click.testing import CliRunner

from gutbalance.cli import main
from tests.helpers import SMALL_COMMUNITY, write_metaphlan


def analyzed(tmp_path, metadata: str, *options: str):
    """Four MetaPhlAn samples S1-S4 scored into ``tmp_path/results`` with ``metadata`` (CSV text)."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    for k, scale in enumerate([1.0, 0.8, 1.2, 0.9], start=1):
        write_metaphlan(folder / f"S{k}_metaphlan.txt", {t: v * scale ** i for i, (t, v) in enumerate(SMALL_COMMUNITY.items())})
    meta = tmp_path / "metadata.csv"
    meta.write_text(metadata, encoding="utf-8")
    out = tmp_path / "results"
    result = CliRunner().invoke(main, ["analyze", str(folder), "--metadata", str(meta), *options, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out, meta


def scored_without_reports(tmp_path):
    return analyzed(tmp_path, "sample,arm\nS1,fibre\nS2,fibre\nS3,placebo\nS4,placebo\n", "--reports", "none")


def test_report_groups_results_saved_without_metadata_once_it_is_given(tmp_path):
    out, meta = scored_without_reports(tmp_path)
    refused = CliRunner().invoke(main, ["report", str(out), "--group-by", "arm", "--no-figures"])
    assert refused.exit_code != 0
    assert "these results hold none" in refused.output
    assert "gutbalance report --metadata FILE" in refused.output
    assert "Traceback" not in refused.output
    assert not (out / "report.html").exists()
    assert not (out / "samples").exists()
    aged = CliRunner().invoke(main, ["report", str(out), "--age-column", "age_days:days", "--no-figures"])
    assert aged.exit_code != 0
    assert "no sample metadata to find 'age_days' in: these results hold none" in aged.output
    # --group-column, as analyze spells it, is the same option (it was refused)
    result = CliRunner().invoke(main, ["report", str(out), "--metadata", str(meta), "--group-column", "arm", "--no-figures"])
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "placebo" in page
    assert "fibre" in page


def test_report_refuses_a_group_column_the_metadata_does_not_have(tmp_path):
    out, meta = scored_without_reports(tmp_path)
    result = CliRunner().invoke(main, ["report", str(out), "--metadata", str(meta), "--group-by", "Arm", "--no-figures"])
    assert result.exit_code != 0
    assert "no metadata column 'Arm' to compare groups by (columns: arm)" in result.output
    assert not (out / "report.html").exists()


def test_metadata_naming_no_scored_sample_is_said_with_or_without_reports(tmp_path):
    out, _ = scored_without_reports(tmp_path)
    other = tmp_path / "other.csv"
    other.write_text("id,arm\nX1,fibre\nX2,placebo\n", encoding="utf-8")
    folder = tmp_path / "profiles"
    analyzed = CliRunner().invoke(main, ["analyze", str(folder), "--metadata", str(other), "--reports", "none",
                                         "-o", str(tmp_path / "again")])
    assert analyzed.exit_code == 0, analyzed.output
    assert "the metadata names none of the 4 scored samples" in analyzed.output
    reported = CliRunner().invoke(main, ["report", str(out), "--metadata", str(other), "--no-figures"])
    assert reported.exit_code == 0, reported.output
    assert "the metadata names none of the 4 scored samples" in reported.output


def test_the_sample_column_is_chosen_where_several_could_name_the_samples(tmp_path):
    out, _ = scored_without_reports(tmp_path)
    # a run table: 'sample' names the person and repeats, 'run' is no column here, 'profile' names the files' samples
    meta = tmp_path / "runs.csv"
    meta.write_text("sample,profile,arm\nP1,S1,fibre\nP1,S2,fibre\nP2,S3,placebo\nP2,S4,placebo\n", encoding="utf-8")
    # found alone: the first unique column would be 'profile', but say so explicitly as a lab would
    result = CliRunner().invoke(main, ["report", str(out), "--metadata", str(meta), "--sample-column", "profile",
                                       "--group-by", "arm", "--no-figures"])
    assert result.exit_code == 0, result.output
    assert "placebo" in (out / "report.html").read_text(encoding="utf-8")
    folder = tmp_path / "profiles"
    analyzed = CliRunner().invoke(main, ["analyze", str(folder), "--metadata", str(meta), "--sample-column", "arm",
                                         "--reports", "none", "-o", str(tmp_path / "again")])
    assert analyzed.exit_code != 0
    assert "sample 'fibre' appears more than once" in analyzed.output
    validated = CliRunner().invoke(main, ["validate", str(out), "--metadata", str(meta), "--sample-column", "profile",
                                          "--label", "arm=fibre", "--bootstrap", "20", "-o", str(tmp_path / "v")])
    assert validated.exit_code == 0, validated.output
    assert "2 label vs 2 against samples" in validated.output


def _aged_run(tmp_path):
    # S1 an infant (508 days), S2 on the shipped MetaPhlAn population's youngest age (6 years), S3 an adult,
    # S4 no age; the unit is the option's, not the column name's
    out, _ = analyzed(tmp_path, "sample,age_days\nS1,508\nS2,2191.5\nS3,18000\nS4,NA\n",
                      "--age-column", "age_days:days", "--reports", "all")
    return out


def _page(out, sample):
    return (out / "samples" / f"{sample}.html").read_text(encoding="utf-8")


def test_age_column_notes_samples_outside_the_reference_ages_and_report_keeps_it(tmp_path):
    out = _aged_run(tmp_path)
    scores_before = (out / "scores.tsv").read_bytes()
    infant = _page(out, "S1")
    assert "Read with care.</strong> This person is 1.4 years old; the healthy reference people were 6-84 years old" in infant
    assert "(ages known for 373 of 461 people)" in infant
    assert "doi:10.1038/nature11053" in infant
    assert "doi:10.1038/s41586-018-0617-x" in infant
    for sample in ("S2", "S3", "S4"):  # on the range's end, inside, no age
        assert "This person is" not in _page(out, sample)
    cohort = (out / "report.html").read_text(encoding="utf-8")
    assert "1 of 4 samples (1 has no age) are of people outside the ages" in cohort
    assert json.loads((out / "report_settings.json").read_text(encoding="utf-8"))["age_column"] == "age_days:days"
    # gutbalance report DIR renders from the saved settings: the note stays, the scores do not move
    result = CliRunner().invoke(main, ["report", str(out), "--no-figures"])
    assert result.exit_code == 0, result.output
    assert "This person is 1.4 years old" in _page(out, "S1")
    assert (out / "scores.tsv").read_bytes() == scores_before
    # --age-column on report replaces the saved one; its unit is the option's (years), never the column name's
    result = CliRunner().invoke(main, ["report", str(out), "--no-figures", "--age-column", "age_days"])
    assert result.exit_code == 0, result.output
    assert "This person is 508 years old" in _page(out, "S1")
    assert "3 of 4 samples (1 has no age) are of people outside the ages" in (out / "report.html").read_text(encoding="utf-8")
    assert json.loads((out / "report_settings.json").read_text(encoding="utf-8"))["age_column"] == "age_days"


def test_without_an_age_column_no_page_speaks_of_ages(tmp_path):
    out, meta = scored_without_reports(tmp_path)
    result = CliRunner().invoke(main, ["report", str(out), "--metadata", str(meta), "--no-figures"])
    assert result.exit_code == 0, result.output
    assert "This person is" not in _page(out, "S1")
    assert json.loads((out / "report_settings.json").read_text(encoding="utf-8"))["age_column"] is None


def test_report_refuses_an_age_column_the_metadata_lacks(tmp_path):
    out, meta = scored_without_reports(tmp_path)
    result = CliRunner().invoke(main, ["report", str(out), "--metadata", str(meta), "--age-column", "age", "--no-figures"])
    assert result.exit_code != 0
    assert "no metadata column 'age' to read ages from (columns: arm" in result.output
    assert "Traceback" not in result.output


def test_metadata_given_again_replaces_the_columns_saved_at_analyze(tmp_path):
    # fault (outside check): `report --metadata NEW` kept the saved value of every column analyze had joined,
    # so a corrected day was ignored without a word while a column only the new file had was read
    import re

    out, meta = analyzed(tmp_path, "sample,person,day\nS1,A,1\nS2,A,2\nS3,A,3\nS4,A,4\n",
                         "--subject-column", "person", "--time-column", "day", "--no-figures")

    def days(page):
        return re.findall(r'<td class="when">([^<]*)</td><td class="name"><a href="../samples/(S\d).html"', page)

    assert days((out / "subjects" / "A.html").read_text(encoding="utf-8")) == [
        ("1", "S1"), ("2", "S2"), ("3", "S3"), ("4", "S4")]
    corrected = tmp_path / "corrected.csv"
    corrected.write_text("sample,person,day,source_file\nS1,A,1,x\nS2,A,5,x\nS3,A,3,x\nS4,A,4,x\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(out), "--metadata", str(corrected), "--subject-column", "person",
                                       "--time-column", "day", "--no-figures"])
    assert result.exit_code == 0, result.output
    assert days((out / "subjects" / "A.html").read_text(encoding="utf-8")) == [
        ("1", "S1"), ("3", "S3"), ("4", "S4"), ("5", "S2")]
    # what the profiles give is not metadata's to replace
    page = (out / "samples" / "S1.html").read_text(encoding="utf-8")
    assert "S1_metaphlan.txt" in page


def test_metadata_rows_without_a_scored_sample_are_said(tmp_path):
    # fault (outside check): metadata rows whose profile was not given or not read were not mentioned, and a
    # subject's timeline went from 4 samples to 2 without a word
    out, meta = analyzed(tmp_path, "sample,arm\nS1,fibre\nS2,fibre\nS3,placebo\nS4,placebo\nS5,placebo\nS6,fibre\n",
                         "--reports", "none")
    result = CliRunner().invoke(main, ["report", str(out), "--metadata", str(meta), "--no-figures"])
    assert result.exit_code == 0, result.output
    assert "note: 2 metadata row(s) name no scored sample (S5, S6): profiles not given, not read" in result.output
