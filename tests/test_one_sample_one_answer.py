"""One sample, one answer: a sample's row of ``gutbalance.score`` is a
function of that sample alone, whatever else is read with it, in whatever
order, in whatever format (issue 11, items 1 and 2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import gutbalance
from gutbalance.cohort import SampleProfile, build_cohort
from gutbalance.indices.gmhi import gmhi_contributions
from gutbalance.taxonomy import parse_lineage
from tests.helpers import SMALL_COMMUNITY, metaphlan_text, scored

#: The tables below are whole percentages (40 + 20 + ...): read as percentages
#: with a warning that they may be 100 reads a sample
#: (tests/io/test_feature_table.py); here they are meant as percentages.
pytestmark = pytest.mark.filterwarnings("ignore:.*may be read counts:gutbalance.errors.GutBalanceWarning")

MPA2_HEADER = [
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Faecalibacterium|s__Faecalibacterium_prausnitzii",
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|__|__|s__Clostridiales_bacterium_1_7_47FAA",
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|s__Bacteroides_vulgatus",
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Eubacterium|s__Eubacterium_rectale",
    "k__Bacteria|p__Firmicutes|c__Bacilli|o__Bacillales|__|g__Gemella|s__Gemella_haemolysans",
]

#: The same taxa written every way people write them: full MetaPhlAn
#: lineages, species-only and genus-only names, GTDB and NCBI spellings,
#: samples as rows with empty ranks, names the lineage table does not know.
FILES: dict[str, str] = {
    "mpa.txt": metaphlan_text(SMALL_COMMUNITY).replace("#SampleID\tMetaphlan_Analysis", "#SampleID\tmpa_A"),
    "species.csv": (
        "species,sp_B\nFaecalibacterium prausnitzii,30\nEubacterium rectale,10\nBacteroides vulgatus,20\n"
        "Bacteroides novelspecies,5\nPrevotella copri,15\nAkkermansia muciniphila,10\nEscherichia coli,10\n"
    ),
    "genus.csv": (
        "genus,g_C,g_C2\nBacteroides,40,10\nFaecalibacterium,20,30\nRoseburia,10,10\nBlautia,10,20\n"
        "Prevotella,10,20\nAkkermansia,5,5\nBifidobacterium,5,5\n"
    ),
    "gtdb.tsv": (
        "#OTU ID\tgtdb_D\n"
        "d__Bacteria;p__Firmicutes_A;c__Clostridia;o__Lachnospirales;f__Lachnospiraceae;g__Agathobacter;"
        "s__Agathobacter rectalis\t15\n"
        "d__Bacteria;p__Firmicutes_A;c__Clostridia;o__Oscillospirales;f__Ruminococcaceae;g__Faecalibacterium;"
        "s__Faecalibacterium prausnitzii_C\t25\n"
        "d__Bacteria;p__Bacteroidota;c__Bacteroidia;o__Bacteroidales;f__Bacteroidaceae;g__Phocaeicola;"
        "s__Phocaeicola vulgatus\t30\n"
        "d__Bacteria;p__Bacteroidota;c__Bacteroidia;o__Bacteroidales;f__Bacteroidaceae;g__Prevotella;"
        "s__Prevotella copri\t20\n"
        "d__Bacteria;p__Firmicutes_A;c__Clostridia;o__Lachnospirales;f__Lachnospiraceae;g__Blautia_A;"
        "s__Blautia_A wexlerae\t10\n"
    ),
    "ncbi.csv": (
        "species,ncbi_E\n[Eubacterium] rectale,20\n[Ruminococcus] gnavus,5\nPhocaeicola vulgatus,30\n"
        "Segatella copri,25\nBifidobacterium adolescentis,20\n"
    ),
    "mpa2_rows.tsv": (
        "Sample\t" + "\t".join(MPA2_HEADER) + "\n"
        "rows_F\t0.3\t0.1\t0.4\t0.15\t0.05\n"
        "rows_G\t0.1\t0.2\t0.2\t0.45\t0.05\n"
    ),
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> tuple[list[Path], dict[str, list[str]]]:
    folder = tmp_path_factory.mktemp("one_answer")
    paths = []
    for name, text in FILES.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    alone = {}
    for path in paths:
        scores = scored(gutbalance.read(path))
        for sample, row in scores.iterrows():
            alone[sample] = _exact(row)
    return paths, alone


def _exact(row: pd.Series) -> list[str]:
    """Every value spelled exactly (``repr`` round-trips a float bit for bit)."""
    return [f"{name}={value!r}" for name, value in row.items()]


def test_every_style_is_placed(inputs):
    paths, _ = inputs
    cohort = gutbalance.read(paths)
    placed = cohort.samples["placed"]
    # Every name in these files is in the lineage table or placed by its binomial.
    assert (placed == 1.0).all(), placed.to_dict()
    # Genus-only and species-only names reach their phylum: the ratio is defined.
    phyla = cohort.at_rank("phylum")
    for sample in ("sp_B", "g_C", "ncbi_E", "gtdb_D"):
        assert phyla.loc[sample, "p__Bacillota"] > 0
        assert phyla.loc[sample, "p__Bacteroidota"] > 0


def test_one_lineage_per_taxon_whoever_named_it(inputs):
    paths, _ = inputs
    cohort = gutbalance.read(paths)
    taxa = cohort.taxa
    # The GTDB order and the MetaPhlAn order do not both claim Lachnospiraceae.
    assert taxa.loc["f__Lachnospiraceae", "parent"] == gutbalance.read(paths[0]).taxa.loc["f__Lachnospiraceae", "parent"]
    # Clade sums follow the one tree: each rank adds up to what was classified.
    for rank in ("phylum", "family"):
        totals = cohort.at_rank(rank).sum(axis=1)
        assert np.all(totals <= 1.0 + 1e-9), totals.to_dict()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_rows_do_not_depend_on_batch_or_order(inputs, data):
    paths, alone = inputs
    order = data.draw(st.permutations(paths), label="order")
    n = data.draw(st.integers(min_value=1, max_value=len(order)), label="files")
    chosen = order[:n]
    cuts = sorted(data.draw(st.sets(st.integers(min_value=1, max_value=max(1, n - 1)), max_size=n - 1), label="cuts"))
    bounds = [0, *[c for c in cuts if c < n], n]
    for start, stop in zip(bounds, bounds[1:], strict=False):
        batch = chosen[start:stop]
        if not batch:
            continue
        scores = scored(gutbalance.read(batch))
        for sample, row in scores.iterrows():
            assert _exact(row) == alone[sample], sample


def _kraken_report(rows: list[tuple[int, int, str, int, int, str]]) -> str:
    """A Kraken 2 report: (clade reads, own reads, rank code, taxid, depth, name)."""
    total = rows[0][0] + rows[1][0]
    return "".join(
        f"{100 * clade / total:6.2f}\t{clade}\t{own}\t{code}\t{taxid}\t{'  ' * depth}{name}\n"
        for clade, own, code, taxid, depth, name in rows
    )


_LACHNO = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae"
_BACTEROIDA = "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae"

#: Inputs that disagree on a taxon's parents: one genus the lineage table does
#: not know under two families, and a Kraken report whose Brenneria (whose
#: bugphyzz parent f__Pectobacteriaceae had no row of its own, so the table's
#: chain once stopped short of a domain) sits beside a Bracken species table
#: of the same taxa, which gives no lineage at all.
CONFLICTING: dict[str, str] = {
    "zz_a.txt": (
        "#clade_name\trelative_abundance\nk__Bacteria\t100\nk__Bacteria|p__Firmicutes\t60\n"
        "k__Bacteria|p__Firmicutes|c__Clostridia\t60\nk__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales\t60\n"
        f"{_LACHNO}\t60\n{_LACHNO}|g__Zzfoo\t30\n{_LACHNO}|g__Roseburia\t30\n"
        "k__Bacteria|p__Bacteroidetes\t40\nk__Bacteria|p__Bacteroidetes|c__Bacteroidia\t40\n"
        "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales\t40\n"
        "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Rikenellaceae\t40\n"
        "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Rikenellaceae|g__Alistipes\t40\n"
    ),
    "zz_b.txt": (
        "#clade_name\trelative_abundance\nk__Bacteria\t100\nk__Bacteria|p__Bacteroidetes\t100\n"
        "k__Bacteria|p__Bacteroidetes|c__Bacteroidia\t100\n"
        "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales\t100\n"
        f"{_BACTEROIDA}\t100\n{_BACTEROIDA}|g__Zzfoo\t50\n{_BACTEROIDA}|g__Bacteroides\t50\n"
    ),
    "kraken.report": _kraken_report(
        [
            (0, 0, "U", 0, 0, "unclassified"),
            (1000, 0, "R", 1, 0, "root"),
            (1000, 0, "D", 2, 1, "Bacteria"),
            (600, 0, "P", 1224, 2, "Pseudomonadota"),
            (600, 0, "C", 1236, 3, "Gammaproteobacteria"),
            (600, 0, "O", 91347, 4, "Enterobacterales"),
            (300, 0, "F", 1903410, 5, "Pectobacteriaceae"),
            (300, 0, "G", 71655, 6, "Brenneria"),
            (300, 300, "S", 1109412, 7, "Brenneria goodwinii"),
            (300, 0, "F", 543, 5, "Enterobacteriaceae"),
            (300, 0, "G", 561, 6, "Escherichia"),
            (300, 300, "S", 562, 7, "Escherichia coli"),
            (400, 0, "P", 976, 2, "Bacteroidota"),
            (400, 0, "C", 200643, 3, "Bacteroidia"),
            (400, 0, "O", 171549, 4, "Bacteroidales"),
            (400, 0, "F", 815, 5, "Bacteroidaceae"),
            (400, 0, "G", 816, 6, "Bacteroides"),
            (400, 400, "S", 817, 7, "Bacteroides fragilis"),
        ]
    ),
    "bracken_species.txt": (
        "name\ttaxonomy_id\ttaxonomy_lvl\tkraken_assigned_reads\tadded_reads\tnew_est_reads\tfraction_total_reads\n"
        "Brenneria goodwinii\t1109412\tS\t280\t20\t300\t0.30000\n"
        "Escherichia coli\t562\tS\t290\t10\t300\t0.30000\n"
        "Bacteroides fragilis\t817\tS\t390\t10\t400\t0.40000\n"
    ),
}


@pytest.fixture(scope="module")
def conflicting(tmp_path_factory) -> tuple[list[Path], dict[str, list[str]]]:
    folder = tmp_path_factory.mktemp("conflicting")
    paths = []
    alone = {}
    for name, text in CONFLICTING.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
        for sample, row in scored(gutbalance.read(path)).iterrows():
            alone[sample] = _exact(row)
    assert len(alone) == len(CONFLICTING)
    return paths, alone


def test_an_unknown_taxon_under_two_parents_is_two_columns(conflicting):
    paths, _ = conflicting
    taxa = gutbalance.read(paths[:2]).taxa
    zzfoo = taxa[taxa["name"] == "Zzfoo"]
    assert sorted(zzfoo["family"]) == ["Bacteroidaceae", "Lachnospiraceae"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_rows_with_conflicting_parents_do_not_depend_on_batch_or_order(conflicting, data):
    paths, alone = conflicting
    order = data.draw(st.permutations(paths), label="order")
    n = data.draw(st.integers(min_value=1, max_value=len(order)), label="files")
    cut = data.draw(st.integers(min_value=0, max_value=n), label="cut")
    for batch in (order[:cut], order[cut:n]):
        if not batch:
            continue
        for sample, row in scored(gutbalance.read(batch)).iterrows():
            assert _exact(row) == alone[sample], sample


#: Where inputs put the unknown genus Zzfoo: two families the lineage table
#: knows, a family it does not know, an empty family rank, and no lineage at all.
_ZZFOO_PARENTS = {
    "lachno": "k__Bacteria;p__Firmicutes;c__Clostridia;o__Clostridiales;f__Lachnospiraceae",
    "bactero": "k__Bacteria;p__Bacteroidetes;c__Bacteroidia;o__Bacteroidales;f__Bacteroidaceae",
    "unknown_family": "k__Bacteria;p__Firmicutes;c__Clostridia;o__Clostridiales;f__Yybaraceae",
    "empty_family": "k__Bacteria;p__Firmicutes;c__Clostridia;o__Clostridiales;f__",
    "none": "",
}
_BACKGROUND = {
    "k__Bacteria;p__Firmicutes;c__Clostridia;o__Clostridiales;f__Lachnospiraceae;g__Roseburia": "Roseburia",
    "k__Bacteria;p__Bacteroidetes;c__Bacteroidia;o__Bacteroidales;f__Bacteroidaceae;g__Bacteroides": "Bacteroides",
    "k__Bacteria;p__Firmicutes;c__Clostridia;o__Clostridiales;f__Ruminococcaceae;g__Faecalibacterium":
        "Faecalibacterium",
}


def _zzfoo_file(sample: str, parent: str, zzfoo: int, species: bool, background: list[int]) -> tuple[str, str]:
    """One sample naming Zzfoo under ``parent`` (a key of _ZZFOO_PARENTS):
    a lineage table, or a genus-only CSV when it has no parent."""
    # Percentages adding up to 100, as the formats expect.
    total = zzfoo + sum(background)
    zzfoo_pct, pct = 100 * zzfoo / total, [100 * v / total for v in background]
    if parent == "none":
        rows = [f"Zzfoo,{zzfoo_pct!r}"] + [f"{name},{v!r}" for name, v in zip(_BACKGROUND.values(), pct, strict=True)]
        return f"{sample}.csv", f"genus,{sample}\n" + "\n".join(rows) + "\n"
    zz = f"{_ZZFOO_PARENTS[parent]};g__Zzfoo" + (";s__Zzfoo alpha" if species else "")
    rows = [f"{zz}\t{zzfoo_pct!r}"] + [f"{lin}\t{v!r}" for lin, v in zip(_BACKGROUND, pct, strict=True)]
    return f"{sample}.tsv", f"#OTU ID\t{sample}\n" + "\n".join(rows) + "\n"


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(data=st.data())
def test_one_unknown_taxon_under_random_parents_in_random_batches(tmp_path_factory, data):
    """Property: inputs name one unknown genus under different parents; in any
    order and any cut into batches, every row is byte-identical to the sample
    scored alone, and each batch has one Zzfoo column per parent chain."""
    n = data.draw(st.integers(min_value=2, max_value=5), label="samples")
    folder = tmp_path_factory.mktemp("zzfoo")
    paths, alone, chains = [], {}, {}
    for i in range(n):
        parent = data.draw(st.sampled_from(sorted(_ZZFOO_PARENTS)), label=f"parent{i}")
        zzfoo = data.draw(st.integers(min_value=1, max_value=80), label=f"zzfoo{i}")
        background = data.draw(st.lists(st.integers(min_value=0, max_value=40), min_size=3, max_size=3), label=f"bg{i}")
        species = data.draw(st.booleans(), label=f"species{i}")
        name, text = _zzfoo_file(f"zz{i}", parent, zzfoo, species, background)
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
        cohort = gutbalance.read(path)
        chains[f"zz{i}"] = set(cohort.taxa.index[cohort.taxa["name"] == "Zzfoo"])
        for sample, row in scored(cohort).iterrows():
            alone[sample] = _exact(row)
    order = data.draw(st.permutations(paths), label="order")
    cuts = sorted(data.draw(st.sets(st.integers(min_value=1, max_value=n - 1), max_size=n - 1), label="cuts"))
    bounds = [0, *cuts, n]
    for start, stop in zip(bounds, bounds[1:], strict=False):
        batch = order[start:stop]
        cohort = gutbalance.read(batch)
        for sample, row in scored(cohort).iterrows():
            assert _exact(row) == alone[sample], sample
        zz_columns = set(cohort.taxa.index[cohort.taxa["name"] == "Zzfoo"])
        assert zz_columns == set().union(*(chains[s] for s in cohort.sample_names))
        # Reports and scores.json name it plainly whatever its column key.
        assert {key.rpartition("|")[2] for key in zz_columns} == {"g__Zzfoo"}


def test_a_gmhi_marker_the_lineage_table_does_not_know_still_counts():
    """GMHI matches markers by feature id, not by column key: TM7c is not in
    the lineage table, so its column key holds its parents."""
    lineage = "k__Bacteria|p__Candidatus_Saccharibacteria|s__candidate_division_TM7_single_cell_isolate_TM7c"
    profile = SampleProfile(
        "tm7", [parse_lineage(lineage), parse_lineage("s__Faecalibacterium_prausnitzii")], [0.5, 0.5]
    )
    cohort = build_cohort([profile])
    key = cohort.taxa.index[cohort.taxa["rank"] == "species"]
    assert any("|s__candidate division TM7" in k for k in key), list(key)
    found = {m["taxon"] for m in gmhi_contributions(cohort)["tm7"]}
    assert "s__candidate division TM7 single cell isolate TM7c" in found


def test_the_vitamin_mean_does_not_follow_the_batch_in_the_last_ulp(tmp_path):
    # Found by the property above once the cross-feeding gate rewrote a
    # column of the pillars' trait shares: the vitamins' row mean followed the
    # frame's memory layout, so zz0's nutrients differed in the last ulp
    # (79.20726280651387 alone, ...388 among the other four).
    specs = [("unknown_family", 19, False, [8, 10, 31]), ("none", 41, False, [37, 19, 33]),
             ("unknown_family", 76, True, [28, 31, 1]), ("unknown_family", 16, True, [8, 11, 40]),
             ("lachno", 69, False, [28, 7, 2])]
    paths = []
    for i, (parent, zzfoo, species, background) in enumerate(specs):
        name, text = _zzfoo_file(f"zz{i}", parent, zzfoo, species, background)
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(tmp_path / name)
    alone = _exact(scored(gutbalance.read(paths[0])).loc["zz0"])
    batch = scored(gutbalance.read([paths[i] for i in (0, 2, 4, 1, 3)]))
    assert _exact(batch.loc["zz0"]) == alone


def _kraken_strain_report(species: str, genus: str, family: str) -> str:
    """A Kraken 2 report whose named strain, Mycoplasma mobile 163K, sits under
    ``species`` of ``genus`` of ``family``: NCBI moved the species in 2018, and
    databases built before and after file the strain under either."""
    return _kraken_report(
        [
            (0, 0, "U", 0, 0, "unclassified"),
            (1000, 0, "R", 1, 0, "root"),
            (1000, 0, "D", 2, 1, "Bacteria"),
            (500, 0, "P", 544448, 2, "Mycoplasmatota"),
            (500, 0, "C", 31969, 3, "Mollicutes"),
            (500, 0, "O", 2085, 4, "Mycoplasmatales"),
            (500, 0, "F", 2092, 5, family),
            (500, 0, "G", 2093, 6, genus),
            (500, 100, "S", 2118, 7, species),
            (400, 400, "S1", 267748, 8, "Mycoplasma mobile 163K"),
            (500, 0, "P", 1239, 2, "Bacillota"),
            (500, 0, "C", 186801, 3, "Clostridia"),
            (500, 0, "O", 186802, 4, "Eubacteriales"),
            (500, 0, "F", 216572, 5, "Oscillospiraceae"),
            (500, 0, "G", 216851, 6, "Faecalibacterium"),
            (500, 500, "S", 853, 7, "Faecalibacterium prausnitzii"),
        ]
    )


def test_a_named_strain_under_another_species_in_another_file_keeps_its_own_lineage(tmp_path):
    # Found on real reports (docs/tried-on-public-data.md): a wastewater and a
    # stool Kraken 2 report, built on NCBI taxonomies of different years, file
    # "Mycoplasma mobile 163K" under Mycoplasma and Mesomycoplasma.  The
    # strain's name places it, so it had one column whose lineage came from
    # whichever file was read first.
    old = tmp_path / "old.kreport"
    new = tmp_path / "new.kreport"
    old.write_text(_kraken_strain_report("Mycoplasma mobile", "Mycoplasma", "Mycoplasmataceae"), encoding="utf-8")
    new.write_text(
        _kraken_strain_report("Mesomycoplasma mobile", "Mesomycoplasma", "Metamycoplasmataceae"), encoding="utf-8"
    )
    alone = {path: gutbalance.read(path) for path in (old, new)}
    for batch in ([old, new], [new, old]):
        cohort = gutbalance.read(batch)
        strains = cohort.taxa[cohort.taxa["name"] == "Mycoplasma mobile 163K"]
        assert sorted(strains["genus"]) == ["Mesomycoplasma", "Mycoplasma"]
        for path, single in alone.items():
            sample = single.sample_names[0]
            assert _lineages_of(cohort, sample) == _lineages_of(single, sample), path.name
            assert _exact(scored(cohort).loc[sample]) == _exact(scored(single).loc[sample]), path.name


def _lineages_of(cohort: gutbalance.Cohort, sample: str) -> list[str]:
    """The lineages of the taxa a sample holds, sorted."""
    row = cohort.X[cohort.sample_names.index(sample)].toarray().ravel()
    return sorted(cohort.taxa["lineage"].to_numpy()[row > 0])
