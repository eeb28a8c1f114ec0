import warnings

import pytest
from click.testing import CliRunner

import gutbalance
from gutbalance.cli import main
from tests.helpers import SMALL_COMMUNITY, assert_same_species, metaphlan_text, write_metaphlan
from tests.io.test_estimated_counts import _read_stats_profile


@pytest.mark.parametrize("suffix", [".biom", ".json", ".tsv", ".h5ad", ".csv", ".qza", ".profile"])
def test_convert_round_trips_species(tmp_path, suffix):
    src = write_metaphlan(tmp_path / "S1_metaphlan.txt", SMALL_COMMUNITY, unknown=25.0)
    out = tmp_path / f"cohort{suffix}"
    result = CliRunner().invoke(main, ["convert", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert_same_species(gutbalance.read(src), gutbalance.read(out) if suffix != ".h5ad" else gutbalance.read_h5ad(out))


def test_convert_metadata_is_kept_in_h5ad(tmp_path):
    src = write_metaphlan(tmp_path / "S1_metaphlan.txt")
    meta = tmp_path / "meta.tsv"
    meta.write_text("sample\tage\tsex\nS1\t42\tF\n")
    out = tmp_path / "c.h5ad"
    result = CliRunner().invoke(main, ["convert", str(src), "--metadata", str(meta), "-o", str(out)])
    assert result.exit_code == 0, result.output
    back = gutbalance.read_h5ad(out)
    assert back.samples.loc["S1", "age"] == 42
    assert back.samples.loc["S1", "sex"] == "F"


def test_unknown_output_suffix_is_a_clear_error(tmp_path):
    src = write_metaphlan(tmp_path / "S1.txt")
    result = CliRunner().invoke(main, ["convert", str(src), "-o", str(tmp_path / "x.xyz")])
    assert result.exit_code == 2
    assert "--to" in result.output


def test_convert_says_estimated_reads_are_not_written_as_counts(tmp_path):
    src = tmp_path / "S1_profile.txt"
    src.write_text(_read_stats_profile(), encoding="utf-8")
    result = CliRunner().invoke(main, ["convert", str(src), "-o", str(tmp_path / "t.biom")])
    assert result.exit_code == 0, result.output
    assert "read counts of 1 of 1 samples are a profiler's estimates (metaphlan)" in result.output
    result = CliRunner().invoke(main, ["convert", str(src), "-o", str(tmp_path / "t.h5ad")])
    assert result.exit_code == 0, result.output
    assert "estimates" not in result.output  # .h5ad keeps them, with the format that made them


def test_convert_leaves_out_a_bad_file_and_writes_the_others(tmp_path):
    good = write_metaphlan(tmp_path / "S1_metaphlan.txt")
    bad = tmp_path / "S2_metaphlan.txt"
    bad.write_text("#mpa_v30_CHOCOPhlAn_201901\nk__Bacteria\tnot-a-number\n", encoding="utf-8")
    out = tmp_path / "cohort.tsv"
    result = CliRunner().invoke(main, ["convert", str(good), str(bad), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "1 input(s) or sample(s) could not be used (left out; every other input was used):" in result.output
    assert str(bad) in result.output
    assert gutbalance.read(out).sample_names == ["S1"]
    assert_same_species(gutbalance.read(good), gutbalance.read(out))
    # nothing readable: no file written, status 2
    result = CliRunner().invoke(main, ["convert", str(bad), "-o", str(tmp_path / "none.tsv")])
    assert result.exit_code == 2, result.output
    assert "no input could be read" in result.output
    assert not (tmp_path / "none.tsv").exists()


def test_a_kraken_report_written_as_metaphlan_reads_back_as_kraken(tmp_path):
    # fault: a Kraken report converted to a merged MetaPhlAn table was headed
    # '#mpa_written_by_gutbalance' and read back as MetaPhlAn's: compared with
    # healthy MetaPhlAn runs, and called cut short (its genera hold reads of
    # their own, with no species beneath)
    from gutbalance.reference.comparability import profiler_family
    from tests.io.test_kraken import REPORT

    report = tmp_path / "S1.kreport"
    report.write_text(REPORT)
    merged, single = tmp_path / "merged.tsv", tmp_path / "single.txt"
    for target, to in ((merged, "metaphlan-merged"), (single, "metaphlan")):
        r = CliRunner().invoke(main, ["convert", str(report), "-o", str(target), "--to", to])
        assert r.exit_code == 0, r.output
        assert target.read_text().startswith("#written_by_gutbalance_from_kraken\n")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            back = gutbalance.read(target)
        assert not [w for w in caught if "beneath" in str(w.message)]
        (fmt, db), = back.samples[["source_format", "database"]].itertuples(index=False)
        assert profiler_family(fmt, db) == "Kraken"
        # converted once more, it still says whose it is
        again = tmp_path / f"again_{target.name}"
        assert CliRunner().invoke(main, ["convert", str(target), "-o", str(again), "--to", to]).exit_code == 0
        assert again.read_text().startswith("#written_by_gutbalance_from_kraken\n")
    # MetaPhlAn's own profiles keep their database line
    mpa = tmp_path / "S2_metaphlan.txt"
    mpa.write_text(metaphlan_text(SMALL_COMMUNITY))
    assert CliRunner().invoke(main, ["convert", str(mpa), "-o", str(tmp_path / "m.tsv")]).exit_code == 0
    assert (tmp_path / "m.tsv").read_text().startswith("#mpa_v30_CHOCOPhlAn_201901\n")


def test_a_bracken_table_says_the_reads_above_species_it_leaves_out(tmp_path):
    # fault: a Kraken report converted to .bracken lost every read above the species without a word
    from tests.io.test_kraken import REPORT

    report = tmp_path / "S1.kreport"
    report.write_text(REPORT)
    r = CliRunner().invoke(main, ["convert", str(report), "-o", str(tmp_path / "S1.bracken")])
    assert r.exit_code == 0, r.output
    # classified: 8,530 reads less 20 at root and 30 above the domains; species hold 5,500 of them
    assert "1 of 1 samples have reads above the species" in r.output
    assert f"{100 * (1 - 5500 / 8480):.2f} % of its classified reads" in r.output
    again = CliRunner().invoke(main, ["convert", str(tmp_path / "S1.bracken"), "-o", str(tmp_path / "S2.bracken")])
    assert "above the species" not in again.output


@pytest.mark.parametrize("suffix", [".biom", ".json", ".csv"])
def test_a_species_without_a_genus_comes_back_without_one(tmp_path, suffix):
    # fault: Kraken's "Coxiella-like endosymbiont" (a species right under its family) came back
    # from BIOM and the long CSV under a genus its name made up, g__Coxiella-like, and a real
    # report's homeostasis moved by 7.7e-6 (0 now, to 6e-13)
    from tests.io.test_kraken import row

    rows = [(0.0, 0, 0, "U", 0, 0, "unclassified"), (100.0, 100, 0, "R", 1, 0, "root"),
            (100.0, 100, 0, "D", 2, 1, "Bacteria"), (100.0, 100, 0, "P", 1224, 2, "Pseudomonadota"),
            (100.0, 100, 0, "C", 1236, 3, "Gammaproteobacteria"), (100.0, 100, 0, "O", 118969, 4, "Legionellales"),
            (100.0, 100, 40, "F", 118968, 5, "Coxiellaceae"),
            (60.0, 60, 60, "S", 1256, 6, "Coxiella-like endosymbiont")]
    report = tmp_path / "S1.kreport"
    report.write_text("\n".join(row(*r) for r in rows) + "\n")
    assert CliRunner().invoke(main, ["convert", str(report), "-o", str(tmp_path / f"back{suffix}")]).exit_code == 0
    before, after = gutbalance.read(report), gutbalance.read(tmp_path / f"back{suffix}")
    assert list(before.at_rank("genus").columns) == list(after.at_rank("genus").columns) == []
    assert_same_species(before, after)


def test_a_sample_name_cannot_write_outside_the_output_folder(tmp_path):
    """A merged table headed "../escaped" wrote escaped_profile.txt beside the
    output folder (an outside check, 2026-11-30)."""
    table = tmp_path / "evil.tsv"
    table.write_text("#mpa_v30_CHOCOPhlAn_201901\nclade_name\t../escaped\tB\nk__Bacteria\t100\t100\n"
                     "k__Bacteria|p__Firmicutes\t100\t100\n", encoding="utf-8")
    out = tmp_path / "out" / "per"
    run = CliRunner().invoke(main, ["convert", str(table), "-o", str(out), "--to", "metaphlan"])
    assert run.exit_code == 0, run.output
    assert sorted(p.name for p in out.iterdir()) == [".._escaped_profile.txt", "B_profile.txt"]
    assert not (tmp_path / "out" / "escaped_profile.txt").exists()


def test_a_folder_as_the_output_file_is_a_one_line_error(tmp_path):
    profile = write_metaphlan(tmp_path / "s.txt")
    folder = tmp_path / "existing"
    folder.mkdir()
    run = CliRunner().invoke(main, ["convert", str(profile), "-o", str(folder), "--to", "biom"])
    assert run.exit_code == 2
    assert "is a folder: give the name of a file" in run.output
    assert "Traceback" not in run.output


def test_the_output_cannot_be_an_input(tmp_path):
    profile = write_metaphlan(tmp_path / "s.txt")
    before = profile.read_bytes()
    run = CliRunner().invoke(main, ["convert", str(profile), "-o", str(profile), "--to", "metaphlan"])
    assert run.exit_code == 2
    assert "is one of the INPUTS" in run.output
    assert profile.read_bytes() == before


def _two_samples(path, first: str, second: str):
    """A merged MetaPhlAn table of two samples named ``first`` and ``second``."""
    path.write_text(f"#mpa_v30_CHOCOPhlAn_201901\nclade_name\t{first}\t{second}\nk__Bacteria\t100\t100\n"
                    "k__Bacteria|p__Firmicutes\t100\t100\n", encoding="utf-8")
    return path


def test_two_samples_of_one_file_name_are_refused(tmp_path):
    table = _two_samples(tmp_path / "names.tsv", "a/b", "a_b")
    run = CliRunner().invoke(main, ["convert", str(table), "-o", str(tmp_path / "out"), "--to", "metaphlan"])
    assert run.exit_code == 2
    assert "samples 'a/b' and 'a_b' would both be written to the file 'a_b'" in run.output


def test_an_input_folder_and_a_file_inside_it_are_not_outputs(tmp_path):
    folder = tmp_path / "g1"
    folder.mkdir()
    first = write_metaphlan(folder / "S1_profile.txt")
    before = first.read_bytes()
    for out in (folder, first):
        run = CliRunner().invoke(main, ["convert", str(folder), "-o", str(out), "--to", "metaphlan"])
        assert run.exit_code == 2, run.output
        assert "is one of the INPUTS or in one of their folders" in run.output
    assert first.read_bytes() == before


def test_several_samples_to_an_existing_file_is_a_one_line_error(tmp_path):
    table = _two_samples(tmp_path / "two.tsv", "A", "B")
    existing = tmp_path / "existing.txt"
    existing.write_text("x", encoding="utf-8")
    run = CliRunner().invoke(main, ["convert", str(table), "-o", str(existing), "--to", "metaphlan"])
    assert run.exit_code == 2
    assert "give the name of a folder" in run.output
    assert "Traceback" not in run.output
