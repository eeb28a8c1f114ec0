"""Kraken 2 reports, Bracken reports and Bracken tables: sniffing, lineages,
errors, round trips and fuzzing."""

import contextlib
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gutbalance
from gutbalance.errors import FormatError, GutBalanceError, GutBalanceWarning
from gutbalance.io import read_source
from gutbalance.io.formats.kraken import read_report, read_table, sniff_report, sniff_table
from gutbalance.io.registry import sniff
from gutbalance.io.source import Source
from gutbalance.taxonomy import parse_lineage
from tests.helpers import SMALL_COMMUNITY, assert_same_species, make_cohort, metaphlan_text, with_reads


def row(pct, clade, own, code, taxid, depth, name):
    return f"{pct:6.2f}\t{clade}\t{own}\t{code}\t{taxid}\t{'  ' * depth}{name}"


# A Kraken 2 report of 10,000 reads: 1,470 unclassified, 20 at root, 30 at
# "cellular organisms".  Intermediate codes: R1, D1 (Terrabacteria group),
# K (Fungi, not a standard rank), G1 (a species group), S1 and S2 (strain and
# sub-strain) and P1.
REPORT_ROWS = [
    (14.70, 1470, 1470, "U", 0, 0, "unclassified"),
    (85.30, 8530, 20, "R", 1, 0, "root"),
    (84.80, 8480, 30, "R1", 131567, 1, "cellular organisms"),
    (83.20, 8320, 20, "D", 2, 2, "Bacteria"),
    (60.00, 6000, 0, "D1", 1783272, 3, "Terrabacteria group"),
    (60.00, 6000, 100, "P", 1239, 4, "Firmicutes"),
    (59.00, 5900, 0, "C", 186801, 5, "Clostridia"),
    (59.00, 5900, 0, "O", 186802, 6, "Eubacteriales"),
    (59.00, 5900, 400, "F", 186803, 7, "Lachnospiraceae"),
    (45.00, 4500, 500, "G", 841, 8, "Roseburia"),
    (40.00, 4000, 1000, "G1", 2000001, 9, "Roseburia intestinalis group"),
    (30.00, 3000, 1800, "S", 166486, 10, "Roseburia intestinalis"),
    (12.00, 1200, 1000, "S1", 536231, 11, "Roseburia intestinalis L1-82"),
    (2.00, 200, 200, "S2", 9999991, 12, "Roseburia intestinalis L1-82 substrain A"),
    (10.00, 1000, 1000, "S", 166487, 8, "Lachnospiraceae bacterium A4"),
    (23.00, 2300, 100, "P", 976, 3, "Bacteroidetes"),
    (22.00, 2200, 0, "C", 200643, 4, "Bacteroidia"),
    (22.00, 2200, 0, "O", 171549, 5, "Bacteroidales"),
    (22.00, 2200, 200, "F", 815, 6, "Bacteroidaceae"),
    (20.00, 2000, 500, "G", 816, 7, "Bacteroides"),
    (15.00, 1500, 1500, "S", 821, 8, "Bacteroides vulgatus"),
    (1.30, 130, 0, "D", 2759, 2, "Eukaryota"),
    (1.30, 130, 0, "K", 4751, 3, "Fungi"),
    (1.30, 130, 0, "P", 4890, 4, "Ascomycota"),
    (1.30, 130, 0, "P1", 716545, 5, "saccharomyceta"),
    (1.30, 130, 130, "C", 4891, 6, "Saccharomycetes"),
    (0.30, 30, 30, "D", 10239, 1, "Viruses"),
]
REPORT = "\n".join(row(*r) for r in REPORT_ROWS) + "\n"
REPORT8 = (
    "\n".join(
        "\t".join([*line.split("\t")[:3], str(7 * i), str(3 * i), *line.split("\t")[3:]])
        for i, line in enumerate(REPORT.splitlines())
    )
    + "\n"
)
LINE_ONE = REPORT.splitlines()[0]
KRAKEN1 = (
    " 11.66\t98148\t98148\tU\t0\tunclassified\n"
    " 88.34\t743870\t996\t-\t1\troot\n"
    " 88.22\t742874\t0\t-\t131567\t  cellular organisms\n"
    " 88.22\t742874\t2071\tD\t2\t    Bacteria\n"
    " 87.95\t740803\t740803\tP\t1239\t      Firmicutes\n"
)
# Bracken's report after species-level re-estimation: no unclassified row,
# reads rounded down per row, so a clade can exceed the sum of its children by
# less than a read each (Roseburia: 2001 > 1200 + 800).
BRACKEN_REPORT = (
    "100.00\t4001\t0\tR\t1\troot\n"
    "100.00\t4001\t0\tR1\t131567\t  cellular organisms\n"
    "100.00\t4001\t0\tD\t2\t    Bacteria\n"
    " 50.01\t2001\t0\tP\t1239\t      Firmicutes\n"
    " 50.01\t2001\t0\tC\t186801\t        Clostridia\n"
    " 50.01\t2001\t0\tO\t186802\t          Eubacteriales\n"
    " 50.01\t2001\t0\tF\t186803\t            Lachnospiraceae\n"
    " 50.01\t2001\t0\tG\t841\t              Roseburia\n"
    " 29.99\t1200\t1200\tS\t166486\t                Roseburia intestinalis\n"
    " 19.99\t800\t800\tS\t301301\t                Roseburia hominis\n"
    " 49.99\t2000\t0\tP\t976\t      Bacteroidetes\n"
    " 49.99\t2000\t0\tC\t200643\t        Bacteroidia\n"
    " 49.99\t2000\t0\tO\t171549\t          Bacteroidales\n"
    " 49.99\t2000\t0\tF\t815\t            Bacteroidaceae\n"
    " 49.99\t2000\t0\tG\t816\t              Bacteroides\n"
    " 49.99\t2000\t2000\tS\t821\t                Bacteroides vulgatus\n"
)
BRACKEN_TABLE = (
    "name\ttaxonomy_id\ttaxonomy_lvl\tkraken_assigned_reads\tadded_reads\tnew_est_reads\tfraction_total_reads\n"
    "Bacteroides vulgatus\t821\tS\t1500\t500\t2000\t0.49988\n"
    "Roseburia intestinalis\t166486\tS\t1000\t200\t1200\t0.29993\n"
    "Roseburia hominis\t301301\tS\t700\t101\t801\t0.20020\n"
)
CAMI = (
    "@SampleID:S1\n@Version:0.9.1\n@Ranks:superkingdom|phylum\n@TaxonomyID:x\n"
    "@@TAXID\tRANK\tTAXPATH\tTAXPATHSN\tPERCENTAGE\n2\tsuperkingdom\t2\tBacteria\t100\n"
)


def src(text, name="S1.kreport"):
    return Source(Path(name), text.encode() if isinstance(text, str) else text)


def ids(profile):
    return {lin[-1].id: (lin, v) for lin, v in zip(profile.lineages, profile.abundance, strict=True)}


# --- sniffing -------------------------------------------------------------------


@pytest.mark.parametrize("text", [REPORT, REPORT8, KRAKEN1, BRACKEN_REPORT])
def test_report_sniffer_accepts(text):
    assert sniff_report(src(text))
    assert not sniff_table(src(text))
    assert sniff(src(text)).name == "kraken"


REJECTED = [
    "",
    "\n\n",
    metaphlan_text(SMALL_COMMUNITY),
    BRACKEN_TABLE,
    CAMI,
    "sample,taxon,abundance\nS1,Bacteroides,0.5\n",
    json.dumps({"id": None, "format": "Biological Observation Matrix 1.0.0", "rows": [], "columns": []}),
    # KrakenUniq: comment lines, a header and rank words instead of codes
    "# KrakenUniq v0.5.8\n%\treads\ttaxReads\tkmers\tdup\tcov\ttaxID\trank\ttaxName\n"
    "85.0\t8500\t20\t100\t1.0\t0.1\t1\tno rank\troot\n",
    # Kraken's MetaPhlAn-style report
    "d__Bacteria\t8320\nd__Bacteria|p__Firmicutes\t6000\n",
    # a report that starts inside the tree
    row(60, 6000, 100, "P", 1239, 2, "Firmicutes") + "\n",
    # the first row is not at the top level
    REPORT.replace("\tU\t0\tunclassified", "\tS\t0\tunclassified"),
    # most rows are not report rows
    LINE_ONE + "\n" + "\n".join(f"{i}\t{i}\tfoo\tbar" for i in range(10)),
    "\x00\x01\x02binary\x00",
]


@pytest.mark.parametrize("text", REJECTED)
def test_report_sniffer_rejects(text):
    assert not sniff_report(src(text))


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [(REPORT.replace("\tR\t1\t", "\tRoot\t1\t"), 2, "rank"), (REPORT.replace("\t2\t    Bacteria", "\tx2\t    Bacteria"), 4, "taxid")],
)
def test_a_broken_row_is_sniffed_and_named(text, line, field):
    assert sniff(src(text)).name == "kraken"
    with pytest.raises(FormatError) as err:
        read_source(src(text))
    assert (err.value.line, err.value.field) == (line, field)


def test_table_sniffer():
    assert sniff_table(src(BRACKEN_TABLE, "S1.bracken"))
    assert sniff(src(BRACKEN_TABLE, "S1.bracken")).name == "bracken"
    others = [t for t in REJECTED if t != BRACKEN_TABLE]
    for text in [*others, REPORT, BRACKEN_TABLE.replace("new_est_reads", "reads")]:
        assert not sniff_table(src(text))


# --- lineages and values ----------------------------------------------------------


def test_lineages_from_indentation_and_rank_codes():
    (profile,) = read_report(src(REPORT))
    by_id = ids(profile)
    assert profile.sample == "S1"
    assert profile.source_format == "kraken"
    # U + root + cellular organisms, out of U + root
    assert profile.unassigned == pytest.approx((1470 + 20 + 30) / 10000)
    species, value = by_id["s__Roseburia intestinalis"]
    assert value == pytest.approx(0.30)
    # G1 (a species group) and D1 are skipped; the species hangs from its genus
    assert [t.rank for t in species] == ["domain", "phylum", "class", "order", "family", "genus", "species"]
    assert [t.original for t in species][:2] == ["Bacteria", "Firmicutes"]
    assert species[1].name == "Bacillota"  # renamed by the taxonomy module, original kept
    # S1 is the strain; S2 is folded into it (its reads are in the S1 clade)
    strain, value = by_id["t__Roseburia intestinalis L1-82"]
    assert strain[-2].id == "s__Roseburia intestinalis"
    assert value == pytest.approx(0.12)
    assert not any("substrain" in key for key in by_id)
    assert not any("group" in key or "saccharomyceta" in key for key in by_id)
    # a species directly under its family (no genus in the taxonomy)
    lineage, _ = by_id["s__Lachnospiraceae bacterium A4"]
    assert [t.rank for t in lineage][-2:] == ["family", "species"]
    # K (Fungi) and P1 are not standard ranks; their reads stay in the parents
    lineage, value = by_id["c__Saccharomycetes"]
    assert [t.original for t in lineage] == ["Eukaryota", "Ascomycota", "Saccharomycetes"]
    assert value == pytest.approx(0.013)
    assert by_id["k__Viruses"][1] == pytest.approx(0.003)
    domains = sum(v for lin, v in zip(profile.lineages, profile.abundance, strict=True) if len(lin) == 1)
    assert domains + profile.unassigned == pytest.approx(1.0)
    counts = dict(zip([lin[-1].id for lin in profile.lineages], profile.counts, strict=True))
    assert counts["g__Roseburia"] == 4500
    taxids = dict(zip([lin[-1].id for lin in profile.lineages], profile.taxids, strict=True))
    assert taxids["s__Phocaeicola vulgatus"] == "821"


def test_cohort_from_report_sums_by_rank():
    cohort = gutbalance.build_cohort(read_source(src(REPORT)))
    phyla = cohort.at_rank("phylum").loc["S1"]
    assert phyla["p__Bacillota"] == pytest.approx(0.60)
    assert phyla["p__Bacteroidota"] == pytest.approx(0.23)
    assert cohort.samples.loc["S1", "unassigned"] == pytest.approx(0.152)
    assert cohort.counts is not None


def test_eight_column_report_reads_the_same():
    (six,) = read_report(src(REPORT))
    (eight,) = read_report(src(REPORT8))
    assert eight.lineages == six.lineages
    assert eight.abundance == six.abundance
    assert eight.unassigned == six.unassigned


def test_kraken1_dash_codes():
    (profile,) = read_report(src(KRAKEN1, "run7.kraken.report"))
    assert profile.sample == "run7"
    assert [lin[-1].id for lin in profile.lineages] == ["k__Bacteria", "p__Bacillota"]
    assert profile.unassigned == pytest.approx((98148 + 996) / (98148 + 743870))


# The same report on the NCBI taxonomy of 2025 (domain renamed from
# superkingdom, Viruses an "acellular root"): Kraken 2 codes the ranks it does
# not know by depth, so Viruses is R1 and, before Kraken 2 knew "domain",
# Bacteria and Eukaryota are R2 under "cellular organisms" (public reports of
# 2025 stool and field runs have both shapes).
NEW_TAXONOMY_CODES = {"Bacteria": "R2", "Eukaryota": "R2", "Viruses": "R1"}
REPORT_2025 = "\n".join(row(*(*r[:3], NEW_TAXONOMY_CODES.get(r[6], r[3]), *r[4:])) for r in REPORT_ROWS) + "\n"


def test_domains_coded_by_depth_read_as_the_domains_they_are():
    assert "\tR1\t10239\t  Viruses" in REPORT_2025
    assert "\tR2\t2\t    Bacteria" in REPORT_2025
    (old,) = read_report(src(REPORT))
    (new,) = read_report(src(REPORT_2025))
    assert new.lineages == old.lineages
    assert new.abundance == old.abundance
    assert new.unassigned == old.unassigned
    assert new.taxids == old.taxids
    assert ids(new)["k__Viruses"][1] == pytest.approx(0.003)
    assert ids(new)["s__Roseburia intestinalis"][0][0].id == "k__Bacteria"


def test_an_r_coded_row_is_a_domain_only_by_ncbi_taxid_and_name():
    # a database with its own taxids (GTDB-built ones number from 1) may put
    # taxid 2 on another row: no domain is made of it
    other = REPORT_2025.replace("\tR2\t2\t    Bacteria", "\tR2\t2\t    Terrabacteria")
    (profile,) = read_report(src(other))
    assert "k__Bacteria" not in ids(profile)
    assert ids(profile)["k__Eukaryota"][1] == pytest.approx(0.013)


def test_bracken_report():
    (profile,) = read_source(src(BRACKEN_REPORT, "S7_bracken_species.kreport"))
    assert profile.sample == "S7"
    assert profile.unassigned == 0.0
    by_id = ids(profile)
    assert by_id["s__Roseburia intestinalis"][1] == pytest.approx(1200 / 4001)
    assert by_id["s__Phocaeicola vulgatus"][1] == pytest.approx(2000 / 4001)
    assert by_id["g__Roseburia"][1] == pytest.approx(2001 / 4001)


def test_bracken_table():
    (profile,) = read_source(src(BRACKEN_TABLE, "S3.bracken"))
    assert profile.sample == "S3"
    assert profile.source_format == "bracken"
    assert all(len(lin) == 1 and lin[0].rank == "species" for lin in profile.lineages)
    by_id = ids(profile)
    total = 2000 + 1200 + 801
    # recomputed from new_est_reads, not the five-decimal fraction
    assert by_id["s__Phocaeicola vulgatus"][1] == 2000 / total
    assert by_id["s__Roseburia hominis"][1] == 801 / total
    assert profile.counts == [2000, 1200, 801]
    assert profile.taxids == ["821", "166486", "301301"]


def test_bracken_table_levels():
    genus = BRACKEN_TABLE.replace("\tS\t", "\tG\t")
    (profile,) = read_table(src(genus, "S3.bracken"))
    assert {lin[0].rank for lin in profile.lineages} == {"genus"}
    strain = BRACKEN_TABLE.replace("\tS\t", "\tS1\t")
    (profile,) = read_table(src(strain, "S3.bracken"))
    assert {lin[0].rank for lin in profile.lineages} == {"strain"}
    with pytest.raises(FormatError, match="one level") as err:
        read_table(src(BRACKEN_TABLE.replace("\t301301\tS\t", "\t301301\tG\t")))
    assert err.value.line == 4
    with pytest.raises(FormatError, match="standard rank") as err:
        read_table(src(BRACKEN_TABLE.replace("\tS\t", "\tK\t")))
    assert err.value.field == "taxonomy_lvl"


# --- errors ---------------------------------------------------------------------------

LINES = REPORT.splitlines()


def _replace_field(lineno, col, value):
    lines = list(LINES)
    fields = lines[lineno - 1].split("\t")
    fields[col] = value
    lines[lineno - 1] = "\t".join(fields)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        (REPORT.replace("\t  cellular organisms", "\t  cellular\torganisms"), 3, None, "columns"),
        ("\t".join(LINES[0].split("\t")[:5]) + "\n" + REPORT, 1, None, "columns"),
        (_replace_field(4, 1, "lots"), 4, "clade_reads", "not a number"),
        (_replace_field(4, 2, "-20"), 4, "taxon_reads", "negative"),
        (_replace_field(4, 1, "nan"), 4, "clade_reads", "NaN"),
        (_replace_field(4, 0, "inf"), 4, "percent", "infinite"),
        (_replace_field(4, 4, "2a"), 4, "taxid", "whole number"),
        (_replace_field(4, 3, "Q"), 4, "rank", "rank code"),
        (_replace_field(6, 5, "          Firmicutes"), 6, "name", "jumps"),
        (_replace_field(6, 5, "         Firmicutes"), 6, "name", "2 spaces"),
        (_replace_field(1, 5, "  unclassified"), 1, "name", "first row is indented"),
        (_replace_field(7, 3, "D"), 7, "rank", "below a phylum"),
        (_replace_field(4, 2, "9000"), 4, "taxon_reads", "exceed"),
        (_replace_field(6, 1, "9000"), 5, "clade_reads", "more than its clade"),
        (_replace_field(9, 2, "0"), 9, "clade_reads", "truncated or filtered"),
        # truncated at a line boundary: Bacteroidetes and the rest are gone
        ("\n".join(LINES[:15]) + "\n", 2, "clade_reads", "truncated"),
        # truncated mid-line
        (REPORT[: REPORT.index("\t976\t") + 3], 16, None, "columns"),
    ],
)
def test_report_errors(text, line, field, message):
    with pytest.raises(FormatError, match=message) as err:
        read_report(src(text))
    assert err.value.path == "S1.kreport"
    assert err.value.line == line
    assert err.value.field == field


@pytest.mark.parametrize("text", ["", "\n  \n", "0.00\t0\t0\tU\t0\tunclassified\n"])
def test_empty_report(text):
    with pytest.raises(FormatError):
        read_report(src(text))


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        (BRACKEN_TABLE.replace("\t2000\t0.49988", "\tmany\t0.49988"), 2, "new_est_reads"),
        (BRACKEN_TABLE.replace("\t1200\t0.29993", "\t-1200\t0.29993"), 3, "new_est_reads"),
        (BRACKEN_TABLE.replace("0.20020", "NaN"), 4, "fraction_total_reads"),
        (BRACKEN_TABLE.replace("\t821\t", "\tB821\t"), 2, "taxonomy_id"),
        (BRACKEN_TABLE[:-12], 4, None),
        (BRACKEN_TABLE.replace("\t700\t", "\t700\t\t"), 4, None),
    ],
)
def test_table_errors(text, line, field):
    with pytest.raises(FormatError) as err:
        read_table(src(text, "S3.bracken"))
    assert err.value.line == line
    assert err.value.field == field


def test_table_header_only():
    with pytest.raises(FormatError, match="empty or truncated"):
        read_table(src(BRACKEN_TABLE.splitlines()[0] + "\n"))
    with pytest.raises(FormatError, match="empty"):
        read_table(src(""))


def test_file_errors_name_the_file(tmp_path):
    path = tmp_path / "bad.kreport"
    path.write_text(_replace_field(4, 1, "nan"))
    with pytest.raises(FormatError) as err:
        gutbalance.read(path, format="kraken")
    assert str(path) in str(err.value)
    assert "line 4" in str(err.value)


# --- writing and round trips ----------------------------------------------------------

SECOND = {
    lineage: value
    for lineage, value in zip(SMALL_COMMUNITY, [30.0, 5.0, 20.0, 10.0, 15.0, 10.0, 4.0, 6.0], strict=True)
}


def _cohort_with_unknown():
    records = [
        gutbalance.SampleProfile(
            sample=name,
            lineages=[parse_lineage(k) for k in species],
            abundance=[v / 100.0 * (1 - unknown) for v in species.values()],
            unassigned=unknown,
        )
        for name, species, unknown in [("A", SMALL_COMMUNITY, 0.25), ("B", SECOND, 0.0)]
    ]
    return gutbalance.build_cohort(records)


@pytest.mark.filterwarnings("ignore:.*have no NCBI taxid:gutbalance.errors.GutBalanceWarning")  # written as 0, said
def test_report_round_trip(tmp_path):
    cohort = with_reads(_cohort_with_unknown())
    out = gutbalance.write(cohort, tmp_path / "reports", format="kraken")
    assert sorted(p.name for p in out.iterdir()) == ["A.kreport", "B.kreport"]
    back = gutbalance.read(out)
    assert_same_species(cohort, back)
    assert back.samples.loc["A", "unassigned"] == pytest.approx(0.25, abs=1e-12)
    assert back.samples.loc["B", "unassigned"] == pytest.approx(0.0, abs=1e-12)
    phyla = back.at_rank("phylum").loc["A"]
    assert phyla["p__Bacillota"] == pytest.approx(cohort.at_rank("phylum").loc["A", "p__Bacillota"], abs=1e-12)
    # reads of a million
    text = (out / "A.kreport").read_text()
    assert text.splitlines()[0].split("\t")[1] == "250000"
    assert sniff_report(src(text))


@pytest.mark.filterwarnings("ignore:.*have no NCBI taxid:gutbalance.errors.GutBalanceWarning")  # written as 0, said
def test_report_round_trip_keeps_counts(tmp_path):
    cohort = gutbalance.build_cohort(read_report(src(REPORT)))
    gutbalance.write(cohort, tmp_path / "S1.kreport", format="kraken")
    back = gutbalance.read(tmp_path / "S1.kreport")
    assert_same_species(cohort, back)
    assert back.samples.loc["S1", "unassigned"] == pytest.approx(cohort.samples.loc["S1", "unassigned"], abs=1e-12)
    original = cohort.to_long().set_index("taxon")["counts"]
    again = back.to_long().set_index("taxon")["counts"]
    assert original.sort_index().to_dict() == again.sort_index().to_dict()
    # whole reads stay whole
    assert "1520\t1520\tU\t0\tunclassified" in (tmp_path / "S1.kreport").read_text()


@pytest.mark.filterwarnings("ignore:.*have no NCBI taxid:gutbalance.errors.GutBalanceWarning")  # written as 0, said
def test_report_round_trip_keeps_taxa_keyed_by_lineage(tmp_path):
    # a genus the lineage table does not know is keyed by its lineage
    # ("f__Lachnospiraceae|g__Zzfoo"); the writer used to look its children's
    # parent up as "g__Zzfoo", miss it, and write genus and species at the
    # root, outside Bacteria (a real Bracken example: root +60 %, 290 taxa)
    unknown = {
        "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Zzfoo|s__Zzfoo_bar": 30.0,
        "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|s__Bacteroides_vulgatus": 70.0,
    }
    cohort = with_reads(make_cohort({"A": unknown}))
    assert any("|g__Zzfoo" in key for key in cohort.taxa.index)
    gutbalance.write(cohort, tmp_path / "A.kreport", format="kraken")
    lines = (tmp_path / "A.kreport").read_text().splitlines()
    top = [line.split("\t")[5] for line in lines if line.split("\t")[5].startswith("  ") and not line.split("\t")[5].startswith("   ")]
    assert top == ["  Bacteria"]
    root = next(line for line in lines if line.endswith("\troot"))
    assert root.split("\t")[1] == "1000000"
    back = gutbalance.read(tmp_path / "A.kreport")
    assert_same_species(cohort, back)
    zzfoo = [key for key in back.taxa.index if key.endswith("g__Zzfoo")]
    assert len(zzfoo) == 1
    assert back.taxa.loc[zzfoo[0], "family"] == "Lachnospiraceae"


def test_a_report_is_written_only_from_reads_counted(tmp_path):
    # Reads made up from abundances would read back as counted (a Chao1 from nothing
    # sequenced), and fractional ones are a report Kraken never writes: refused, naming why.
    cohort = _cohort_with_unknown()
    with pytest.raises(FormatError, match=r"2 of 2 samples have none \(A, B: it holds relative abundances") as info:
        gutbalance.write(cohort, tmp_path / "reports", format="kraken")
    assert ".profile (CAMI)" in str(info.value)
    assert not (tmp_path / "reports").exists()
    mixed = gutbalance.concat([with_reads(make_cohort({"A": SMALL_COMMUNITY})), make_cohort({"B": SECOND})])
    with pytest.raises(FormatError, match=r"1 of 2 samples have none \(B: "):
        gutbalance.write(mixed, tmp_path / "mixed", format="kraken")


def test_table_round_trip(tmp_path):
    cohort = with_reads(make_cohort({"A": SMALL_COMMUNITY, "B": SECOND}))
    out = gutbalance.write(cohort, tmp_path / "tables", format="bracken")
    back = gutbalance.read(out)
    assert back.sample_names == ["A", "B"]
    assert_same_species(cohort, back)
    # whole reads, as Bracken writes them
    rows = [line.split("\t") for line in (out / "A.bracken").read_text().splitlines()[1:]]
    assert all(r[5].isdigit() and r[3] == r[5] for r in rows)


def test_fraction_total_reads_is_a_plain_decimal_with_every_digit(tmp_path):
    # Bracken writes "%0.5f", so its own sample table gives 0.00000 to a
    # species with 21 of 26 million reads; repr gave "8.04e-07".  Written
    # now as a plain decimal that is the float to its last bit, summing to 1.
    table = tmp_path / "S4.bracken"
    table.write_text(
        "name\ttaxonomy_id\ttaxonomy_lvl\tkraken_assigned_reads\tadded_reads\tnew_est_reads\tfraction_total_reads\n"
        "Escherichia coli\t562\tS\t1449700\t113\t1449813\t0.99999\n"
        "Streptococcus sanguinis\t1305\tS\t21\t0\t21\t0.00000\n"
        "Streptococcus suis\t1307\tS\t22\t1\t23\t0.00000\n"
    )
    cohort = gutbalance.read(table)
    out = gutbalance.write(cohort, tmp_path / "again" / "S4.bracken", format="bracken")
    rows = [line.split("\t") for line in out.read_text().splitlines()[1:]]
    reads = {r[0]: int(r[5]) for r in rows}
    total = sum(reads.values())
    for r in rows:
        assert "e" not in r[6].lower()
        assert float(r[6]) == reads[r[0]] / total  # exact, not to a tolerance
    assert float(rows[-1][6]) > 0
    back = gutbalance.read(out)
    a, b = cohort.at_rank("species"), back.at_rank("species")
    assert np.abs(a.to_numpy() - b[a.columns].to_numpy()).max() <= 1e-12


def test_a_bracken_table_is_written_only_from_reads(tmp_path):
    # It used to scale a relative profile to 1,000,000 reads as floats: reads nobody
    # counted, in a file Bracken never writes.  Refused like the Kraken report, naming why.
    cohort = make_cohort({"A": SMALL_COMMUNITY, "B": SECOND})
    with pytest.raises(FormatError, match=r"a Bracken table holds reads .* 2 of 2 samples have none \(A, B: it holds "
                                          r"relative abundances") as info:
        gutbalance.write(cohort, tmp_path / "tables", format="bracken")
    assert ".profile (CAMI)" in str(info.value)
    assert not (tmp_path / "tables").exists()
    # another profiler's estimates are not Bracken's: refused, naming the profiler
    estimated = tmp_path / "S1_profile.txt"
    estimated.write_text(
        "#mpa_v30_CHOCOPhlAn_201901\n#estimated_reads_mapped_to_known_clades:1000\n"
        "#clade_name\tNCBI_tax_id\trelative_abundance\tcoverage\testimated_number_of_reads_from_the_clade\n"
        "k__Bacteria\t2\t100.0\t1.0\t1000\n"
        "k__Bacteria|p__Bacteroidetes\t2|976\t100.0\t1.0\t1000\n"
        "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|"
        "s__Bacteroides_vulgatus\t2|976|200643|171549|815|816|821\t100.0\t1.0\t1000\n"
    )
    mpa = gutbalance.read(estimated)
    assert mpa.counted_samples().all()
    with pytest.raises(FormatError, match="its reads were estimated by metaphlan"):
        gutbalance.write(mpa, tmp_path / "S1.bracken", format="bracken")


def test_a_bracken_table_converts_to_a_bracken_table_with_its_own_estimates(tmp_path):
    (tmp_path / "S3.bracken").write_text(BRACKEN_TABLE)
    cohort = gutbalance.read(tmp_path / "S3.bracken")
    out = gutbalance.write(cohort, tmp_path / "again" / "S3.bracken", format="bracken")
    rows = [line.split("\t") for line in out.read_text().splitlines()[1:]]
    assert [(r[0], r[5]) for r in rows] == [
        ("Phocaeicola vulgatus", "2000"), ("Roseburia intestinalis", "1200"), ("Roseburia hominis", "801")
    ]
    # a Kraken report still wants reads counted
    with pytest.raises(FormatError, match="its reads were estimated by bracken"):
        gutbalance.write(cohort, tmp_path / "S3.kreport", format="kraken")


@pytest.mark.parametrize(("fmt", "suffix"), [("kraken", ".kreport"), ("bracken", ".bracken")])
@pytest.mark.filterwarnings("ignore:.*have no NCBI taxid:gutbalance.errors.GutBalanceWarning")  # written as 0, said
def test_fractional_counts_are_refused_naming_the_sample_and_taxon(tmp_path, fmt, suffix):
    # A table that says it holds counts but holds 12.5: neither file holds fractions
    # of reads, and rounding would change the profile unsaid.
    table = tmp_path / "counts.csv"
    table.write_text("taxon,A,B\nRoseburia intestinalis,12.5,40\nRoseburia hominis,300,60\n")
    cohort = gutbalance.read(table, format="table")
    assert cohort.counted_samples().all()
    with pytest.raises(FormatError, match=r"sample 'A': taxon 'Roseburia intestinalis' holds 12\.5 reads, not a whole "
                                          "number") as info:
        gutbalance.write(cohort, tmp_path / f"out{suffix}", format=fmt)
    assert info.value.path == str(tmp_path / f"out{suffix}")
    assert not (tmp_path / f"out{suffix}").exists()
    # the whole-read sample alone is written
    only_b = cohort.subset(["B"])
    written = gutbalance.write(only_b, tmp_path / f"B{suffix}", format=fmt)
    assert "40\t" in written.read_text()


def test_table_needs_species(tmp_path):
    cohort = with_reads(make_cohort({"A": {"k__Bacteria|p__Firmicutes": 100.0}}))
    with pytest.raises(FormatError, match="species"):
        gutbalance.write(cohort, tmp_path / "A.bracken", format="bracken")


@pytest.mark.shared
@pytest.mark.filterwarnings("ignore:.*have no NCBI taxid:gutbalance.errors.GutBalanceWarning")  # written as 0, said
def test_cami_profiles_to_kraken_and_back(shared_data, tmp_path):
    folder = shared_data / "profiles" / "zeller2014_motus3_controls" / "profiles"
    cohort = with_reads(gutbalance.read(sorted(folder.glob("*.profile"))[:4]))
    out = gutbalance.write(cohort, tmp_path / "k", format="kraken")
    back = gutbalance.read(out)
    # reads are whole (with_reads rounds a million reads a sample): species shares within a read in 1e6
    assert_same_species(cohort, back, tol=1e-6)


# --- fuzzing -----------------------------------------------------------------------------


def _attempt(data: bytes, fmt, name="fuzz.kreport"):
    source = src(data, name)
    assert sniff_report(source) in (True, False)
    assert sniff_table(source) in (True, False)
    readers = [lambda: read_source(source, format=fmt)] if fmt else [lambda: read_report(source), lambda: read_table(source)]
    for reader in readers:
        with contextlib.suppress(GutBalanceError), warnings.catch_warnings():
            warnings.simplefilter("ignore", GutBalanceWarning)
            cohort = gutbalance.build_cohort(reader())
            assert np.isfinite(cohort.X.data).all()
            assert (cohort.X.data >= 0).all()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from([None, "kraken", "bracken"]))
def test_random_bytes(data, fmt):
    _attempt(data, fmt)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([REPORT, REPORT8, BRACKEN_REPORT, BRACKEN_TABLE]),
    st.integers(0, 4000),
    st.integers(0, 40),
    st.text(alphabet=st.sampled_from(list("\t\n -.0123456789eEnaSGU1|")) | st.characters(), max_size=20),
)
def test_mutated_files(valid, pos, cut, insert):
    pos = pos % (len(valid) + 1)
    text = valid[:pos] + insert + valid[pos + cut :]
    for fmt in (None, "kraken", "bracken"):
        _attempt(text.encode("utf-8", "surrogatepass"), fmt)


def test_half_a_read_in_a_million_is_not_taken_for_round_off(tmp_path):
    table = tmp_path / "counts.csv"
    table.write_text("taxon,A\nRoseburia intestinalis,1000000.5\nRoseburia hominis,300\n")
    cohort = gutbalance.read(table, format="table")
    with pytest.raises(FormatError, match=r"taxon 'Roseburia intestinalis' holds 1000000\.5 reads"):
        gutbalance.write(cohort, tmp_path / "A.kreport", format="kraken")


def test_a_bracken_species_no_lineage_places_reads_back_from_a_metaphlan_profile(tmp_path):
    # Bracken's own sample table names Nostoc punctiforme, which the lineage
    # table does not place: written as a rootless "s__Nostoc_punctiforme"
    # clade, which the single-profile MetaPhlAn reader refused (the merged
    # table reader already took rootless clades).  Its binomial gives it its
    # genus, as a lone s__ id read back does, so it is written under it.
    (tmp_path / "S5.bracken").write_text(
        "name\ttaxonomy_id\ttaxonomy_lvl\tkraken_assigned_reads\tadded_reads\tnew_est_reads\tfraction_total_reads\n"
        "Zzfoo barus\t999999\tS\t300\t0\t300\t0.30000\n"
        "Phocaeicola vulgatus\t821\tS\t700\t0\t700\t0.70000\n"
    )
    cohort = gutbalance.read(tmp_path / "S5.bracken")
    out = gutbalance.write(cohort, tmp_path / "S5_profile.txt", format="metaphlan")
    assert "\ng__Zzfoo|s__Zzfoo_barus\t" in out.read_text()
    back = gutbalance.read(out)
    assert back.at_rank("species").sum(axis=1).iloc[0] == pytest.approx(1.0)
    assert sorted(back.taxa.loc[back.at_rank("species").columns, "name"]) == ["Phocaeicola vulgatus", "Zzfoo barus"]


# KrakenUniq's report, in the shape of taxpasta's test data (nf-core/taxprofiler
# runs: tests/data/krakenuniq/test3.krakenuniq.report.txt): its "#" lines, a
# nine-column header, NA coverage, NCBI rank words, a strain under a strain.
KRAKENUNIQ = (
    "# KrakenUniq v1.0.2 DATE:2023-01-26T13:02:13Z DB:./krakenuniq DB_SIZE:3337541896 WD:/work/d3\n"
    "# CL:/usr/local/bin/krakenuniq --db krakenuniq --report-file S7.krakenuniq.report.txt S7.fastq.gz\n"
    "%\treads\ttaxReads\tkmers\tdup\tcov\ttaxID\trank\ttaxName\n"
    "10\t100\t100\t5226988\t1.17\tNA\t0\tno rank\tunclassified\n"
    "90\t900\t0\t44598440\t1.86\t0.1568\t1\tno rank\troot\n"
    "90\t900\t0\t44598440\t1.86\t0.1568\t131567\tno rank\t  cellular organisms\n"
    "90\t900\t0\t44598440\t1.86\t0.1568\t2\tsuperkingdom\t    Bacteria\n"
    "90\t900\t0\t4459844\t1.86\t0.1568\t1783272\tclade\t      Terrabacteria group\n"
    "90\t900\t0\t4459844\t1.86\t0.1568\t1239\tphylum\t        Firmicutes\n"
    "90\t900\t0\t4459844\t1.86\t0.1568\t186801\tclass\t          Clostridia\n"
    "90\t900\t0\t4459844\t1.86\t0.1568\t186802\torder\t            Clostridiales\n"
    "90\t900\t0\t4459844\t1.86\t0.1568\t216572\tfamily\t              Oscillospiraceae\n"
    "90\t900\t0\t4459844\t1.86\t0.1568\t216851\tgenus\t                Faecalibacterium\n"
    "60\t600\t100\t445984\t1.86\t0.1568\t853\tspecies\t                  Faecalibacterium prausnitzii\n"
    "50\t500\t200\t445984\t1.86\t0.1568\t411483\tstrain\t                    Faecalibacterium prausnitzii A2-165\n"
    "30\t300\t300\t445984\t1.86\t0.1568\t999999\tsubstrain\t                      Faecalibacterium prausnitzii A2-165 x\n"
    "30\t300\t300\t445984\t1.86\t0.1568\t2020\tspecies\t                  Faecalibacterium duncaniae\n"
)


def test_a_krakenuniq_report(tmp_path):
    # It was read as a generic table and refused ("line 5, field 'taxName':
    # 'root' is not a number"; with an NA coverage, "'NA' is not a number").
    path = tmp_path / "S7.krakenuniq.report.txt"
    path.write_text(KRAKENUNIQ)
    cohort = gutbalance.read(path)
    assert cohort.sample_names == ["S7"]
    samples = cohort.samples.iloc[0]
    assert samples["source_format"] == "krakenuniq"
    assert samples["database"] == "KrakenUniq v1.0.2; DB:./krakenuniq"
    assert samples["unassigned"] == pytest.approx(0.1)  # the unclassified reads of all 1,000
    species = cohort.at_rank("species").iloc[0]
    shares = {cohort.taxa.loc[k, "name"]: v for k, v in species.items() if v > 0}
    assert shares == pytest.approx({"Faecalibacterium prausnitzii": 0.6, "Faecalibacterium duncaniae": 0.3})
    strains = cohort.at_rank("strain").iloc[0]
    assert strains[strains > 0].to_list() == pytest.approx([0.5])  # the substrain is inside its strain
    assert cohort.counted_samples().all()  # reads counted: Chao1 is computed


@pytest.mark.parametrize(
    ("edit", "line", "field"),
    [
        (lambda t: t.replace("\t5226988\t", "\t52x\t"), 4, "kmers"),
        (lambda t: t.replace("90\t900\t0\t4459844\t1.86\t0.1568\t1239", "90\t900\t0\t4459844\t1.86\t1239"), 9, None),
        (lambda t: t.replace("60\t600\t100", "60\t600\t700"), 14, "taxon_reads"),
        (lambda t: t.replace("30\t300\t300\t445984\t1.86\t0.1568\t2020", "30\t200\t200\t445984\t1.86\t0.1568\t2020"),
         13, "clade_reads"),
    ],
)
def test_a_krakenuniq_report_is_refused_naming_line_and_field(tmp_path, edit, line, field):
    path = tmp_path / "S7.krakenuniq.report.txt"
    path.write_text(edit(KRAKENUNIQ))
    with pytest.raises(FormatError) as err:
        gutbalance.read(path)
    assert (err.value.line, err.value.field) == (line, field)


def test_a_bracken_row_written_twice_is_refused_with_both_lines():
    # fault: a repeated row was summed in silently and the scores moved (Bracken's sample table with
    # its Bacillus cereus row repeated: immune_support 37.67 -> 36.67)
    repeated = BRACKEN_TABLE + BRACKEN_TABLE.splitlines()[2] + "\n"
    with pytest.raises(FormatError, match=r"line 5, field 'taxonomy_id'.*'Roseburia intestinalis' repeats line 3"):
        read_table(src(repeated, "S3.bracken"))


@pytest.mark.parametrize("second", [REPORT, REPORT.split("\n", 1)[1]])
def test_two_reports_in_one_file_are_refused_naming_both_lines(second):
    # fault: `cat a.report b.report` was read as one sample, its reads doubled or two samples mixed
    # (Bracken's sample_test.report twice: immune_support 38.22 -> 37.58, chao1 437.9 -> 403)
    first_rows = len(REPORT_ROWS)
    first = "unclassified" if second == REPORT else "root"
    where = 1 if second == REPORT else 2
    with pytest.raises(FormatError, match=rf"line {first_rows + 1}, field 'name'.*a second top-level '{first}' "
                                          rf"row \(the first is line {where}\)"):
        read_report(src(REPORT + second, "S1.kreport"))


def test_a_strain_stays_under_the_species_its_report_indents_it_under():
    # fault: "Leuconostoc gasicomitatum LMG 18811", a strain the lineage table files under
    # L. gelidum, went there with its reads, out of the species the report put it under
    # (a real report: richness 11,382 where its named species rows are 11,381)
    rows = [(0.0, 0, 0, "U", 0, 0, "unclassified"), (100.0, 300, 0, "R", 1, 0, "root"),
            (100.0, 300, 0, "D", 2, 1, "Bacteria"), (100.0, 300, 0, "P", 1239, 2, "Firmicutes"),
            (100.0, 300, 0, "C", 91061, 3, "Bacilli"), (100.0, 300, 0, "O", 186826, 4, "Lactobacillales"),
            (100.0, 300, 0, "F", 81850, 5, "Leuconostocaceae"), (100.0, 300, 0, "G", 1243, 6, "Leuconostoc"),
            (70.0, 210, 140, "S", 115778, 7, "Leuconostoc gasicomitatum"),
            (23.0, 70, 70, "S1", 762550, 8, "Leuconostoc gasicomitatum LMG 18811"),
            (30.0, 90, 90, "S", 1249, 7, "Leuconostoc gelidum")]
    cohort = gutbalance.build_cohort(read_source(src("\n".join(row(*r) for r in rows) + "\n")))
    species = cohort.at_rank("species").iloc[0]
    assert species["s__Leuconostoc gasicomitatum"] == pytest.approx(0.7)
    assert species["s__Leuconostoc gelidum"] == pytest.approx(0.3)
    strain = cohort.taxa[cohort.taxa["rank"] == "strain"]
    assert strain["lineage"].str.contains("s__Leuconostoc_gasicomitatum|t__", regex=False).all()
