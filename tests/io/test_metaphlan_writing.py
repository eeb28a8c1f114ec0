"""A merged MetaPhlAn table written by gutbalance reads back to the profiles it was written from.

Found by converting 527 real MetaPhlAn 2 profiles of MetAML's table (SegataLab/metaml) to a
merged table and analysing it again (docs/tried-on-public-data.md, 2026-11-28): the
database line was lost (so MetaPhlAn 3 samples lost their percentiles' version caveat), and
a species placed under its order (MetaPhlAn 2's ``g__Clostridiales_noname|
s__Bacteroides_pectinophilus``) was written without a genus, read back under a guessed
``g__Bacteroides`` beside the real one, and the real genus row was set aside as a clade
written twice: pillars moved by up to 8e-6 points.
"""

import numpy as np
import pytest

import gutbalance
from gutbalance.taxonomy import lineage_to_write, parse_lineage

BACTEROIDETES = "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides"
CLOSTRIDIALES = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales"
NONAME = f"{CLOSTRIDIALES}|f__Clostridiales_noname|g__Clostridiales_noname"
# A MetaPhlAn 2 profile as MetaPhlAn writes it: every clade rounded on its own,
# so g__Bacteroides is 1e-5 % above the sum of its species.
METAPHLAN2 = {
    "k__Bacteria": 100.0,
    "k__Bacteria|p__Bacteroidetes": 60.00001,
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia": 60.00001,
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales": 60.00001,
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae": 60.00001,
    BACTEROIDETES: 60.00001,
    f"{BACTEROIDETES}|s__Bacteroides_uniformis": 35.0,
    f"{BACTEROIDETES}|s__Bacteroides_dorei": 25.0,
    "k__Bacteria|p__Firmicutes": 39.99999,
    "k__Bacteria|p__Firmicutes|c__Clostridia": 39.99999,
    CLOSTRIDIALES: 39.99999,
    f"{CLOSTRIDIALES}|f__Ruminococcaceae": 30.0,
    f"{CLOSTRIDIALES}|f__Ruminococcaceae|g__Faecalibacterium": 30.0,
    f"{CLOSTRIDIALES}|f__Ruminococcaceae|g__Faecalibacterium|s__Faecalibacterium_prausnitzii": 30.0,
    f"{CLOSTRIDIALES}|f__Clostridiales_noname": 9.99999,
    NONAME: 9.99999,
    f"{NONAME}|s__Bacteroides_pectinophilus": 9.99999,
}


def _merged(path, database: str, samples: dict[str, dict[str, float]]):
    clades = list(next(iter(samples.values())))
    lines = [f"#{database}", "clade_name\t" + "\t".join(samples)]
    lines += [clade + "\t" + "\t".join(repr(s[clade]) for s in samples.values()) for clade in clades]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _clade(cohort: gutbalance.Cohort, taxon: str) -> np.ndarray:
    return cohort.X[:, list(cohort.taxa.index).index(taxon)].toarray().ravel()


@pytest.fixture
def metaphlan2(tmp_path):
    return gutbalance.read([_merged(tmp_path / "mpa2.tsv", "mpa_v20_m200", {"S1": METAPHLAN2, "S2": METAPHLAN2})])


def test_a_species_without_genus_is_written_with_an_empty_genus_slot(metaphlan2, tmp_path):
    written = tmp_path / "out.tsv"
    gutbalance.write(metaphlan2, written)
    rows = [line.split("\t")[0] for line in written.read_text(encoding="utf-8").splitlines()]
    # placed again (the noname genus is no genus): written in the current names
    assert f"{CLOSTRIDIALES}|g__|s__Bacteroides_pectinophilus".replace("Firmicutes", "Bacillota") in rows
    # No second g__Bacteroides: every row naming that genus is the real one.
    assert all("p__Bacteroidota" in row for row in rows if "g__Bacteroides" in row)


def test_the_merged_table_reads_back_to_the_same_clades_and_scores(metaphlan2, tmp_path):
    written = tmp_path / "out.tsv"
    gutbalance.write(metaphlan2, written)
    again = gutbalance.read([written])
    assert list(again.taxa.index) == list(metaphlan2.taxa.index)
    # The genus row of the file (60.00001 %), not the sum of its species (60 %).
    assert _clade(metaphlan2, "g__Bacteroides") == pytest.approx([0.6000001] * 2, abs=1e-15)
    assert _clade(again, "g__Bacteroides") == pytest.approx(_clade(metaphlan2, "g__Bacteroides"), abs=1e-15)
    np.testing.assert_allclose(again.X.toarray(), metaphlan2.X.toarray(), rtol=0, atol=1e-15)
    before, after = gutbalance.score(metaphlan2), gutbalance.score(again)
    numbers = before.select_dtypes("number").columns
    np.testing.assert_allclose(after[numbers].to_numpy(float), before[numbers].to_numpy(float), rtol=0, atol=1e-12)


@pytest.mark.parametrize("database", ["mpa_v20_m200", "mpa_v31_CHOCOPhlAn_201901", "mpa_vJan21_CHOCOPhlAnSGB_202103"])
def test_the_merged_table_keeps_the_database_line(tmp_path, database):
    cohort = gutbalance.read([_merged(tmp_path / "in.tsv", database, {"S1": METAPHLAN2})])
    written = tmp_path / "out.tsv"
    gutbalance.write(cohort, written)
    assert written.read_text(encoding="utf-8").splitlines()[0] == f"#{database}"
    assert list(gutbalance.read([written]).samples["database"]) == [database]


def test_samples_of_two_databases_name_none(tmp_path):
    one = gutbalance.read([_merged(tmp_path / "a.tsv", "mpa_v20_m200", {"S1": METAPHLAN2})])
    two = gutbalance.read([_merged(tmp_path / "b.tsv", "mpa_v31_CHOCOPhlAn_201901", {"S2": METAPHLAN2})])
    both = gutbalance.read([tmp_path / "a.tsv", tmp_path / "b.tsv"])
    assert set(both.samples["database"]) == {one.samples["database"].iloc[0], two.samples["database"].iloc[0]}
    written = tmp_path / "out.tsv"
    gutbalance.write(both, written)
    assert written.read_text(encoding="utf-8").splitlines()[0] == "#mpa_written_by_gutbalance"


# A MetaPhlAn 3 profile whose names the current taxonomy renames (p__Firmicutes is
# p__Bacillota, Ruminococcus gnavus is Mediterraneibacter gnavus), as MetaPhlAn 3
# writes them (R. gnavus under g__Blautia).
METAPHLAN3 = {
    "k__Bacteria": 100.0,
    "k__Bacteria|p__Firmicutes": 70.0,
    "k__Bacteria|p__Firmicutes|c__Clostridia": 70.0,
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales": 70.0,
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae": 70.0,
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Blautia": 20.0,
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Blautia|"
    "s__Ruminococcus_gnavus": 20.0,
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Roseburia": 50.0,
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Roseburia|"
    "s__Roseburia_intestinalis": 50.0,
    "k__Bacteria|p__Bacteroidetes": 30.0,
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia": 30.0,
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales": 30.0,
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae": 30.0,
    BACTEROIDETES: 30.0,
    f"{BACTEROIDETES}|s__Bacteroides_uniformis": 30.0,
}


def _single(path, database: str, clades: dict[str, float]):
    lines = [f"#{database}", "#clade_name\tNCBI_tax_id\trelative_abundance\tadditional_species"]
    lines += [f"{clade}\t\t{value!r}\t" for clade, value in clades.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _written_clades(path) -> list[str]:
    return [ln.split("\t")[0] for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]


@pytest.mark.parametrize("to", ["metaphlan", "metaphlan-merged"])
def test_a_metaphlan_profile_is_written_back_in_its_own_names(tmp_path, to):
    """Tools that match MetaPhlAn's clade names found none of the current ones:
    GMWI2's published rule gave 0.129 for a converted MetaPhlAn 3 profile whose
    GMWI2 is 1.835 (the GMWI2 repository's SRR1761666; an outside check)."""
    cohort = gutbalance.read([_single(tmp_path / "in.txt", "mpa_v30_CHOCOPhlAn_201901", METAPHLAN3)])
    assert "s__Mediterraneibacter gnavus" in cohort.taxa.index  # read under its current name
    written = tmp_path / "out.txt"
    gutbalance.write(cohort, written, format=to)
    assert sorted(c for c in _written_clades(written) if c != "clade_name") == sorted(METAPHLAN3)
    again = gutbalance.read([written])
    assert list(again.taxa.index) == list(cohort.taxa.index)
    np.testing.assert_allclose(again.X.toarray(), cohort.X.toarray(), rtol=0, atol=1e-15)


def test_a_profile_placed_again_is_written_in_current_names(metaphlan2, tmp_path):
    """Its clades above the species are sums over the placed tree, not its file's
    rows: under the file's names they would say what the file did not (an outside
    check: MetaPhlAn 4's Phocaeicola species under the placed g__Bacteroides gave
    that old name 61.0 % where the file said 13.8 %)."""
    assert metaphlan2.samples["placed_again"].tolist() == [True, True]
    written = tmp_path / "out.tsv"
    gutbalance.write(metaphlan2, written)
    clades = _written_clades(written)
    assert not any("p__Firmicutes" in c or "p__Bacteroidetes" in c for c in clades)
    again = gutbalance.read([written])
    np.testing.assert_allclose(again.X.toarray(), metaphlan2.X.toarray(), rtol=0, atol=1e-15)


def test_an_ancestor_row_the_file_left_out_is_not_a_move(tmp_path):
    """MetaPhlAn 3 writes some viral clades without their family row (the GMWI2
    repository's SRR1761666: g__P1virus, no f__Myoviridae): completing the tree
    moves nothing, so the file's names are kept."""
    virus = "k__Viruses|p__Viruses_unclassified|c__Viruses_unclassified|o__Caudovirales|f__Myoviridae|g__P1virus"
    rows = {**{k: 0.9 * v for k, v in METAPHLAN3.items()}, "k__Viruses": 10.0,
            "k__Viruses|p__Viruses_unclassified": 10.0, "k__Viruses|p__Viruses_unclassified|c__Viruses_unclassified": 10.0,
            "k__Viruses|p__Viruses_unclassified|c__Viruses_unclassified|o__Caudovirales": 10.0,
            virus: 10.0, f"{virus}|s__Escherichia_virus_P1": 10.0}
    cohort = gutbalance.read([_single(tmp_path / "in.txt", "mpa_v30_CHOCOPhlAn_201901", rows)])
    assert "placed_again" not in cohort.samples
    written = tmp_path / "out.txt"
    gutbalance.write(cohort, written, format="metaphlan")
    assert "k__Bacteria|p__Firmicutes" in _written_clades(written)


def test_a_kraken_report_is_written_in_current_names(tmp_path):
    """Not MetaPhlAn's: no MetaPhlAn names to give back, and the origin line says so."""
    report = tmp_path / "k.kreport"
    report.write_text(
        "100.00\t1000\t0\tR\t1\troot\n"
        "100.00\t1000\t0\tD\t2\t  Bacteria\n"
        "100.00\t1000\t0\tP\t1239\t    Bacillota\n"
        "100.00\t1000\t1000\tS\t33038\t      [Ruminococcus] gnavus\n",
        encoding="utf-8",
    )
    written = tmp_path / "out.txt"
    gutbalance.write(gutbalance.read([report]), written, format="metaphlan")
    assert written.read_text(encoding="utf-8").startswith("#written_by_gutbalance_from_kraken")
    assert any("p__Bacillota" in c for c in _written_clades(written))


def test_a_taxon_read_under_two_spellings_keeps_its_current_name(tmp_path):
    old = {k.replace("Ruminococcus_gnavus", "Mediterraneibacter_gnavus"): v for k, v in METAPHLAN3.items()}
    a = _single(tmp_path / "a.txt", "mpa_v30_CHOCOPhlAn_201901", METAPHLAN3)
    b = _single(tmp_path / "b.txt", "mpa_v30_CHOCOPhlAn_201901", old)
    both = gutbalance.read([a, b])
    assert both.taxa.loc["s__Mediterraneibacter gnavus", "original"] == "Mediterraneibacter_gnavus; Ruminococcus_gnavus"
    written = tmp_path / "out.tsv"
    gutbalance.write(both, written)
    clades = _written_clades(written)
    assert [c.rsplit("|", 1)[-1] for c in clades if "gnavus" in c] == ["s__Mediterraneibacter_gnavus"]
    # the whole table in current names: old names beside new ones would disagree
    assert "k__Bacteria|p__Bacillota" in clades
    assert not any("p__Firmicutes" in c for c in clades)
    np.testing.assert_allclose(gutbalance.read([written]).X.toarray(), both.X.toarray(), rtol=0, atol=1e-15)


def test_lineage_to_write_reads_back_to_the_same_taxa():
    for text in (
        "k__Bacteria|p__Bacillota|c__Clostridia|o__Clostridiales|s__Bacteroides_pectinophilus",
        "k__Bacteria|p__Bacillota|c__Clostridia|o__Clostridiales|s__Bacteroides_pectinophilus|t__GCF_000155855",
        "k__Bacteria|p__Bacteroidota|g__Bacteroides|s__Bacteroides_dorei",
        "k__Bacteria|p__Bacillota",
        "k__Viruses|s__Escherichia_virus_Lambda",
    ):
        written = lineage_to_write(text)
        kept = [t for t in parse_lineage(text) if t.rank != "genus" or f"g__{t.original}" in text]
        assert [t.id for t in parse_lineage(written)] == [t.id for t in kept]


def test_real_metaphlan_3_profiles_are_written_back_in_their_own_clade_names(shared_data, tmp_path):
    files = sorted((shared_data / "profiles" / "kefir_metaphlan3").glob("*_metaphlan3.txt"))[:8]
    cohort = gutbalance.read(files)
    out = tmp_path / "out"
    gutbalance.write(cohort, out, format="metaphlan")
    for path, name in zip(files, cohort.sample_names, strict=True):
        read = [ln.split("\t")[0] for ln in path.read_text(encoding="utf-8").splitlines()
                if ln and not ln.startswith("#")]
        written = _written_clades(out / f"{name}_profile.txt")
        assert sorted(c for c in written if c != "UNKNOWN") == sorted(c for c in read if c != "UNKNOWN")


def test_a_lineage_is_never_old_names_above_a_new_one(tmp_path):
    """A taxon read under two spellings puts the table in current names, every
    lineage whole (an outside review: Absiella dolichum came out as
    g__Absiella|s__Amedibacillus_dolichus)."""
    old = {k.replace("Ruminococcus_gnavus", "Mediterraneibacter_gnavus"): v for k, v in METAPHLAN3.items()}
    a = _single(tmp_path / "a.txt", "mpa_v30_CHOCOPhlAn_201901", METAPHLAN3)
    b = _single(tmp_path / "b.txt", "mpa_v30_CHOCOPhlAn_201901", old)
    written = tmp_path / "out.tsv"
    gutbalance.write(gutbalance.read([a, b]), written)
    (gnavus,) = [c for c in _written_clades(written) if "gnavus" in c]
    assert gnavus.startswith("k__Bacteria|p__Bacillota|")
    assert "p__Firmicutes" not in gnavus
