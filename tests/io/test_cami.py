"""CAMI / BioBoxes profiles (mOTUs 3): sniffing, lineages, several samples,
errors, the 457 Zeller et al. 2014 profiles, round trips and fuzzing."""

import contextlib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import gutbalance
from gutbalance.cli import main
from gutbalance.errors import FormatError, GutBalanceError, GutBalanceWarning
from gutbalance.io import read_source
from gutbalance.io.formats.cami import read, sniff
from gutbalance.io.registry import sniff as sniff_any
from gutbalance.io.source import Source
from gutbalance.taxonomy import lineage_string
from gutbalance.taxonomy.placement import table_lineage
from tests.helpers import SMALL_COMMUNITY, assert_same_species, make_cohort, metaphlan_text

HEADER = "@@TAXID\tRANK\tTAXPATH\tTAXPATHSN\tPERCENTAGE"
MOTUS = (
    "# Taxonomic Profiling Output\n"
    "# git tag version 3.0.2 |  motus version 3.0.2 | map_tax 3.0.2 | taxonomy: ref_mOTU_3.0.2 meta_mOTU_3.0.2\n"
    "\n"
    "@SampleID: unnamed sample\n"
    "@Version:0.9.3\n"
    "@Ranks:superkingdom|phylum|class|order|family|genus|species|strain\n"
    "@TaxonomyID: Jan 08 2019\n"
    f"{HEADER}\n"
    "2\tsuperkingdom\t2\tBacteria\t95.0\n"
    "1239\tphylum\t2|1239\tBacteria|Firmicutes\t70.0\n"
    "976\tphylum\t2|976\tBacteria|Bacteroidetes\t25.0\n"
    "186801\tclass\t2|1239|186801\tBacteria|Firmicutes|Clostridia\t70.0\n"
    "186802\torder\t2|1239|186801|186802\tBacteria|Firmicutes|Clostridia|Clostridiales\t70.0\n"
    "\tfamily\t2|1239|186801|186802|\tBacteria|Firmicutes|Clostridia|Clostridiales|Clostridiales fam. incertae sedis\t10.0\n"
    "1392389\tgenus\t2|1239|186801|186802||1392389\tBacteria|Firmicutes|Clostridia|Clostridiales|Clostridiales fam. incertae sedis|Intestinimonas\t10.0\n"
    "\tspecies\t2|1239||||\tBacteria|Firmicutes|||||Firmicutes bacterium CAG:110 [meta_mOTU_v3_12345]\t40.0\n"
    "\tspecies\t2|||||\tBacteria||||||unassigned\t20.0\n"
    "1392389\tspecies\t2|1239|186801|186802||1392389|1\tBacteria|Firmicutes|Clostridia|Clostridiales|Clostridiales fam. incertae sedis|Intestinimonas|Intestinimonas butyriciproducens\t10.0\n"
    "820\tspecies\t2|976|200643|171549|815|816|820\tBacteria|Bacteroidetes|Bacteroidia|Bacteroidales|Bacteroidaceae|Bacteroides|Bacteroides uniformis\t25.0\n"
)
TWO_SAMPLES = (
    "@SampleID:gut_A\n@Version:0.9.1\n@Ranks:superkingdom|kingdom|phylum|species\n@TaxonomyID:ncbi-2017\n"
    "@__program__:unit-test-profiler 1.0\n"
    f"{HEADER}\t_CAMI_genomeID\n"
    "2\tsuperkingdom\t2\tBacteria\t80\tg1\n"
    "2759\tsuperkingdom\t2759\tEukaryota\t10\t\n"
    "4751\tkingdom\t2759|4751\tEukaryota|Fungi\t10\t\n"
    "4890\tphylum\t2759|4751|4890\tEukaryota|Fungi|Ascomycota\t10\t\n"
    "976\tphylum\t2||976\tBacteria||Bacteroidetes\t80\tg1\n"
    "821\tspecies\t2||976|821\tBacteria||Bacteroidetes|Bacteroides vulgatus\t80\tg1\n"
    "\n"
    "@SampleID:gut_B\n@Version:0.9.1\n@Ranks:superkingdom|kingdom|phylum|species\n@TaxonomyID:ncbi-2017\n"
    f"{HEADER}\t_CAMI_genomeID\n"
    "2\tsuperkingdom\t2\tBacteria\t100\tg2\n"
    "1239\tphylum\t2||1239\tBacteria||Firmicutes\t100\tg2\n"
    "853\tspecies\t2||1239|853\tBacteria||Firmicutes|Faecalibacterium prausnitzii\t60\tg2\n"
    "853\tspecies\t2||1239|853\tBacteria||Firmicutes|Faecalibacterium  prausnitzii\t40\tg3\n"
)


def src(text, name="S1.profile"):
    return Source(Path(name), text.encode() if isinstance(text, str) else text)


def by_id(profile):
    return {lin[-1].id: (lin, v) for lin, v in zip(profile.lineages, profile.abundance, strict=True)}


# --- sniffing ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [MOTUS, TWO_SAMPLES, MOTUS.replace("@SampleID: unnamed sample\n", "")])
def test_sniffer_accepts(text):
    assert sniff(src(text))
    assert sniff_any(src(text)).name == "cami"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# only a comment\n",
        f"{HEADER}\n2\tsuperkingdom\t2\tBacteria\t100\n",  # no @ header lines
        "@SampleID:S1\n2\tsuperkingdom\t2\tBacteria\t100\n",  # no column header
        "@SampleID:S1\n@@TAXID\tRANK\tPATH\tPERCENTAGE\n",  # not CAMI columns
        metaphlan_text(SMALL_COMMUNITY),
        " 20.00\t2000\t2000\tU\t0\tunclassified\n 80.00\t8000\t0\tR\t1\troot\n",
        "name\ttaxonomy_id\ttaxonomy_lvl\tkraken_assigned_reads\tadded_reads\tnew_est_reads\tfraction_total_reads\n",
        "sample,taxon,abundance\nS1,Bacteroides,0.5\n",
        '{"id": null, "format": "Biological Observation Matrix 1.0.0"}',
        "\x00\x01binary@@TAXID",
    ],
)
def test_sniffer_rejects(text):
    assert not sniff(src(text))


# --- reading -----------------------------------------------------------------------------------


def test_motus_profile():
    (profile,) = read(src(MOTUS, "ERR000001.profile"))
    assert profile.sample == "ERR000001"  # '@SampleID: unnamed sample' takes the file name
    assert profile.source_format == "cami"
    assert profile.unassigned == pytest.approx(0.05)
    assert profile.database == "Jan 08 2019; motus version 3.0.2; taxonomy: ref_mOTU_3.0.2 meta_mOTU_3.0.2"
    taxa = by_id(profile)
    lineage, value = taxa["s__Intestinimonas butyriciproducens"]
    assert value == pytest.approx(0.10)
    assert [t.rank for t in lineage] == ["domain", "phylum", "class", "order", "family", "genus", "species"]
    assert lineage[4].original == "Clostridiales fam. incertae sedis"
    assert lineage[1].name == "Bacillota"
    # empty TAXPATHSN entries are skipped; mOTUs names are kept as written
    (key,) = [k for k in taxa if "CAG:110" in k]
    lineage, value = taxa[key]
    assert [t.rank for t in lineage] == ["domain", "phylum", "species"]
    assert lineage[-1].original == "Firmicutes bacterium CAG:110 [meta_mOTU_v3_12345]"
    assert value == pytest.approx(0.40)
    lineage, _ = taxa["s__unassigned"]
    assert [t.original for t in lineage] == ["Bacteria", "unassigned"]
    assert lineage[-1].unclassified
    taxids = dict(zip([lin[-1].id for lin in profile.lineages], profile.taxids, strict=True))
    assert taxids["s__Bacteroides uniformis"] == "820"
    assert taxids[key] == ""


def test_cohort_from_motus_profile():
    cohort = gutbalance.build_cohort(read(src(MOTUS)))
    assert cohort.at_rank("phylum").loc["S1"].sum() == pytest.approx(0.95)
    assert cohort.at_rank("species").loc["S1"].sum() == pytest.approx(0.95)
    assert cohort.classified()[0] == pytest.approx(0.95)


def test_several_samples_in_one_file():
    profiles = read(src(TWO_SAMPLES, "two.profile"))
    assert [p.sample for p in profiles] == ["gut_A", "gut_B"]
    a, b = profiles
    assert a.database == "ncbi-2017; unit-test-profiler 1.0"
    assert a.unassigned == pytest.approx(0.10)
    taxa = by_id(a)
    # kingdom is not a standard rank after superkingdom: Fungi is left out
    assert [t.original for t in taxa["p__Ascomycota"][0]] == ["Eukaryota", "Ascomycota"]
    assert [t.rank for t in taxa["s__Phocaeicola vulgatus"][0]] == ["domain", "phylum", "species"]
    assert b.unassigned == 0.0
    cohort = gutbalance.build_cohort(profiles)
    assert cohort.sample_names == ["gut_A", "gut_B"]
    # two spellings of one species are one taxon
    assert cohort.at_rank("species").loc["gut_B", "s__Faecalibacterium prausnitzii"] == pytest.approx(1.0)


def test_unnamed_samples_are_numbered():
    text = TWO_SAMPLES.replace("@SampleID:gut_A", "@SampleID:").replace("@SampleID:gut_B", "@SampleID: unnamed sample")
    assert [p.sample for p in read(src(text, "run9.profile"))] == ["run9_1", "run9_2"]


def test_rows_outside_standard_ranks_are_skipped():
    text = (
        "@SampleID:S\n@Ranks:superkingdom|phylum|subphylum|class\n"
        f"{HEADER}\n"
        "2\tsuperkingdom\t2\tBacteria\t100\n"
        "1\tphylum\t2|1\tBacteria|P1\t100\n"
        "3\tsubphylum\t2|1|3\tBacteria|P1|Sub\t100\n"
        "4\tclass\t2|1|3|4\tBacteria|P1|Sub|C1\t100\n"
    )
    (profile,) = read(src(text))
    assert [[t.id for t in lin] for lin in profile.lineages][-1] == ["k__Bacteria", "p__P1", "c__C1"]
    assert len(profile.lineages) == 3


# MetaPhlAn 4 (mpa_vJan21) with --CAMI_format_output, in the shape of
# benchpro's CAMI gastrointestinal runs (4less/benchpro_rust): MetaPhlAn's
# comment lines and default sample id, and a row for the family its taxonomy
# does not give Phocaeicola (no TAXID, no name), carried by the genus below.
METAPHLAN4_CAMI = (
    "#mpa_vJan21_CHOCOPhlAnSGB_202103\n"
    "#/usr/bin/metaphlan r1.fq,r2.fq --CAMI_format_output --input_type fastq -o 0.profile.tsv\n"
    "#33332086 reads processed\n"
    "@SampleID:Metaphlan_Analysis\n@Version:0.10.0\n"
    "@Ranks:superkingdom|phylum|class|order|family|genus|species|strain\n"
    f"{HEADER}\n"
    "2\tsuperkingdom\t2\tBacteria\t100.0\n"
    "976\tphylum\t2|976\tBacteria|Bacteroidetes\t100.0\n"
    "200643\tclass\t2|976|200643\tBacteria|Bacteroidetes|Bacteroidia\t100.0\n"
    "171549\torder\t2|976|200643|171549\tBacteria|Bacteroidetes|Bacteroidia|Bacteroidales\t100.0\n"
    "815\tfamily\t2|976|200643|171549|815\tBacteria|Bacteroidetes|Bacteroidia|Bacteroidales|Bacteroidaceae\t60.0\n"
    "\tfamily\t2|976|200643|171549|\tBacteria|Bacteroidetes|Bacteroidia|Bacteroidales|\t40.0\n"
    "816\tgenus\t2|976|200643|171549|815|816\tBacteria|Bacteroidetes|Bacteroidia|Bacteroidales|Bacteroidaceae|Bacteroides\t60.0\n"
    "909656\tgenus\t2|976|200643|171549||909656\tBacteria|Bacteroidetes|Bacteroidia|Bacteroidales||Phocaeicola\t40.0\n"
    "820\tspecies\t2|976|200643|171549|815|816|820\tBacteria|Bacteroidetes|Bacteroidia|Bacteroidales|Bacteroidaceae|Bacteroides|Bacteroides_uniformis\t60.0\n"
    "821\tspecies\t2|976|200643|171549||909656|821\tBacteria|Bacteroidetes|Bacteroidia|Bacteroidales||Phocaeicola|Phocaeicola_vulgatus\t40.0\n"
)


def test_metaphlan4_cami_output_with_a_nameless_rank(tmp_path):
    (profile,) = read(src(METAPHLAN4_CAMI, "0.profile.tsv"))
    assert profile.sample == "0"  # MetaPhlAn's default id gives way to the file's name
    assert profile.database.startswith("mpa_vJan21_CHOCOPhlAnSGB_202103")
    by_leaf = {lin[-1].original: value for lin, value in zip(profile.lineages, profile.abundance, strict=True)}
    assert by_leaf["Phocaeicola_vulgatus"] == pytest.approx(0.4)
    assert sum(v for lin, v in zip(profile.lineages, profile.abundance, strict=True) if lin[-1].rank == "family") == (
        pytest.approx(0.6)
    )
    vulgatus = next(lin for lin in profile.lineages if lin[-1].original == "Phocaeicola_vulgatus")
    assert [t.rank for t in vulgatus] == ["domain", "phylum", "class", "order", "genus", "species"]
    (tmp_path / "0.profile.tsv").write_text(METAPHLAN4_CAMI)
    cohort = gutbalance.read(tmp_path / "0.profile.tsv")
    assert cohort.at_rank("species").sum(axis=1).iloc[0] == pytest.approx(1.0)


def test_a_nameless_row_nothing_below_carries_is_refused():
    text = METAPHLAN4_CAMI.replace("Bacteroidales||Phocaeicola|Phocaeicola_vulgatus\t40.0", "Bacteroidales|x|y|z\t40.0")
    text = text.replace("Bacteroidales||Phocaeicola\t40.0", "Bacteroidales|x|Phocaeicola\t40.0")
    with pytest.raises(FormatError, match="rows below it hold 0 % of its 40 %") as err:
        read(src(text, "0.profile.tsv"))
    assert (err.value.line, err.value.field) == (13, "TAXPATHSN")


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        (MOTUS.replace("\tBacteria\t95.0", "\tBacteria\t95.0\textra"), 9, None, "columns"),
        (MOTUS.replace("\tBacteria\t95.0", "\tBacteria\tmany"), 9, "PERCENTAGE", "not a number"),
        (MOTUS.replace("\tBacteria\t95.0", "\tBacteria\t-95.0"), 9, "PERCENTAGE", "negative"),
        (MOTUS.replace("\tBacteria\t95.0", "\tBacteria\tnan"), 9, "PERCENTAGE", "NaN"),
        (MOTUS.replace("\tBacteria\t95.0", "\tBacteria\t195.0"), 9, "PERCENTAGE", "above 100"),
        (MOTUS.replace("\tsuperkingdom\t2\t", "\tdomain\t2\t"), 9, "RANK", "not in @Ranks"),
        (MOTUS.replace("2|1239\tBacteria|Firmicutes\t", "2|1239\tFirmicutes\t"), 10, "TAXPATHSN", "names for a phylum"),
        (MOTUS.replace("Bacteria|Firmicutes\t70.0", "Bacteria|\t70.0"), 10, "TAXPATHSN", "no name"),
        (MOTUS.replace(f"{HEADER}\n", ""), 8, None, "before the @@TAXID"),
        (MOTUS.replace("@Version:0.9.3", "@Version 0.9.3"), 5, None, "@Key:value"),
        (MOTUS.replace("@TaxonomyID: Jan 08 2019", "@Ranks:x|y"), 7, None, "given twice"),
        (MOTUS.replace(f"{HEADER}\n", "@@TAXID\tRANK\tTAXPATH\tPERCENTAGE\n"), 8, None, "lacks TAXPATHSN"),
        # truncated mid-row and after the header
        (MOTUS[: MOTUS.index("Bacteroides uniformis") + 5], 19, None, "columns"),
        (MOTUS[: MOTUS.index(HEADER) + len(HEADER) + 1], 4, None, "without rows"),
        (MOTUS[: MOTUS.index(HEADER)], 4, None, "without its @@TAXID"),
        (TWO_SAMPLES.replace("gut_B", "gut_A"), 14, None, "repeats"),
    ],
)
def test_errors(text, line, field, message):
    with pytest.raises(FormatError, match=message) as err:
        read(src(text))
    assert err.value.path == "S1.profile"
    assert err.value.line == line
    assert err.value.field == field


@pytest.mark.parametrize("text", ["", "\n\n", "# Taxonomic Profiling Output\n"])
def test_empty(text):
    with pytest.raises(FormatError, match="empty or truncated"):
        read(src(text))


# --- the real profiles ---------------------------------------------------------------------------


@pytest.mark.shared
def test_zeller_motus3_profiles(shared_data):
    folder = shared_data / "profiles" / "zeller2014_motus3_controls"
    cohort = gutbalance.read(folder / "profiles")
    assert cohort.n_samples == 457
    runs = pd.read_csv(folder / "metadata.tsv", sep="\t")["run"]
    assert sorted(cohort.sample_names) == sorted(runs)
    assert set(cohort.samples["source_format"]) == {"cami"}
    assert cohort.samples.loc["ERR478958", "database"].startswith("Jan 08 2019; motus version 3.0.2")
    # values as in ERR478958.profile
    assert cohort.at_rank("species").loc["ERR478958", "s__Anaerostipes hadrus"] == pytest.approx(0.08869691904781291)
    assert cohort.at_rank("phylum").loc["ERR478958", "p__Bacillota"] == pytest.approx(0.8366459110803056)
    assert cohort.at_rank("domain").loc["ERR478958", "k__Archaea"] == pytest.approx(0.0006068252469658632)
    # Lineages are those of the bundled lineage table, whichever profiler named the taxon.
    lineage = cohort.taxa.loc["g__Intestinimonas", "lineage"]
    assert lineage == lineage_string(table_lineage("g__Intestinimonas"))
    assert cohort.samples["placed"].between(0.9, 1.0).all()
    # every rank of every profile adds up to 100 %
    assert np.allclose(cohort.at_rank("species").sum(axis=1), 1.0)
    assert np.allclose(cohort.samples["unassigned"], 0.0, atol=1e-9)


# --- writing and round trips ---------------------------------------------------------------------

SECOND = dict(zip(SMALL_COMMUNITY, [30.0, 5.0, 20.0, 10.0, 15.0, 10.0, 4.0, 6.0], strict=True))


def test_round_trip(tmp_path):
    cohort = make_cohort({"A": SMALL_COMMUNITY, "B": SECOND})
    out = gutbalance.write(cohort, tmp_path / "both.profile", format="cami")
    text = out.read_text()
    assert text.count("@SampleID:") == 2
    back = gutbalance.read(out)
    assert back.sample_names == ["A", "B"]
    assert_same_species(cohort, back)
    genus = cohort.at_rank("genus")
    assert np.allclose(back.at_rank("genus")[genus.columns].to_numpy(), genus.to_numpy(), atol=1e-12)


def test_round_trip_keeps_unassigned_and_taxids(tmp_path):
    kreport = (
        " 25.00\t250\t250\tU\t0\tunclassified\n 75.00\t750\t0\tR\t1\troot\n 75.00\t750\t0\tD\t2\t  Bacteria\n"
        " 75.00\t750\t250\tG\t816\t    Bacteroides\n 50.00\t500\t500\tS\t821\t      Bacteroides vulgatus\n"
    )
    (tmp_path / "S1.kreport").write_text(kreport)
    cohort = gutbalance.read(tmp_path / "S1.kreport")
    gutbalance.write(cohort, tmp_path / "S1.profile", format="cami")
    text = (tmp_path / "S1.profile").read_text()
    # The ranks the Kraken report skipped are filled from the lineage table.
    assert (
        "821\tspecies\t2|||||816|821\tBacteria|Bacteroidota|Bacteroidia|Bacteroidales|Bacteroidaceae|Bacteroides|"
        "Phocaeicola vulgatus\t50.0" in text
    )
    back = gutbalance.read(tmp_path / "S1.profile")
    assert back.samples.loc["S1", "unassigned"] == pytest.approx(0.25)
    assert_same_species(cohort, back)


@pytest.mark.shared
def test_zeller_round_trip(shared_data, tmp_path):
    folder = shared_data / "profiles" / "zeller2014_motus3_controls" / "profiles"
    cohort = gutbalance.read(sorted(folder.glob("*.profile"))[:20])
    back = gutbalance.read(gutbalance.write(cohort, tmp_path / "all.profile", format="cami"))
    assert_same_species(cohort, back)


def test_convert_command(tmp_path):
    cohort = make_cohort({"A": SMALL_COMMUNITY})
    gutbalance.write(cohort, tmp_path / "A.profile", format="cami")
    result = CliRunner().invoke(
        main, ["convert", str(tmp_path / "A.profile"), "-o", str(tmp_path / "A.biom")], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert_same_species(cohort, gutbalance.read(tmp_path / "A.biom"))
    # A CAMI profile holds relative abundances: a Kraken report (reads counted) is refused, saying why.
    result = CliRunner().invoke(
        main, ["convert", str(tmp_path / "A.profile"), "-o", str(tmp_path / "A.kreport"), "--to", "kraken"],
        catch_exceptions=False,
    )
    assert result.exit_code == 2
    assert "it holds relative abundances, not read counts" in result.output
    assert not (tmp_path / "A.kreport").exists()


# --- fuzzing ---------------------------------------------------------------------------------------


def _attempt(data: bytes, fmt):
    source = src(data, "fuzz.profile")
    assert sniff(source) in (True, False)
    with contextlib.suppress(GutBalanceError), warnings.catch_warnings():
        warnings.simplefilter("ignore", GutBalanceWarning)
        profiles = read_source(source, format=fmt) if fmt else read(source)
        cohort = gutbalance.build_cohort(profiles)
        assert np.isfinite(cohort.X.data).all()
        assert (cohort.X.data >= 0).all()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from([None, "cami"]))
def test_random_bytes(data, fmt):
    _attempt(data, fmt)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([MOTUS, TWO_SAMPLES]),
    st.integers(0, 4000),
    st.integers(0, 40),
    st.text(alphabet=st.sampled_from(list("\t\n|@:-.0123456789eEnaS ")) | st.characters(), max_size=20),
)
def test_mutated_files(valid, pos, cut, insert):
    pos = pos % (len(valid) + 1)
    text = valid[:pos] + insert + valid[pos + cut :]
    _attempt(text.encode("utf-8", "surrogatepass"), "cami")


def test_taxpath_ids_of_a_taxon_keyed_by_its_lineage(tmp_path):
    # "Zzfoo" is a genus the lineage table does not know, so its column (and
    # its species') is keyed by the lineage; the TAXPATH ids used to be looked
    # up as "g__Zzfoo" and came out empty for the genus and the species
    report = "\n".join(
        "\t".join(fields)
        for fields in [
            ("10.00", "100", "100", "U", "0", "unclassified"),
            ("90.00", "900", "0", "R", "1", "root"),
            ("90.00", "900", "0", "D", "2", "  Bacteria"),
            ("90.00", "900", "0", "P", "1239", "    Bacillota"),
            ("90.00", "900", "0", "C", "186801", "      Clostridia"),
            ("90.00", "900", "0", "O", "186802", "        Eubacteriales"),
            ("90.00", "900", "0", "F", "186803", "          Lachnospiraceae"),
            ("90.00", "900", "0", "G", "999001", "            Zzfoo"),
            ("90.00", "900", "900", "S", "999002", "              Zzfoo bar"),
        ]
    ) + "\n"
    (tmp_path / "S1.kreport").write_text(report, encoding="utf-8")
    cohort = gutbalance.read(tmp_path / "S1.kreport")
    assert any("|g__Zzfoo" in key for key in cohort.taxa.index)
    gutbalance.write(cohort, tmp_path / "S1.profile", format="cami")
    rows = [line.split("\t") for line in (tmp_path / "S1.profile").read_text().splitlines() if line.startswith("999002\t")]
    assert len(rows) == 1
    ids = rows[0][2].split("|")
    # the order is the lineage table's (Clostridiales), which the report gave no id for
    assert ids[:3] == ["2", "1239", "186801"]
    assert ids[4:] == ["186803", "999001", "999002"]


def test_a_clade_rounded_past_100_reads_back(tmp_path):
    # MetaPhlAn rounds each row to 5 decimals, so the clade gutbalance builds
    # from the rows below Bacteria (and writes with convert) came to
    # 100.00003 %, which this reader refused as "above 100".
    (profile,) = read(src(METAPHLAN4_CAMI.replace("Bacteria\t100.0\n", "Bacteria\t100.00003000000002\n", 1)))
    assert sum(v for lin, v in zip(profile.lineages, profile.abundance, strict=True) if len(lin) == 1) == (
        pytest.approx(1.0000003)
    )
    with pytest.raises(FormatError, match="above 100"):
        read(src(METAPHLAN4_CAMI.replace("Bacteria\t100.0\n", "Bacteria\t100.01\n", 1)))


def test_a_row_written_twice_is_refused_with_both_lines():
    # fault: a repeated row was summed in silently (a real mOTUs CAMI profile with its E. coli
    # row repeated: immune_support 53.85 -> 50.07); one path under two taxids is still summed
    row = MOTUS.splitlines()[-1]
    with pytest.raises(FormatError, match=r"line 20, field 'TAXPATHSN'.*'Bacteroides uniformis' repeats line 19"):
        read(src(MOTUS + row + "\n"))
    (profile,) = read(src(MOTUS + row.replace("820\t", "821\t", 1) + "\n"))
    uniformis = [a for lineage, a in zip(profile.lineages, profile.abundance, strict=True)
                 if lineage[-1].name == "Bacteroides uniformis"]
    assert uniformis == [pytest.approx(0.5)]


def test_a_sample_with_nothing_classified_is_written_so_that_it_reads_back(tmp_path):
    # fault (outside check): convert wrote a 100 %-unclassified sample (Oliver et al. 2021's WF_1) as a block
    # without rows, which the reader refused as a cut file, losing every sample of the file with it
    source = tmp_path / "two.tsv"
    source.write_text("clade_name\tWF_1\tWF_11\n"
                      "k__Bacteria\t0\t100\n"
                      "k__Bacteria|p__Bacteroidetes\t0\t100\n"
                      "k__Bacteria|p__Bacteroidetes|c__Bacteroidia\t0\t100\n"
                      "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales\t0\t100\n"
                      "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae\t0\t100\n"
                      "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides"
                      "\t0\t100\n"
                      "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|"
                      "s__Bacteroides_uniformis\t0\t100\n")
    result = CliRunner().invoke(main, ["convert", str(source), "-o", str(tmp_path / "two.profile"), "--to", "cami"])
    assert result.exit_code == 0, result.output
    assert "# nothing classified in this sample" in (tmp_path / "two.profile").read_text()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GutBalanceWarning)
        back = {p.sample: p for p in gutbalance.io.read_profiles(tmp_path / "two.profile")}
    assert set(back) == {"WF_1", "WF_11"}
    assert back["WF_1"].lineages == []
    assert back["WF_1"].unassigned == 1.0
    assert back["WF_11"].abundance[-1] == pytest.approx(1.0)


def test_a_block_without_rows_followed_by_another_sample_has_nothing_classified():
    # another tool's empty sample is not a cut file when the next sample follows it
    empty_first = TWO_SAMPLES[: TWO_SAMPLES.index("2\tsuperkingdom")] + TWO_SAMPLES[TWO_SAMPLES.index("@SampleID:gut_B"):]
    profiles = {p.sample: p for p in read(src(empty_first.replace("gut_A", "gut_empty")))}
    assert profiles["gut_empty"].lineages == []
    assert profiles["gut_empty"].unassigned == 1.0
