import json
import os
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from gutbalance.cli import main
from gutbalance.report.files import read_scores
from tests.helpers import SMALL_COMMUNITY, metaphlan_text, write_metaphlan
from tests.indices.test_sample_type import TONGUE


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_analyze_example(tmp_path):
    result = run("analyze", "--example", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    scores = read_scores(tmp_path / "out" / "scores.tsv")
    assert len(scores) == 3
    assert {"richness", "shannon"} <= set(scores.columns)
    # The example profiles are relative abundances: only chao1 (it needs read
    # counts) is missing, and the reason says so.
    assert scores["missing"].str.fullmatch(r"chao1: the input gives relative abundances[^;]*").all()
    numbers = scores.drop(columns=["diversity_rank", "stool_like", "missing", "warnings", "chao1"])
    assert not numbers.isna().any().any()
    assert scores["chao1"].isna().all()
    assert (scores["diversity_rank"] == "species").all()
    # Missing values are written as NA, one spelling everywhere.
    text = (tmp_path / "out" / "scores.tsv").read_text()
    assert "\tnan" not in text.lower()


def _two_profiles(tmp_path):
    """A folder of two small MetaPhlAn profiles, a and b."""
    folder = tmp_path / "in"
    folder.mkdir()
    write_metaphlan(folder / "a.txt")
    write_metaphlan(folder / "b.txt", unknown=10.0)
    return folder


def test_figures_are_exported_on_request_and_kept_by_a_re_rendering(tmp_path):
    # The exported SVG/PNG figures (for papers and slides) cost most of a small
    # rendering's time; the pages draw their own charts, so figures are asked for.
    folder = _two_profiles(tmp_path)
    plain, drawn = tmp_path / "plain", tmp_path / "drawn"
    assert run("analyze", folder, "-o", plain, "-j", "1").exit_code == 0
    assert (plain / "report.html").exists()
    assert not (plain / "figures").exists()
    assert "figures/immune_support.svg" not in (plain / "report.html").read_text(encoding="utf-8")

    assert run("analyze", folder, "-o", drawn, "-j", "1", "--figures").exit_code == 0
    assert {p.name for p in (drawn / "figures").iterdir()} >= {"immune_support.svg", "immune_support.png"}
    assert "figures/immune_support.svg" in (drawn / "report.html").read_text(encoding="utf-8")
    # a re-rendering keeps the saved choice; --no-figures removes what the last one drew
    assert run("report", drawn).exit_code == 0
    assert (drawn / "figures" / "immune_support.png").exists()
    result = run("report", drawn, "--no-figures")
    assert result.exit_code == 0, result.output
    assert not (drawn / "figures" / "immune_support.png").exists()
    assert "figures/immune_support.svg" not in (drawn / "report.html").read_text(encoding="utf-8")
    assert run("report", drawn).exit_code == 0
    assert not (drawn / "figures" / "immune_support.png").exists()


def test_bad_files_are_listed_and_good_ones_scored(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_metaphlan(folder / "good1.txt")
    write_metaphlan(folder / "good2.txt", unknown=10.0)
    text = (folder / "good1.txt").read_text()
    (folder / "truncated.txt").write_text(text[: len(text) // 2 + 7])
    (folder / "empty.txt").write_text("")
    (folder / "binary.bin").write_bytes(bytes(range(256)) * 8)
    result = run("analyze", folder, "-o", tmp_path / "out")
    assert result.exit_code == 1
    scores = pd.read_csv(tmp_path / "out" / "scores.tsv", sep="\t", index_col=0)
    assert sorted(scores.index) == ["good1", "good2"]
    problems = pd.read_csv(tmp_path / "out" / "problems.tsv", sep="\t")
    errors = problems[problems.severity == "error"]
    assert sorted(errors.file.map(lambda f: f.rsplit("/", 1)[-1])) == ["binary.bin", "empty.txt", "truncated.txt"]
    assert errors.message.str.len().min() > 10


def test_a_pipe_and_a_name_of_megabytes_are_problems_and_the_good_file_is_scored(tmp_path):
    # faults: a 50 MB taxon name asked for 58 GiB when the cohort was built and lost every
    # file of the run; a shell's <(cat FILE) crashed the run (not seekable); a named pipe,
    # peeked at and then opened again, waited for a writer for good
    folder = tmp_path / "in"
    folder.mkdir()
    write_metaphlan(folder / "good.txt")
    long_name = "k__Bacteria|p__Bacillota|s__" + "A" * 20_000
    write_metaphlan(folder / "long.txt", {**SMALL_COMMUNITY, long_name: 1.0})
    os.mkfifo(folder / "pipe.txt")
    os.mkfifo(tmp_path / "named.txt")
    done = subprocess.run([sys.executable, "-m", "gutbalance", "analyze", folder, tmp_path / "named.txt",
                           "-o", tmp_path / "out", "--reports", "none"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert list(read_scores(tmp_path / "out" / "scores.tsv").index) == ["good"]
    problems = pd.read_csv(tmp_path / "out" / "problems.tsv", sep="\t").set_index("file")["message"]
    problems.index = problems.index.map(lambda f: f.rsplit("/", 1)[-1])
    assert "a taxon of 20,000 characters" in problems["long.txt"]
    assert "pipe" in problems["pipe.txt"]
    assert "pipe" in problems["named.txt"]


def test_problems_name_the_file_once_then_line_and_field(tmp_path):
    # problems.tsv has the file in its own column; the message went on to
    # repeat it ("bad.txt: bad.txt, line 5, field ...") before the line.
    folder = tmp_path / "in"
    folder.mkdir()
    write_metaphlan(folder / "good.txt")
    lines = write_metaphlan(folder / "bad.txt").read_text().splitlines(keepends=True)
    row = next(i for i, line in enumerate(lines) if line.startswith("k__") and "|" in line)
    fields = lines[row].split("\t")
    fields[2] = "abc"
    lines[row] = "\t".join(fields)
    (folder / "bad.txt").write_text("".join(lines))
    run("analyze", folder, "-o", tmp_path / "out", "--reports", "none")
    problems = pd.read_csv(tmp_path / "out" / "problems.tsv", sep="\t")
    (message,) = problems.loc[problems.file.str.endswith("bad.txt"), "message"]
    assert message.startswith(f"line {row + 1}, field "), message
    assert "bad.txt" not in message


def test_a_commands_warning_is_one_line_not_pythons_form(tmp_path):
    # convert, simulate, kb coverage printed a data warning as Python does:
    # the path of gutbalance/io/__init__.py, then that module's source line.
    (tmp_path / "low.csv").write_text("taxon,S1,S2\ns__Escherichia coli,0.5,0.2\ns__Bacteroides fragilis,0.5,\n")
    result = CliRunner().invoke(main, ["convert", str(tmp_path / "low.csv"), "-o", str(tmp_path / "x.h5ad")])
    assert result.exit_code == 0, result.output
    assert "gutbalance: warning: " in result.output
    assert "add up to 20.00 %" in result.output
    assert "__init__.py" not in result.output
    assert "return " not in result.output


def test_nothing_readable_exits_2(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    result = run("analyze", tmp_path / "empty.txt", "-o", tmp_path / "out")
    assert result.exit_code == 2


def test_missing_input_is_one_line_error(tmp_path):
    result = CliRunner().invoke(main, ["convert", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "x.h5ad")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "no such file" in result.output


@pytest.mark.shared
def test_kefir_with_bad_files(shared_data, tmp_path):
    folder = tmp_path / "kefir"
    shutil.copytree(shared_data / "profiles" / "kefir_metaphlan3", folder)
    text = (folder / "Subj001_time1_S1_metaphlan3.txt").read_text()
    (folder / "zz_truncated.txt").write_text(text[: len(text) // 3 + 5])
    (folder / "zz_empty.txt").write_text("")
    (folder / "zz_binary.dat").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    result = run("analyze", folder, "-o", tmp_path / "out")
    assert result.exit_code == 1
    scores = pd.read_csv(tmp_path / "out" / "scores.tsv", sep="\t", index_col=0)
    assert len(scores) == 44
    problems = pd.read_csv(tmp_path / "out" / "problems.tsv", sep="\t")
    assert (problems.severity == "error").sum() == 3


def test_folders_are_searched_below_their_first_level_and_report_rerenders_timelines(tmp_path):
    study = tmp_path / "study"
    (study / "profiles" / "visit1").mkdir(parents=True)
    (study / "profiles" / "visit2").mkdir(parents=True)
    write_metaphlan(study / "profiles" / "visit1" / "p1_v1.txt")
    write_metaphlan(study / "profiles" / "visit2" / "p1_v2.txt", unknown=10.0)
    write_metaphlan(study / "profiles" / "visit1" / "p2_v1.txt", unknown=20.0)
    meta = study / "metadata.tsv"  # among the profiles: not read as one
    meta.write_text("sample\tperson\tvisit\np1_v1\tp1\t1\np1_v2\tp1\t2\np2_v1\tp2\t1\n")
    out = study / "results"  # inside the input folder: left out too
    result = run("analyze", study, "-o", out, "--metadata", meta, "--subject-column", "person", "--time-column", "visit")
    assert result.exit_code == 0, result.output
    assert sorted(read_scores(out / "scores.tsv").index) == ["p1_v1", "p1_v2", "p2_v1"]
    assert pd.read_csv(out / "problems.tsv", sep="\t").empty
    timeline = out / "subjects" / "p1.html"
    assert timeline.exists()
    timeline.unlink()
    (out / "report.html").unlink()
    # `report DIR` finds the subject column again (saved with the results).
    again = run("report", out)
    assert again.exit_code == 0, again.output
    assert timeline.exists()
    assert (out / "report.html").exists()
    # A second analyze into the same folder does not read its own outputs.
    result = run("analyze", study, "-o", out, "--metadata", meta)
    assert result.exit_code == 0, result.output
    assert len(read_scores(out / "scores.tsv")) == 3


def test_metadata_with_samples_as_columns_gives_timelines(tmp_path):
    # bioBakery's and MaAsLin's layout (HMP2_metadata_subset.tsv of the
    # bioBakery tutorial): one column per sample, one row per field.  Before,
    # --subject-column failed listing every sample as a "column".
    for name, unknown in (("p1_a", 0.0), ("p1_b", 10.0), ("p2_a", 20.0)):
        write_metaphlan(tmp_path / f"{name}.txt", unknown=unknown)
    meta = tmp_path / "meta.tsv"
    meta.write_text("sample\tp1_a\tp1_b\tp2_a\nsubject\tP1\tP1\tP2\nvisit\tV10\tV2\tV1\nage\t43\t43\tNA\n")
    out = tmp_path / "out"
    result = run("analyze", *(tmp_path / f"{n}.txt" for n in ("p1_a", "p1_b", "p2_a")), "-o", out,
                 "--metadata", meta, "--subject-column", "subject", "--time-column", "visit")
    assert result.exit_code == 0, result.output
    assert "timelines -> " in result.output
    assert "(1 subject with two or more samples)" in result.output
    page = (out / "subjects" / "P1.html").read_text()
    assert page.index("p1_b") < page.index("p1_a")  # V2 before V10
    assert "visit</th>" in page
    # without a column named, the layout cannot be told from the table alone: said, with what to do
    result = run("analyze", *(tmp_path / f"{n}.txt" for n in ("p1_a", "p1_b", "p2_a")), "-o", tmp_path / "plain",
                 "--metadata", meta)
    assert result.exit_code == 0, result.output
    assert "the scored samples are the columns of the metadata table" in result.output
    assert "its rows: subject, visit, age" in result.output


def test_two_arms_of_one_person_are_warned_about_and_split_by_person_comma_arm(tmp_path):
    names = ("a0", "a1", "b0", "b1")
    for i, name in enumerate(names):
        write_metaphlan(tmp_path / f"{name}.txt", unknown=5.0 * i)
    meta = tmp_path / "meta.tsv"
    meta.write_text("sample\tperson\tarm\tday\na0\tp\tplant\t0\na1\tp\tplant\t1\n"
                    "b0\tp\tanimal\t0\nb1\tp\tanimal\tNA\n")
    files = [tmp_path / f"{n}.txt" for n in names]
    result = run("analyze", *files, "-o", tmp_path / "one", "--metadata", meta, "--subject-column", "person",
                 "--time-column", "day")
    assert result.exit_code == 0, result.output
    assert "1 subject has two or more samples at the same time (subject p: a0, b0 at 0)" in result.output
    assert "1 sample has no day and is left out" in result.output
    page = (tmp_path / "one" / "subjects" / "p.html").read_text()
    assert "Two or more samples share a day" in page
    assert "Left out, no day given" in page
    result = run("analyze", *files, "-o", tmp_path / "arms", "--metadata", meta, "--subject-column", "person,arm",
                 "--time-column", "day")
    assert result.exit_code == 0, result.output
    assert "same time" not in result.output
    assert "(1 subject with two or more samples)" in result.output  # p / animal has one timed sample
    result = run("analyze", *files, "-o", tmp_path / "typo", "--metadata", meta, "--subject-column", "person,arms")
    assert result.exit_code == 2
    assert "no column 'arms'" in result.output


def test_metadata_that_names_no_scored_sample_is_said(tmp_path):
    write_metaphlan(tmp_path / "s1.txt")
    write_metaphlan(tmp_path / "s2.txt", unknown=5.0)
    meta = tmp_path / "meta.tsv"
    meta.write_text("sample\tperson\nS1_R1\tp1\nS2_R1\tp1\n")  # run ids, not the profile names
    result = run("analyze", tmp_path / "s1.txt", tmp_path / "s2.txt", "-o", tmp_path / "out", "--metadata", meta,
                 "--subject-column", "person")
    assert result.exit_code == 0, result.output
    assert "the metadata names none of the 2 scored samples" in result.output
    assert "no timeline: no subject has two or more samples with a time" in result.output
    meta.write_text("sample\tperson\ns1\tp1\n")
    result = run("analyze", tmp_path / "s1.txt", tmp_path / "s2.txt", "-o", tmp_path / "out2", "--metadata", meta,
                 "--subject-column", "person")
    assert "1 of 2 scored samples have no row in the metadata (s2)" in result.output


def test_a_typo_in_a_metadata_column_is_reported_before_scoring(tmp_path, monkeypatch):
    import gutbalance.cli.analyze as analyze_cli

    write_metaphlan(tmp_path / "s1.txt")
    meta = tmp_path / "meta.tsv"
    meta.write_text("sample\tperson\ns1\tp1\n")

    def no_scoring(*args, **kwargs):
        raise AssertionError("scoring started before the metadata columns were checked")

    monkeypatch.setattr(analyze_cli, "run", no_scoring)
    result = CliRunner().invoke(main, ["analyze", str(tmp_path / "s1.txt"), "-o", str(tmp_path / "out"),
                                       "--metadata", str(meta), "--subject-column", "persn"])
    assert result.exit_code == 2
    assert "no column 'persn'" in result.output
    assert "person" in result.output
    result = CliRunner().invoke(main, ["analyze", str(tmp_path / "s1.txt"), "-o", str(tmp_path / "out"),
                                       "--subject-column", "person"])
    assert result.exit_code == 2
    assert "needs --metadata" in result.output


@pytest.mark.shared
def test_reference_build_works_on_the_shipped_zeller_files_with_its_defaults(shared_data, tmp_path):
    from gutbalance.reference import Reference

    folder = shared_data / "profiles" / "zeller2014_motus3_controls"
    out = tmp_path / "zeller.json"
    result = run("reference", "build", folder, "--metadata", folder / "metadata.tsv", "--group", "diagnosis=control",
                 "-o", out)
    assert result.exit_code == 0, result.output
    ref = Reference.load(out)
    assert ref.primary.characteristics["n_profiles"] == 457
    assert ref.primary.kind == {"profiler": "mOTUs", "rank": "species"}


def test_diversity_rank_fixes_one_rank_for_the_study_and_a_resumed_run_follows_it(tmp_path):
    # A 16S genus table: s1 resolves genus, s2 names species for most of its reads, s3 only families.
    F = "k__Bacteria;p__Firmicutes;c__Clostridia;o__Clostridiales"
    B = "k__Bacteria;p__Bacteroidetes;c__Bacteroidia;o__Bacteroidales;f__Bacteroidaceae"
    rows = [
        (f"{F};f__Ruminococcaceae;g__Faecalibacterium", 300, 0, 0),
        (f"{B};g__Bacteroides", 400, 100, 0),
        (f"{F};f__Lachnospiraceae;g__Roseburia", 300, 300, 0),
        (f"{B};g__Bacteroides;s__vulgatus", 0, 600, 0),
        (f"{F};f__Lachnospiraceae", 0, 0, 700),
        (f"{F};f__Ruminococcaceae", 0, 0, 300),
    ]
    table = tmp_path / "in" / "genus_table.tsv"
    table.parent.mkdir()
    table.write_text("taxonomy\ts1\ts2\ts3\n" + "".join(f"{t}\t{a}\t{b}\t{c}\n" for t, a, b, c in rows))
    out = tmp_path / "out"
    result = run("analyze", table, "-o", out, "--reports", "none", "-j", "1")
    assert result.exit_code == 0, result.output
    auto = read_scores(out / "scores.tsv")
    assert auto["diversity_rank"].to_dict() == {"s1": "genus", "s2": "species", "s3": "family"}
    result = run("analyze", table, "-o", out, "--reports", "none", "-j", "1", "--diversity-rank", "genus")
    assert result.exit_code == 0, result.output
    assert "reused" not in result.output  # the rank is part of what a saved part was made from
    genus = read_scores(out / "scores.tsv")
    assert genus["diversity_rank"].to_dict() == {"s1": "genus", "s2": "genus", "s3": ""}
    assert genus.loc["s2", "richness"] == 2  # Bacteroides and Roseburia
    assert pd.isna(genus.loc["s3", "shannon"])
    assert "shannon: less than half of the classified abundance is named at genus rank" in genus.loc["s3", "missing"]
    # the fixed rank keeps each sample's own resolution beside it, for its percentiles
    assert genus["resolved_rank"].to_dict() == auto["diversity_rank"].to_dict()
    assert "resolved_rank" not in auto.columns
    assert genus.loc["s1"].drop("resolved_rank").equals(auto.loc["s1"])
    result = run("analyze", table, "-o", tmp_path / "x", "--diversity-rank", "genera")
    assert result.exit_code == 2
    assert "'genera' is not one of 'auto', 'species', 'genus'" in result.output


DIVERSITY_PERCENTILES = ["richness_percentile", "shannon_percentile", "simpson_percentile",
                         "inverse_simpson_percentile", "evenness_percentile"]


def test_a_metaphlan_sample_run_at_genus_keeps_every_percentile_but_its_diversitys(tmp_path):
    # A MetaPhlAn species-level profile run with --diversity-rank genus: its
    # pillars, GMHI and GMWI2 are those of a default run, and so are their
    # percentiles (its population is still the species-level MetaPhlAn one);
    # its genus diversity is not ranked against species diversity.
    folder = _two_profiles(tmp_path)
    default, genus = tmp_path / "default", tmp_path / "genus"
    assert run("analyze", folder, "-o", default, "-j", "1").exit_code == 0
    result = run("analyze", folder, "-o", genus, "-j", "1", "--diversity-rank", "genus")
    assert result.exit_code == 0, result.output
    auto = read_scores(default / "scores.tsv", percentiles=True)
    fixed = read_scores(genus / "scores.tsv", percentiles=True)
    assert (fixed["diversity_rank"] == "genus").all()
    assert (fixed["resolved_rank"] == "species").all()
    others = [c for c in auto.columns if c.endswith("_percentile") and c not in DIVERSITY_PERCENTILES]
    assert {"immune_support_percentile", "training_percentile", "gmhi_percentile", "gmwi2_percentile"} <= set(others)
    assert auto[others].notna().all().all()
    assert fixed[others].equals(auto[others])  # byte-equal figures, read back exactly
    assert auto[DIVERSITY_PERCENTILES].notna().all().all()
    assert fixed[DIVERSITY_PERCENTILES].isna().all().all()
    for warnings in fixed["warnings"]:
        assert "diversity at genus rank; the healthy population's diversity is at species rank" in warnings
        assert "percentiles not comparable" not in warnings
        assert "genus-level" not in warnings
    json_warnings = json.loads((genus / "scores.json").read_text())["samples"]["a"]["warnings"]
    assert any(w.startswith("diversity at genus rank") for w in json_warnings)

    # gutbalance report re-renders from the saved results: with the profiles
    # (cohort.h5ad) and without them, the pages agree with the table.
    def pages(out):
        html = (out / "samples" / "a.html").read_text() if (out / "samples" / "a.html").exists() else ""
        return html, (out / "report.html").read_text()

    assert run("report", genus).exit_code == 0
    with_profiles = pages(genus)
    (genus / "cohort.h5ad").unlink()
    assert run("report", genus).exit_code == 0
    without_profiles = pages(genus)
    for sample_page, cohort_page in (with_profiles, without_profiles):
        # each diversity card says why it has no percentile; the pillars' cards have theirs
        assert sample_page.count("No percentile: diversity at genus rank; the healthy population&#39;s diversity "
                                 "is at species rank") == 5
        assert "No percentile: percentiles not comparable" not in sample_page
        assert sample_page.count('class="percentile">Percentile ') >= 8
        assert "genus-level" not in sample_page
        assert "genus-level" not in cohort_page


def test_each_sample_report_lists_what_reading_its_file_warned_of(tmp_path):
    """problems.tsv's warnings reach the per-sample pages, in words for their
    reader: a total far from 100 % on its sample's page alone, a file's own
    warning on the page of each of its samples, none on a clean sample's."""
    folder = tmp_path / "in"
    folder.mkdir()
    write_metaphlan(folder / "clean.txt")
    write_metaphlan(folder / "fractions.txt", {k: v / 100 for k, v in SMALL_COMMUNITY.items()})
    (folder / "genus_table.tsv").write_text(
        "taxon\tA\tB\n"
        "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides\t50.5\t40\n"
        "\t10\t10\n"
        "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Blautia\t39.5\t50\n"
    )
    out = tmp_path / "out"
    result = run("analyze", folder, "-o", out, "--reports", "all")
    assert result.exit_code == 0, result.output
    problems = pd.read_csv(out / "problems.tsv", sep="\t")
    assert len(problems) == 2
    assert set(problems.severity) == {"warning"}

    def said(sample: str) -> str:
        page = (out / "samples" / f"{sample}.html").read_text()
        block = re.search(r'<section class="notice read-warnings".*?</section>', page, re.S)
        return " ".join(re.sub(r"<[^>]+>", " ", block.group(0)).split()) if block else ""

    fractions = said("fractions")
    assert "Something in the file was unusual." in fractions
    assert "In the file fractions.txt: abundances add up to 1, not 100" in fractions
    assert "sample 'fractions'" not in fractions
    for sample in ("A", "B"):
        assert "In the file genus_table.tsv: 1 row(s) without a taxon name (lines 3) are counted as unassigned" in said(sample)
        assert "fractions.txt" not in said(sample)
    assert said("clean") == ""


def test_age_column_is_checked_before_scoring(tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    write_metaphlan(folder / "S1_metaphlan.txt", SMALL_COMMUNITY)
    needs = CliRunner().invoke(main, ["analyze", str(folder), "--age-column", "age", "-o", str(tmp_path / "a")])
    assert needs.exit_code == 2
    assert "--age-column 'age' needs --metadata" in needs.output
    meta = tmp_path / "metadata.csv"
    meta.write_text("sample,age_months\nS1,18\n", encoding="utf-8")
    misnamed = CliRunner().invoke(main, ["analyze", str(folder), "--metadata", str(meta), "--age-column", "age:months",
                                         "-o", str(tmp_path / "b")])
    assert misnamed.exit_code == 2
    assert "no column 'age'" in misnamed.output
    assert not (tmp_path / "b" / "scores.tsv").exists()


def test_an_unknown_format_is_one_usage_error_before_any_reading(tmp_path):
    folder = _two_profiles(tmp_path)
    result = CliRunner().invoke(main, ["analyze", str(folder), "-o", str(tmp_path / "out"), "--format", "metaphlan4"])
    assert result.exit_code == 2
    assert result.output.count("unknown format 'metaphlan4'") == 1
    assert not (tmp_path / "out").exists()


def test_an_empty_folder_is_named_with_its_problem(tmp_path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "sub" / ".hidden").write_text("x")
    good = _two_profiles(tmp_path)
    result = CliRunner().invoke(main, ["analyze", str(tmp_path / "empty"), str(good), "-o", str(tmp_path / "out"),
                                       "--reports", "none"])
    assert result.exit_code == 1
    problems = pd.read_csv(tmp_path / "out" / "problems.tsv", sep="\t")
    assert problems.values.tolist() == [[str(tmp_path / "empty"), "error", "the folder holds no file to read (hidden "
                                         "files, the --metadata table and the output folder are left out)"]]
    assert len(read_scores(tmp_path / "out" / "scores.tsv")) == 2


def test_the_metadata_table_is_left_out_when_its_folder_is_reached_through_a_link(tmp_path):
    folder = _two_profiles(tmp_path)
    pd.DataFrame({"sample": ["a", "b"], "group": ["x", "y"]}).to_csv(folder / "meta.tsv", sep="\t", index=False)
    (tmp_path / "link").symlink_to(folder, target_is_directory=True)
    result = run("analyze", tmp_path / "link", "-o", tmp_path / "out", "--metadata", folder / "meta.tsv", "--reports", "none")
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "out" / "problems.tsv", sep="\t").empty


def test_an_age_column_with_an_unknown_unit_says_the_unit_is_wrong(tmp_path):
    folder = _two_profiles(tmp_path)
    meta = tmp_path / "meta.tsv"
    meta.write_text("sample\tage\na\t30\nb\t40\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", str(folder), "-o", str(tmp_path / "out"), "--metadata", str(meta),
                                       "--age-column", "age:weeks"])
    assert result.exit_code == 2
    assert "'weeks' is not a unit of age: give years, months or days (age:months)" in result.output


def test_a_subject_left_without_a_timeline_and_a_pattern_matching_nothing_are_said(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a1", "a2", "b1", "b2"):
        write_metaphlan(folder / f"{name}.txt")
    meta = tmp_path / "meta.tsv"
    meta.write_text("sample\tperson\twk\na1\tA\t1\na2\tA\t\nb1\tB\t1\nb2\tB\t2\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", str(folder), "-o", str(tmp_path / "out"), "--metadata", str(meta),
                                       "--subject-column", "person", "--time-column", "wk", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert ("warning: 1 subject of two or more samples gets no timeline: fewer than two of their samples have a wk "
            "(subject A: a2 without one)") in result.stderr
    assert "(1 subject with two or more samples)" in result.stderr
    result = CliRunner().invoke(main, ["analyze", str(folder), "-o", str(tmp_path / "pattern"), "-j", "1",
                                       "--subject-pattern", r"Person(\d+)_v(\d+)"])
    assert result.exit_code == 0, result.output
    assert r"warning: --subject-pattern 'Person(\d+)_v(\d+)' matches none of the 4 sample names (e.g. 'a1')" in result.stderr
    assert "timelines ->" not in result.stderr


def test_a_second_run_into_a_folder_of_other_results_says_what_it_replaced(tmp_path):
    folder = _two_profiles(tmp_path)
    assert run("analyze", folder, "-o", tmp_path / "out", "--reports", "none").exit_code == 0
    other = tmp_path / "other"
    other.mkdir()
    write_metaphlan(other / "c.txt")
    result = CliRunner().invoke(main, ["analyze", str(other), "-o", str(tmp_path / "out"), "--reports", "none"])
    assert result.exit_code == 0, result.output
    assert (f"warning: {tmp_path / 'out'} held the scores of 2 sample(s) this run did not score (e.g. 'a'); its "
            "results are now this run's alone: give another -o to keep both") in result.stderr
    again = CliRunner().invoke(main, ["analyze", str(other), "-o", str(tmp_path / "out"), "--reports", "none"])
    assert "held the scores" not in again.stderr  # the same inputs again: nothing replaced


def test_a_run_that_reads_nothing_says_the_folders_scores_are_an_earlier_runs(tmp_path):
    # fault (an outside check): the earlier run's scores.tsv and pages stayed beside
    # the new problems.tsv without a word, a folder that looked complete
    folder = _two_profiles(tmp_path)
    assert run("analyze", folder, "-o", tmp_path / "out", "--reports", "none").exit_code == 0
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = CliRunner().invoke(main, ["analyze", str(empty), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert (f"note: {tmp_path / 'out' / 'scores.tsv'} and the pages beside it are an earlier run's (2 sample(s)), "
            "left as they were; problems.tsv is this run's") in result.stderr
    assert (tmp_path / "out" / "scores.tsv").exists()  # kept: a mistyped path must not cost the results
    fresh = CliRunner().invoke(main, ["analyze", str(empty), "-o", str(tmp_path / "fresh")])
    assert "earlier run" not in fresh.stderr


def test_the_terminal_says_when_problems_tsv_holds_warnings(tmp_path):
    # fault (an outside check): a profile cut short was scored with exit 0 and not a
    # word on the terminal; its warning lived only in problems.tsv
    lines = metaphlan_text(SMALL_COMMUNITY).splitlines(keepends=True)
    cut = tmp_path / "cut.txt"
    cut.write_text("".join(line for line in lines if "|s__" not in line))
    result = CliRunner().invoke(main, ["analyze", str(cut), "-o", str(tmp_path / "out"), "--reports", "none"])
    assert result.exit_code == 0, result.output
    problems = (tmp_path / "out" / "problems.tsv").read_text().splitlines()
    assert len(problems) >= 2
    assert f"warning: problems.tsv holds {len(problems) - 1} warning(s) about how the inputs read (first: {cut}:" in (
        result.stderr)
    clean = CliRunner().invoke(main, ["analyze", str(write_metaphlan(tmp_path / "ok.txt")), "-o", str(tmp_path / "ok"),
                                      "--reports", "none"])
    assert "problems.tsv holds" not in clean.stderr


def test_an_earlier_results_folder_inside_the_input_folder_is_not_read_as_profiles(tmp_path):
    folder = _two_profiles(tmp_path)
    assert run("analyze", folder, "-o", folder / "results").exit_code == 0
    result = run("analyze", folder, "-o", folder / "results_v2")
    assert result.exit_code == 0, result.output
    assert pd.read_csv(folder / "results_v2" / "problems.tsv", sep="\t").empty
    assert sorted(read_scores(folder / "results_v2" / "scores.tsv").index) == ["a", "b"]


def test_the_cohort_page_says_which_samples_do_not_look_like_stool(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_metaphlan(folder / "stool.txt")
    write_metaphlan(folder / "tongue.txt", TONGUE)
    result = run("analyze", folder, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    page = re.sub(r"\s+", " ", (tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
    assert ("<strong>Read with care: not stool.</strong> 1 of 2 samples (tongue) does not look like stool "
            "(<code>stool_like</code> False in <code>scores.tsv</code>") in page
    scores = read_scores(tmp_path / "out" / "scores.tsv")
    assert scores["stool_like"].astype(str).to_dict() == {"stool": "True", "tongue": "False"}


def test_a_timeline_says_which_samples_are_not_stool_and_which_scores_they_lack(tmp_path):
    # The timeline page showed a tongue sample and a one-species sample beside stool without a
    # word: its steps read "not known", its charts had gaps.
    write_metaphlan(tmp_path / "t0.txt")
    write_metaphlan(tmp_path / "t1.txt", TONGUE)
    single = {"k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Faecalibacterium|"
              "s__Faecalibacterium_prausnitzii": 100.0}
    write_metaphlan(tmp_path / "t2.txt", single)
    meta = tmp_path / "meta.tsv"
    meta.write_text("sample\tsubject\tday\nt0\tP\t0\nt1\tP\t7\nt2\tP\t14\n")
    out = tmp_path / "out"
    result = run("analyze", tmp_path / "t0.txt", tmp_path / "t1.txt", tmp_path / "t2.txt", "-o", out, "--no-figures",
                 "--metadata", meta, "--subject-column", "subject", "--time-column", "day")
    assert result.exit_code == 0, result.output
    page = (out / "subjects" / "P.html").read_text()
    assert "Read with care</th>" in page
    rows = {m.group(1): m.group(2) for m in re.finditer(r'html">(t\d)</a></td><td>([^<]*)</td>', page)}
    assert rows["t0"] == ""
    assert rows["t1"].startswith("does not look like stool")
    assert "no Evenness" in rows["t2"] or "no evenness" in rows["t2"].lower()
    assert "one taxon only" in rows["t2"]
    assert "no value at one of the two times (see Samples)" in page
