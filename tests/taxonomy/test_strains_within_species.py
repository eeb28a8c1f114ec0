"""A species keeps the value its row reports when its strain rows add up to a rounding hair
more (an outside check, 2026-11-30: summed again from MetaPhlAn 2's t__ rows, GMHI was off
the published GMHI.R on MetAML's profiles by up to 1.1e-5, Shannon by up to 4.6e-7)."""

from __future__ import annotations

import numpy as np
import pytest

import gutbalance

FAECALI = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Faecalibacterium"
BACTEROIDES = "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides"
NONAME = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Clostridiales_noname|g__Clostridiales_noname"
STRAINS = {"t__Faecalibacterium_prausnitzii_unclassified": 20.00001, "t__GCF_000162015": 10.00001}
# MetaPhlAn 2 as it writes a profile: every row rounded on its own, so the two strains of
# F. prausnitzii add up to 30.00002 % under a species row of 30.0 %; a species under
# MetaPhlAn 2's "noname" genus is placed under its order, so the profile is placed again
# (summed from its rows) rather than taken as written
ROWS = {
    "k__Bacteria": 100.0,
    "k__Bacteria|p__Firmicutes": 35.0,
    "k__Bacteria|p__Firmicutes|c__Clostridia": 35.0,
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales": 35.0,
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae": 30.0,
    FAECALI: 30.0,
    f"{FAECALI}|s__Faecalibacterium_prausnitzii": 30.0,
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Clostridiales_noname": 5.0,
    NONAME: 5.0,
    f"{NONAME}|s__Bacteroides_pectinophilus": 5.0,
    **{f"{FAECALI}|s__Faecalibacterium_prausnitzii|{strain}": value for strain, value in STRAINS.items()},
    "k__Bacteria|p__Bacteroidetes": 65.0,
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia": 65.0,
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales": 65.0,
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae": 65.0,
    BACTEROIDES: 65.0,
    f"{BACTEROIDES}|s__Bacteroides_uniformis": 35.0,
    f"{BACTEROIDES}|s__Bacteroides_dorei": 30.0,
}


def _value(cohort: gutbalance.Cohort, taxon: str) -> float:
    return float(cohort.X[0, list(cohort.taxa.index).index(taxon)])


def test_the_species_row_is_kept_and_its_strains_keep_their_proportions(tmp_path):
    path = tmp_path / "mpa2.txt"
    path.write_text("\n".join(f"{clade}\t{value!r}" for clade, value in ROWS.items()) + "\n", encoding="utf-8")
    cohort = gutbalance.read(path)
    assert _value(cohort, "s__Faecalibacterium prausnitzii") == pytest.approx(0.30, abs=1e-15)
    strains = cohort.taxa[cohort.taxa["rank"] == "strain"]
    got = {name: _value(cohort, taxon) for taxon, name in zip(strains.index, strains["original"], strict=True)}
    scale = 0.30 / (sum(STRAINS.values()) / 100.0)
    assert got == pytest.approx({k[3:]: v / 100.0 * scale for k, v in STRAINS.items()}, abs=1e-15)
    # GMHI and Shannon read the species rows as the published tools do
    species = np.array([0.35, 0.30, 0.30, 0.05])
    shannon = float(gutbalance.score(cohort).loc[cohort.sample_names[0], "shannon"])
    assert shannon == pytest.approx(-(species * np.log(species)).sum(), abs=1e-15)
