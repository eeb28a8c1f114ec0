"""Can gutbalance describe the sample: the stool check, the read-depth check
and which counts Chao1 may use (gutbalance.indices.sample_type, diversity)."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from skbio.diversity.alpha import chao1 as skbio_chao1

import gutbalance
from gutbalance.citations import read_data_table
from gutbalance.errors import DataTableError
from gutbalance.indices.diversity import NOT_WHOLE, RELATIVE_ONLY, chao1, observed_counts
from gutbalance.indices.sample_type import (
    CHECK_CITATIONS,
    classified_reads,
    marker_taxa,
    markers_of,
    site_shares,
    stool_like,
    thresholds,
)
from gutbalance.io.registry import get_format
from gutbalance.taxonomy import parse_lineage
from tests.helpers import SMALL_COMMUNITY, make_cohort, warnings_besides_shallow

#: Public data fetched outside the project (docs/tried-on-public-data.md); tests skip where absent.
OUTSIDE = Path(os.environ.get("GUTBALANCE_OUTSIDE_DATA") or "/work/outside-data")

_BACTEROIDIA = "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales"
_PREVOTELLA = f"{_BACTEROIDIA}|f__Prevotellaceae|g__Prevotella"
_BACILLI = "k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales"
_GENERA = [
    f"{_BACTEROIDIA}|f__Bacteroidaceae|g__Bacteroides",
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Faecalibacterium",
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Roseburia",
    f"{_BACTEROIDIA}|f__Rikenellaceae|g__Alistipes",
]

#: A tongue community as Greengenes names one (Moving Pictures L5S174, rounded):
#: oral Prevotella species lead, then the classic oral genera, a trace of Bacteroides.
TONGUE = {
    f"{_PREVOTELLA}|s__Prevotella_melaninogenica": 30.0,
    f"{_PREVOTELLA}|s__Prevotella_pallens": 10.0,
    "k__Bacteria|p__Firmicutes|c__Negativicutes|o__Selenomonadales|f__Veillonellaceae|g__Veillonella|"
    "s__Veillonella_dispar": 15.0,
    "k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Pasteurellales|f__Pasteurellaceae|g__Haemophilus|"
    "s__Haemophilus_parainfluenzae": 13.0,
    f"{_BACILLI}|f__Streptococcaceae|g__Streptococcus|s__Streptococcus_mitis": 12.0,
    "k__Bacteria|p__Fusobacteria|c__Fusobacteriia|o__Fusobacteriales|f__Fusobacteriaceae|g__Fusobacterium|"
    "s__Fusobacterium_periodonticum": 5.0,
    "k__Bacteria|p__Proteobacteria|c__Betaproteobacteria|o__Neisseriales|f__Neisseriaceae|g__Neisseria|"
    "s__Neisseria_subflava": 4.0,
    "k__Bacteria|p__Actinobacteria|c__Actinobacteria|o__Actinomycetales|f__Micrococcaceae|g__Rothia|"
    "s__Rothia_mucilaginosa": 10.0,
    f"{_BACTEROIDIA}|f__Bacteroidaceae|g__Bacteroides|s__Bacteroides_vulgatus": 1.0,
}
#: Stool of a Prevotella-rich (non-Westernised) diet: P. copri leads, some oral
#: streptococci and veillonellae, a little of the Western gut core.
COPRI_STOOL = {
    f"{_PREVOTELLA}|s__Prevotella_copri": 60.0,
    f"{_BACILLI}|f__Streptococcaceae|g__Streptococcus|s__Streptococcus_salivarius": 14.0,
    "k__Bacteria|p__Firmicutes|c__Negativicutes|o__Selenomonadales|f__Veillonellaceae|g__Veillonella|"
    "s__Veillonella_parvula": 12.0,
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Faecalibacterium|"
    "s__Faecalibacterium_prausnitzii": 8.0,
    f"{_BACTEROIDIA}|f__Bacteroidaceae|g__Bacteroides|s__Bacteroides_vulgatus": 6.0,
}


def test_an_oral_community_led_by_oral_prevotella_is_not_stool():
    # Before Prevotella left the gut core, 40 % oral Prevotella put this tongue in the core.
    flags = stool_like(make_cohort({"tongue": TONGUE, "stool": SMALL_COMMUNITY}))
    assert flags.loc["tongue", "stool_like"] == False  # noqa: E712 - a nullable boolean
    assert "typical of the mouth" in flags.loc["tongue", "stool_warning"]
    assert flags.loc["stool", "stool_like"] == True  # noqa: E712
    shares = site_shares(make_cohort({"tongue": TONGUE}))
    assert shares.loc["tongue", "gut"] == pytest.approx(0.01)
    assert shares.loc["tongue", "oral"] == pytest.approx(0.99)


def test_prevotella_copri_stool_stays_stool():
    flags = stool_like(make_cohort({"copri": COPRI_STOOL}))
    assert flags.loc["copri", "stool_like"] == True  # noqa: E712
    assert flags.loc["copri", "stool_warning"] == ""
    shares = site_shares(make_cohort({"copri": COPRI_STOOL}))
    assert shares.loc["copri", "gut"] == pytest.approx(0.74)  # copri, Faecalibacterium, Bacteroides


def test_prevotella_counts_only_through_its_species():
    markers = marker_taxa()
    assert "g__Prevotella" not in markers["gut"] | markers["oral"]
    assert "s__Segatella copri" in markers["gut"]  # Prevotella copri, through the synonym table
    assert "s__Prevotella melaninogenica" in markers["oral"]
    assert not markers["gut"] & markers["oral"]
    # A genus-level Prevotella (no species named) counts to neither side.
    genus_only = make_cohort({"g": {_PREVOTELLA: 50.0, _GENERA[0]: 50.0}})
    assert site_shares(genus_only).loc["g", ["oral", "skin", "vagina"]].sum() == 0


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("lung\tgenus\tPseudomonas", "line 3, column 'site': unknown site 'lung'"),
        ("gut\tgenus\tBacteroides", "line 3, column 'rank': a gut row names a species, not 'genus'"),
        ("oral\tspecies\tStreptococcus mitis", "line 3, column 'taxon': 'Streptococcus mitis' is not in a shared genus"),
    ],
)
def test_a_bad_marker_row_is_named_by_its_line(row, message):
    text = f"# doi:10.1038/nature11234\nsite\trank\ttaxon\tevidence\tsource\thost\n{row}\tgenome_analysis\t" \
           "doi:10.1038/nature11234\thuman\n"
    table = read_data_table("markers.tsv", text=text, citations=CHECK_CITATIONS, required=("site", "rank", "taxon"))
    with pytest.raises(DataTableError, match=re.escape(f"markers.tsv, {message}")):
        markers_of(table)


def test_the_thresholds_come_from_the_cited_table():
    assert thresholds() == {"min_gut_core_share": 0.10, "min_classified_reads": 1250.0,
                            "min_gut_evidence_share": 0.005, "min_reach": 0.03}


_CLOACIMONAS = ("k__Bacteria|p__Candidatus_Cloacimonetes|c__Candidatus_Cloacimonetes_unclassified|"
                "o__Candidatus_Cloacimonetes_unclassified|f__Candidatus_Cloacimonadaceae|g__Candidatus_Cloacimonas|"
                "s__Candidatus_Cloacimonas_acidaminovorans")
_FLAVONIFRACTOR = ("k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|"
                   "g__Flavonifractor|s__Flavonifractor_plautii")


def test_without_gut_core_genera_a_sample_is_not_stool_even_with_no_other_site():
    # An anaerobic digester's community: genera of no body site, a trace of the gut core.
    digester = {_CLOACIMONAS: 99.8, f"{_GENERA[0]}|s__Bacteroides_vulgatus": 0.2}
    # A dysbiotic stool led by a gut genus outside the core keeps a few % of core genera.
    bloom = {_FLAVONIFRACTOR: 94.0, f"{_GENERA[0]}|s__Bacteroides_vulgatus": 6.0}
    flags = stool_like(make_cohort({"digester": digester, "bloom": bloom}))
    assert flags.loc["digester", "stool_like"] == False  # noqa: E712 - a nullable boolean
    assert flags.loc["digester", "stool_warning"].startswith(
        "does not look like stool: only 0.20% of the named genus abundance is in the genera of the healthy stool "
        "core (the check asks at least 0.5%")
    assert flags.loc["bloom", "stool_like"] == True  # noqa: E712
    # One sample's flag is the same alone.
    assert stool_like(make_cohort({"digester": digester})).loc["digester", "stool_like"] == False  # noqa: E712


def test_taxpastas_metaphlan4_err7569997_does_not_look_like_stool():
    path = OUTSIDE / "taxpasta" / "tests" / "data" / "metaphlan" / "ERR7569997.txt"
    if not path.is_file():
        pytest.skip(f"{path} absent (docs/tried-on-public-data.md says how to fetch it)")
    cohort = _quiet_read([path])
    shares = site_shares(cohort).iloc[0]
    assert shares["gut"] < 0.001  # mostly Cloacimonas and unnamed species
    assert shares[["oral", "skin", "nose", "vagina"]].max() < shares["gut"]  # the other rule let it pass
    flags = stool_like(cohort).iloc[0]
    assert flags["stool_like"] == False  # noqa: E712
    assert "the check asks at least 0.5%" in flags["stool_warning"]


_PROTEO = "k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria"
#: Untreated sewage influent as the shotgun surveys describe it: a few % of human
#: faecal genera, more of the sewer-pipe residents, the rest aquatic genera of no site.
SEWAGE = {
    f"{_GENERA[0]}|s__Bacteroides_vulgatus": 4.0,
    f"{_GENERA[1]}|s__Faecalibacterium_prausnitzii": 3.0,
    f"{_PROTEO}|o__Pseudomonadales|f__Moraxellaceae|g__Acinetobacter|s__Acinetobacter_johnsonii": 9.0,
    f"{_PROTEO}|o__Aeromonadales|f__Aeromonadaceae|g__Aeromonas|s__Aeromonas_media": 4.0,
    "k__Bacteria|p__Proteobacteria|c__Epsilonproteobacteria|o__Campylobacterales|f__Arcobacteraceae|"
    "g__Aliarcobacter|s__Aliarcobacter_cryaerophilus": 2.0,
    "k__Bacteria|p__Proteobacteria|c__Betaproteobacteria|o__Burkholderiales|f__Comamonadaceae|g__Acidovorax|"
    "s__Acidovorax_delafieldii": 78.0,
}


def test_sewage_is_not_stool_but_stool_with_a_little_acinetobacter_is():
    # Before the sewer genera were a site, 7 % gut core with no body site ahead passed as stool.
    stool = {**{name: 0.98 * value for name, value in SMALL_COMMUNITY.items()},
             f"{_PROTEO}|o__Pseudomonadales|f__Moraxellaceae|g__Acinetobacter|s__Acinetobacter_johnsonii": 2.0}
    flags = stool_like(make_cohort({"influent": SEWAGE, "stool": stool}))
    assert flags.loc["influent", "stool_like"] == False  # noqa: E712 - a nullable boolean
    assert flags.loc["influent", "stool_warning"] == (
        "does not look like stool: only 7.0% of the named genus abundance is in the genera of the healthy stool "
        "core; 15% is in taxa typical of sewage and sewer pipes; the scores were made for stool and may not "
        "describe this sample")
    assert flags.loc["stool", "stool_like"] == True  # noqa: E712
    shares = site_shares(make_cohort({"influent": SEWAGE}))
    assert shares.loc["influent", "sewage"] == pytest.approx(0.15)
    assert shares.loc["influent", "gut"] == pytest.approx(0.07)


def test_the_sewer_genera_cite_their_source_and_host():
    markers = marker_taxa()
    assert markers["sewage"] == {"g__Arcobacter", "g__Aliarcobacter", "g__Acinetobacter", "g__Aeromonas",
                                 "g__Trichococcus"}
    assert not markers["sewage"] & markers["gut"]


def test_three_real_wastewater_metagenomes_are_not_stool():
    folder = OUTSIDE / "wastewater_kraken2"
    paths = sorted(folder.glob("*_kraken2_report.txt"))
    if len(paths) != 3:
        pytest.skip(f"{folder} absent (docs/tried-on-public-data.md says how to fetch it)")
    cohort = _quiet_read(paths)
    shares = site_shares(cohort)
    # As much gut core as the least of real stool (6.05 %), more of the sewer residents.
    assert shares["gut"].between(0.06, 0.09).all()
    assert (shares["sewage"] > 0.13).all()
    flags = stool_like(cohort)
    assert not flags["stool_like"].any()
    assert flags["stool_warning"].str.contains("typical of sewage and sewer pipes").all()


@pytest.mark.shared
def test_the_gut_evidence_floor_is_a_tenth_of_the_least_real_stool(shared_data):
    least = []
    for relative in ["labelled/ihmp_ibdmdb2019/species.tsv", "labelled/franzosa2019_ibd/species.tsv"]:
        path = shared_data / relative
        if not path.is_file():
            pytest.skip(f"{path} absent")
        cohort = _quiet_read([path])
        flags = stool_like(cohort)["stool_like"]
        least.append(site_shares(cohort)["gut"][flags.fillna(False).astype(bool)].min())
    # Franzosa PRISM.8550 (41 % Hungatella hathewayi, outside the gut core), the least of ../shared/data
    assert min(least) == pytest.approx(0.0486, abs=1e-4)
    # A tenth of it (0.49 %), rounded to the nearest half percent.
    assert thresholds()["min_gut_evidence_share"] == pytest.approx(np.round(min(least) / 10 / 0.005) * 0.005)


def _counted(sample: str, reads: dict[str, float], source_format: str = "qza") -> gutbalance.SampleProfile:
    total = sum(reads.values())
    return gutbalance.SampleProfile(
        sample=sample,
        lineages=[parse_lineage(k) for k in reads],
        abundance=[v / total for v in reads.values()],
        counts=list(reads.values()),
        source_format=source_format,
    )


def _amplicon(sample: str, reads: list[float], source_format: str = "qza") -> gutbalance.SampleProfile:
    return _counted(sample, dict(zip(_GENERA, reads, strict=False)), source_format)


def test_a_run_with_a_few_dozen_reads_is_warned_alone_or_in_a_batch():
    few = _amplicon("its_like", [20.0, 15.0, 8.0, 2.0])
    deep = _amplicon("deep", [4000.0, 3000.0, 1000.0, 1.0])
    relative = make_cohort({"relative": SMALL_COMMUNITY})
    together = gutbalance.concat([gutbalance.build_cohort([few, deep]), relative])
    scores = gutbalance.score(together)
    assert scores.loc["its_like", "warnings"].startswith("only 45 reads are classified (fewer than 1,250)")
    assert scores.loc["deep", "warnings"] == ""
    assert warnings_besides_shallow(scores.loc["relative", "warnings"]) == []  # no observed reads: nothing to count
    alone = gutbalance.score(gutbalance.build_cohort([few]))
    assert alone.loc["its_like", "warnings"] == scores.loc["its_like", "warnings"]
    assert classified_reads(together).loc["deep"] == 8001
    assert np.isnan(classified_reads(together).loc["relative"])


def test_estimated_reads_do_not_feed_chao1():
    reads = [500.0, 300.0, 2.0, 1.0]
    profiles = [_amplicon(fmt, reads, fmt) for fmt in ("qza", "kraken", "metaphlan", "bracken", "motus")]
    profiles.append(_amplicon("rescaled", [500.5, 300.25, 2.0, 1.0], "table"))
    cohort = gutbalance.build_cohort(profiles)
    observed, why = observed_counts(cohort)
    why = dict(zip(cohort.samples.index, why, strict=True))
    assert dict(zip(cohort.samples.index, observed, strict=True)) == {
        "qza": True, "kraken": True, "metaphlan": False, "bracken": False, "motus": False, "rescaled": False}
    for fmt in ("metaphlan", "bracken", "motus"):
        assert why[fmt] == get_format(fmt).estimated_counts
        assert "Chao1 needs observed singletons" in why[fmt]
    assert why["rescaled"] == NOT_WHOLE
    values = chao1(cohort, rank="genus")
    assert values[["metaphlan", "bracken", "motus", "rescaled"]].isna().all()
    # Genus counts 500, 300, 2, 1: one singleton, one doubleton.
    assert values["qza"] == pytest.approx(skbio_chao1(np.array(reads), bias_corrected=True), abs=1e-9)
    scores = gutbalance.score(cohort)
    missing = scores["missing"]
    assert f"chao1: {get_format('metaphlan').estimated_counts}" in missing["metaphlan"]
    assert "chao1" not in missing["kraken"]
    relative = gutbalance.score(make_cohort({"r": SMALL_COMMUNITY}))
    assert f"chao1: {RELATIVE_ONLY}" in relative.loc["r", "missing"]


def _quiet_read(paths: list[Path]) -> gutbalance.Cohort:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gutbalance.GutBalanceWarning)
        return gutbalance.read(paths)


def _moving_pictures_site(sample: str) -> str:
    # QIIME 2 tutorial metadata: L1 gut, L2-L4 palms, L5-L6 tongue.
    return "gut" if sample.startswith("L1") else "tongue" if sample.startswith(("L5", "L6")) else "palm"


def test_moving_pictures_gut_tongue_and_palms():
    folder = OUTSIDE / "movingpictures"
    if not (folder / "table-dada2.qza").is_file():
        pytest.skip(f"{folder} absent (docs/tried-on-public-data.md says how to fetch it)")
    cohort = _quiet_read([folder / "table-dada2.qza", folder / "taxonomy.qza"])
    flags = stool_like(cohort)["stool_like"]
    site = pd.Series([_moving_pictures_site(s) for s in flags.index], index=flags.index)
    assert flags[site == "gut"].all()
    assert (site == "gut").sum() == 8
    assert not flags[site == "tongue"].any()
    assert (site == "tongue").sum() == 9
    # Two right-palm samples of the first day are gut communities (84 % and 91 % core genera):
    # they pass, as their composition says; every other palm sample is flagged.
    assert sorted(flags[(site == "palm") & flags].index) == ["L3S242", "L3S378"]


def test_hmp_profiles_of_six_body_sites():
    folder = OUTSIDE / "biobakeryutils_jl" / "test" / "files" / "metaphlan"
    if not folder.is_dir():
        pytest.skip(f"{folder} absent (docs/tried-on-public-data.md says how to fetch it)")
    cohort = _quiet_read(sorted(folder.glob("SRS*_profile.tsv")))
    flags = stool_like(cohort)
    assert flags["stool_like"].to_dict() == {
        "SRS014459-Stool": True,
        "SRS014464-Anterior_nares": False,  # 97 % Moraxella
        "SRS014470-Tongue_dorsum": False,  # 52 % Prevotella histicola: passed as gut core before
        "SRS014472-Buccal_mucosa": False,
        "SRS014476-Supragingival_plaque": False,
        "SRS014494-Posterior_fornix": False,
    }
    assert "typical of the nose" in flags.loc["SRS014464-Anterior_nares", "stool_warning"]


def test_chao1_of_a_real_kraken_report_is_scikit_bios():
    path = OUTSIDE / "bracken_repo" / "sample_data" / "sample_test.report"
    if not path.is_file():
        pytest.skip(f"{path} absent (docs/tried-on-public-data.md says how to fetch it)")
    cohort = _quiet_read([path])
    ours = chao1(cohort, rank="species").iloc[0]
    mask = ((cohort.taxa["rank"] == "species") & ~cohort.taxa["unclassified"].astype(bool)).to_numpy()
    reads = cohort.counts[:, np.flatnonzero(mask)].toarray()[0]
    assert ours == pytest.approx(skbio_chao1(reads[reads > 0], bias_corrected=True), abs=1e-9)
    assert ours > (reads > 0).sum()  # the report has singletons


def test_david_its_runs_are_warned_and_16s_runs_not():
    path = OUTSIDE / "mlrepo_david" / "datasets" / "david" / "gg" / "taxatable.txt"
    if not path.is_file():
        pytest.skip(f"{path} absent (docs/tried-on-public-data.md says how to fetch it)")
    cohort = _quiet_read([path])
    reads = classified_reads(cohort)
    its = reads.index.str.startswith("ITS3.")
    least = thresholds()["min_classified_reads"]
    assert its.sum() == 167
    assert (reads[its] < least).sum() == 162
    # The study also sequenced its food (DIET1-56, the mapping's SubjectFood):
    # the 16S of peas, tomatoes, onions, cauliflower, garlic, spinach and two
    # finished meals is 99 % chloroplast and mitochondria, plant DNA, so too
    # few reads are of bacteria; every stool run has enough.
    food = reads.index.str.startswith("DIET")
    assert (reads[~its & ~food] >= least).all()
    assert sorted(reads[food & (reads < least)].index, key=lambda s: int(s[4:])) == [
        f"DIET{i}" for i in (1, 2, 3, 4, 9, 10, 11, 12, 13, 14, 17, 18, 53, 54, 55, 56)]


@pytest.mark.shared
def test_no_real_stool_profile_of_ours_is_newly_flagged(shared_data):
    folder = shared_data / "labelled" / "franzosa2019_ibd"
    if not folder.is_dir():
        pytest.skip(f"{folder} absent")
    cohort = _quiet_read([folder / "species.tsv"])
    flagged = stool_like(cohort)["stool_like"]
    # The same 6 IBD samples as before the check knew Prevotella's species (docs/indices.md).
    assert sorted(flagged[~flagged].index) == [
        "PRISM.7971", "PRISM.8336", "PRISM.8452", "PRISM.8534", "PRISM.8629", "PRISM.8746"]
    assert (classified_reads(cohort).isna()).all()  # relative abundances: no depth check

