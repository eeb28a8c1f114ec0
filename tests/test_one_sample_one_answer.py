"""One sample, one answer: a sample's row of ``gutbalance.score`` is a
function of that sample alone, whatever else is read with it, in whatever
order, in whatever format (issue 11, items 1 and 2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gutbalance
from tests.helpers import SMALL_COMMUNITY, metaphlan_text, scored

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
