import warnings

import pytest

import gutbalance
from gutbalance.errors import FormatError, GutBalanceError, GutBalanceWarning, UnrecognizedFormatError
from gutbalance.io.formats.metaphlan import sniff_merged, sniff_single
from gutbalance.io.source import Source
from tests.helpers import SMALL_COMMUNITY, metaphlan_text, write_metaphlan

MPA2 = "k__Bacteria\t100.0\nk__Bacteria|p__Firmicutes\t60.0\nk__Bacteria|p__Bacteroidetes\t40.0\nk__Bacteria|p__Firmicutes|c__Clostridia\t60.0\nk__Bacteria|p__Bacteroidetes|c__Bacteroidia\t40.0\n"
MPA4 = (
    "#mpa_vJan21_CHOCOPhlAnSGB_202103\n#SampleID\tS4\n#clade_name\tclade_taxid\trelative_abundance\tadditional_species\n"
    "UNCLASSIFIED\t-1\t10.0\t\n"
    "k__Bacteria\t2\t90.0\t\n"
    "k__Bacteria|p__Firmicutes\t2|1239\t90.0\t\n"
    "k__Bacteria|p__Firmicutes|c__Clostridia\t2|1239|186801\t90.0\t\n"
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales\t2|1239|186801|186802\t90.0\t\n"
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales|f__Oscillospiraceae\t2|1239|186801|186802|216572\t90.0\t\n"
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales|f__Oscillospiraceae|g__Faecalibacterium\t2|1239|186801|186802|216572|216851\t90.0\t\n"
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales|f__Oscillospiraceae|g__Faecalibacterium|s__Faecalibacterium_prausnitzii\t2|1239|186801|186802|216572|216851|853\t90.0\tk__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales|f__Oscillospiraceae|g__Faecalibacterium|s__Faecalibacterium_sp_CAG_74\n"
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales|f__Oscillospiraceae|g__Faecalibacterium|s__Faecalibacterium_prausnitzii|t__SGB15318\t2|1239|186801|186802|216572|216851|853|\t90.0\t\n"
)
MERGED = (
    "#mpa_v30_CHOCOPhlAn_201901\nclade_name\tNCBI_tax_id\tS1\tS2\n"
    "UNKNOWN\t-1\t10.0\t0.0\n"
    "k__Bacteria\t2\t90.0\t100.0\n"
    "k__Bacteria|p__Firmicutes\t2|1239\t90.0\t30.0\n"
    "k__Bacteria|p__Bacteroidetes\t2|976\t0.0\t70.0\n"
)


def src(text, name="x.txt"):
    return Source(__import__("pathlib").Path(name), text.encode())


@pytest.mark.parametrize("text", [metaphlan_text(SMALL_COMMUNITY), metaphlan_text(SMALL_COMMUNITY, unknown=30.0), MPA2, MPA4])
def test_single_sniffer_accepts(text):
    assert sniff_single(src(text))
    assert not sniff_merged(src(text))


@pytest.mark.parametrize(
    "text",
    [MERGED, "", "sample,taxon\nA,B\n", "@@TAXID\tRANK\tTAXPATH\tTAXPATHSN\tPERCENTAGE\n", "  0.5\t10\t10\tU\t0\tunclassified\n"],
)
def test_single_sniffer_rejects(text):
    assert not sniff_single(src(text))


def test_merged_sniffer():
    assert sniff_merged(src(MERGED))
    assert sniff_merged(src("ID\tS1\tS2\nk__Bacteria\t100\t100\nk__Bacteria|p__Firmicutes\t100\t100\n"))


def test_unknown_becomes_unassigned(tmp_path):
    cohort = gutbalance.read(write_metaphlan(tmp_path / "S1_metaphlan3.txt", unknown=30.0))
    assert cohort.sample_names == ["S1"]
    assert cohort.samples.loc["S1", "unassigned"] == pytest.approx(0.3)
    assert cohort.at_rank("domain").loc["S1", "k__Bacteria"] == pytest.approx(0.7)
    assert cohort.samples.loc["S1", "database"] == "mpa_v30_CHOCOPhlAn_201901"


def test_metaphlan2_and_4(tmp_path):
    (tmp_path / "a.txt").write_text(MPA2)
    (tmp_path / "b.txt").write_text(MPA4)
    cohort = gutbalance.read([tmp_path / "a.txt", tmp_path / "b.txt"])
    assert cohort.sample_names == ["a", "S4"]
    assert cohort.at_rank("phylum").loc["a", "p__Bacillota"] == pytest.approx(0.6)
    # An SGB is not in the lineage table: keyed under the species that holds it.
    assert cohort.at_rank("strain").loc["S4", "s__Faecalibacterium prausnitzii|t__SGB15318"] == pytest.approx(0.9)
    assert cohort.samples.loc["S4", "unassigned"] == pytest.approx(0.1)
    assert cohort.taxa.loc["s__Faecalibacterium prausnitzii", "taxid"] == "853"


def test_merged_table(tmp_path):
    (tmp_path / "m.tsv").write_text(MERGED)
    cohort = gutbalance.read(tmp_path / "m.tsv")
    assert cohort.sample_names == ["S1", "S2"]
    assert cohort.at_rank("phylum").loc["S2", "p__Bacteroidota"] == pytest.approx(0.7)
    assert cohort.samples.loc["S1", "unassigned"] == pytest.approx(0.1)


def test_merged_table_empty_cells_are_zero_with_one_warning(tmp_path):
    # fault: a merged table made by an outer join in pandas (a clade one sample
    # lacks written as an empty cell) was refused whole, while its CSV copy was scored
    zeros = MERGED.replace("\t0.0\t70.0\n", "\t0\t70.0\n")
    (tmp_path / "zeros.tsv").write_text(zeros)
    (tmp_path / "blanks.tsv").write_text(zeros.replace("\t0.0\n", "\t\n").replace("\t0\t70.0\n", "\t \t70.0\n"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        blanks = gutbalance.read(tmp_path / "blanks.tsv")
    messages = [str(w.message) for w in caught if issubclass(w.category, GutBalanceWarning)]
    assert len(messages) == 1
    assert "blanks.tsv, line 3, field 'S2': 2 empty value cells read as 0" in messages[0]
    assert (blanks.X != gutbalance.read(tmp_path / "zeros.tsv").X).nnz == 0
    assert blanks.samples["unassigned"].tolist() == pytest.approx([0.1, 0.0])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (metaphlan_text(SMALL_COMMUNITY).replace("\t100.0\t", "\tabc\t", 1), "line 5.*not a number"),
        (metaphlan_text(SMALL_COMMUNITY).replace("\t100.0\t", "\t-1.0\t", 1), "line 5.*negative"),
        (metaphlan_text(SMALL_COMMUNITY).replace("\t100.0\t", "\tnan\t", 1), "line 5.*NaN: write 0 for a taxon"),
        (metaphlan_text(SMALL_COMMUNITY).replace("\t100.0\t", "\tNA\t", 1), "line 5.*'NA' is not a number: write 0"),
        ("#mpa_v30\n#clade_name\tNCBI_tax_id\trelative_abundance\nk__Bacteria\t2\n", "line 3.*truncated"),
    ],
)
def test_errors_name_file_and_line(tmp_path, text, match):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(FormatError, match=match) as info:
        gutbalance.read(path, format="metaphlan")
    assert "bad.txt" in str(info.value)


def test_duplicate_clade_is_refused(tmp_path):
    text = metaphlan_text(SMALL_COMMUNITY)
    last = text.strip().splitlines()[-1]
    (tmp_path / "d.txt").write_text(text + last + "\n")
    with pytest.raises(FormatError, match="repeats line"):
        gutbalance.read(tmp_path / "d.txt")


def test_bom_and_crlf(tmp_path):
    text = metaphlan_text(SMALL_COMMUNITY).replace("\n", "\r\n")
    (tmp_path / "w.txt").write_bytes(b"\xef\xbb\xbf" + text.encode())
    cohort = gutbalance.read(tmp_path / "w.txt")
    assert cohort.at_rank("domain").iloc[0, 0] == pytest.approx(1.0)


def test_gzip_is_transparent_and_bombs_are_refused(tmp_path):
    import gzip

    (tmp_path / "g.txt.gz").write_bytes(gzip.compress(metaphlan_text(SMALL_COMMUNITY).encode()))
    assert gutbalance.read(tmp_path / "g.txt.gz").sample_names == ["g"]
    (tmp_path / "bomb.gz").write_bytes(gzip.compress(b"0" * 50_000_000))
    with pytest.raises(GutBalanceError, match="bomb"):
        gutbalance.read(tmp_path / "bomb.gz")


@pytest.mark.parametrize(("content", "match"), [(b"", "empty"), (b"\x00\x01\x02\xff" * 100, "binary")])
def test_empty_and_binary_files(tmp_path, content, match):
    (tmp_path / "f").write_bytes(content)
    with pytest.raises(UnrecognizedFormatError, match=match):
        gutbalance.read(tmp_path / "f")


def test_forced_format_is_verified(tmp_path):
    (tmp_path / "m.tsv").write_text(MERGED)
    with pytest.raises(FormatError, match="does not look like"):
        gutbalance.read(tmp_path / "m.tsv", format="metaphlan")
    with pytest.raises(UnrecognizedFormatError, match="unknown format"):
        gutbalance.read(tmp_path / "m.tsv", format="nonsense")


@pytest.mark.shared
def test_real_metaphlan_profiles(shared_data):
    kefir = gutbalance.read(shared_data / "profiles" / "kefir_metaphlan3")
    assert kefir.n_samples == 44
    assert "Subj053_time2_S40" in kefir.sample_names
    prebiotics = gutbalance.read(shared_data / "profiles" / "prebiotics_metaphlan3")
    assert prebiotics.n_samples == 21
    one = gutbalance.read(shared_data / "gmwi2" / "SRR1761667_metaphlan.txt")
    assert one.n_samples == 1
    assert one.samples["unassigned"].iloc[0] == pytest.approx(0.7084224)
    for cohort in (kefir, prebiotics, one):
        top = cohort.at_rank("domain").sum(axis=1) + cohort.samples["unassigned"]
        assert top.to_numpy() == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("unknown_first", [False, True])
def test_bad_clade_names_its_line_every_time(tmp_path, unknown_first):
    """Clades are parsed once per process and cached (the reader's hot path):
    a bad clade must still name its own line in every file that holds it,
    whether an UNKNOWN row was dropped before it and whether a narrower row
    split the rows apart."""
    header = "#clade_name\tNCBI_tax_id\trelative_abundance\tadditional_species\n"
    rows = ["UNKNOWN\t-1\t10.0\t\n"] if unknown_first else []
    rows += ["k__Bacteria\t2\t90.0\t\n", "k__Bacteria|p__Firmicutes\t2|1239\t50.0\t\n"]
    # past the 20 rows the sniffer looks at, so the reader meets it
    rows += [f"k__Bacteria|p__P{i}\t2|{i}\t0.1\t\n" for i in range(20)] + ["k__Bacteria|nonsense\t2|1\t38.0\t\n"]
    text = "#mpa_v30_CHOCOPhlAn_201901\n" + header + "".join(rows)
    bad_line = text.count("\n")
    for name, body in [("a.txt", text), ("b.txt", text), ("c.txt", text.replace("\t50.0\t\n", "\t50.0\n"))]:
        (tmp_path / name).write_text(body)
        with pytest.raises(FormatError, match=f"line {bad_line}") as info:
            gutbalance.read(tmp_path / name, format="metaphlan")
        assert name in str(info.value)


def test_repeated_clade_after_unknown_names_both_lines(tmp_path):
    text = ("#mpa_v30_CHOCOPhlAn_201901\n#clade_name\tNCBI_tax_id\trelative_abundance\n"
            "UNKNOWN\t-1\t10.0\nk__Bacteria\t2\t90.0\nk__Bacteria|p__Firmicutes\t2|1239\t50.0\n"
            "k__Bacteria|p__Firmicutes\t2|1239\t40.0\n")
    (tmp_path / "r.txt").write_text(text)
    with pytest.raises(FormatError, match="repeats line 5") as info:
        gutbalance.read(tmp_path / "r.txt", format="metaphlan")
    assert info.value.line == 6


def test_metaphlan4_prevotella_copri_clades_stay_apart(tmp_path):
    # MetaPhlAn 4 keeps the four clades of the P. copri complex apart (Tett et
    # al. 2019); they were merged into one species, losing richness and Shannon.
    clades = {"A": 30.0, "B": 20.0, "C": 10.0, "G": 5.0}
    lines = ["#mpa_vOct22_CHOCOPhlAnSGB_202212", "#clade_name\tclade_taxid\trelative_abundance\tadditional_species"]
    stem = "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Prevotellaceae|g__Prevotella"
    lines += [f"{stem}|s__Prevotella_copri_clade_{c}\t2|976|200643|171549|171552|838|165179\t{v}\t" for c, v in clades.items()]
    lines.append("k__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales|f__Oscillospiraceae|g__Faecalibacterium|"
                 "s__Faecalibacterium_prausnitzii\t2|1239|186801|186802|216572|216851|853\t35.0\t")
    path = tmp_path / "copri.txt"
    path.write_text("\n".join(lines) + "\n")
    cohort = gutbalance.read(path)
    species = cohort.at_rank("species")
    copri = sorted(c for c in species.columns if "copri" in c)
    assert [c.rsplit(" ", 1)[-1] for c in copri] == ["A", "B", "C", "G"]
    assert species.iloc[0][copri].tolist() == pytest.approx([0.30, 0.20, 0.10, 0.05])
    scores = gutbalance.score(cohort)
    assert scores["richness"].iloc[0] == 5
