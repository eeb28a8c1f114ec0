"""Helpers the tests share: small cohorts and profile files made on the fly."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

import gutbalance
from gutbalance.knowledge import load_knowledge
from gutbalance.pillars import SHALLOW_PROFILE_WARNING
from gutbalance.reference import with_percentiles
from gutbalance.scores import parse_warnings
from gutbalance.taxonomy import parse_lineage

#: A small, plausible gut community (MetaPhlAn 3 lineages, percent of sample).
SMALL_COMMUNITY: dict[str, float] = {
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Roseburia|s__Roseburia_intestinalis": 12.5,
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Faecalibacterium|s__Faecalibacterium_prausnitzii": 20.0,
    "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Lachnospiraceae_unclassified|s__Eubacterium_rectale": 10.0,
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|s__Bacteroides_vulgatus": 25.0,
    "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Prevotellaceae|g__Prevotella|s__Prevotella_copri": 15.0,
    "k__Bacteria|p__Actinobacteria|c__Actinobacteria|o__Bifidobacteriales|f__Bifidobacteriaceae|g__Bifidobacterium|s__Bifidobacterium_adolescentis": 7.5,
    "k__Bacteria|p__Verrucomicrobia|c__Verrucomicrobiae|o__Verrucomicrobiales|f__Akkermansiaceae|g__Akkermansia|s__Akkermansia_muciniphila": 5.0,
    "k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae|g__Escherichia|s__Escherichia_coli": 5.0,
}


def nested_clades(species: dict[str, float]) -> dict[str, float]:
    """Every clade of ``species`` (MetaPhlAn lineages) as the sum of its species."""
    clades: dict[str, float] = {}
    for lineage, value in species.items():
        parts = lineage.split("|")
        for depth in range(1, len(parts) + 1):
            key = "|".join(parts[:depth])
            clades[key] = clades.get(key, 0.0) + value
    return clades


def metaphlan_text(species: dict[str, float], *, unknown: float | None = None, db: str = "mpa_v30_CHOCOPhlAn_201901") -> str:
    """A MetaPhlAn 3 profile with every ancestor row, from species percentages."""
    clades = nested_clades(species)
    scale = 1.0 if unknown is None else (100.0 - unknown) / 100.0
    lines = [f"#{db}", "#metaphlan test.fastq", "#SampleID\tMetaphlan_Analysis",
             "#clade_name\tNCBI_tax_id\trelative_abundance\tadditional_species"]
    if unknown is not None:
        lines.append(f"UNKNOWN\t-1\t{float(unknown)!r}\t")
    for key in sorted(clades, key=lambda k: (k.count("|"), -clades[k])):
        lines.append(f"{key}\t\t{float(clades[key] * scale)!r}\t")
    return "\n".join(lines) + "\n"


def write_metaphlan(path: Path, species: dict[str, float] | None = None, **kw) -> Path:
    path.write_text(metaphlan_text(species or SMALL_COMMUNITY, **kw), encoding="utf-8")
    return path


def make_cohort(profiles: dict[str, dict[str, float]]) -> gutbalance.Cohort:
    """A Cohort from {sample: {lineage: percent}} (lineages the MetaPhlAn way)."""
    records = []
    for sample, species in profiles.items():
        records.append(
            gutbalance.SampleProfile(
                sample=sample,
                lineages=[parse_lineage(k) for k in species],
                abundance=[v / 100.0 for v in species.values()],
                source_format="test",
            )
        )
    return gutbalance.build_cohort(records)


def with_reads(cohort: gutbalance.Cohort, total: float = 1e6) -> gutbalance.Cohort:
    """The cohort as if ``total`` reads of each sample had been counted, for
    the writers that hold whole reads only (a Kraken report, a Bracken table):
    clade reads = abundance x ``total`` rounded to whole reads, unassigned
    reads likewise, and the abundances and unassigned share those reads give
    (so that the reads are the profile's, not a rounding apart from it)."""
    counts = cohort.X.copy()
    counts.data = np.round(counts.data * total)
    abundance = counts.copy()
    abundance.data = abundance.data / total
    samples = cohort.samples.assign(counted=True)
    samples["unassigned"] = np.round(samples["unassigned"].to_numpy(dtype=float) * total) / total
    if "source_format" in samples:
        samples["source_format"] = "kraken"  # reads counted, not a profiler's estimates
    return gutbalance.Cohort(abundance, samples=samples, taxa=cohort.taxa, counts=counts)


def species_abundances(cohort: gutbalance.Cohort) -> dict[str, dict[str, float]]:
    """{sample: {species id: abundance}} with species renormalised to sum 1."""
    frame = cohort.at_rank("species", renormalize=True)
    return {s: {t: v for t, v in row.items() if v > 0} for s, row in frame.iterrows()}


def assert_same_species(a: gutbalance.Cohort, b: gutbalance.Cohort, *, tol: float = 1e-9) -> None:
    sa, sb = species_abundances(a), species_abundances(b)
    assert sorted(sa) == sorted(sb)
    for sample in sa:
        assert set(sa[sample]) == set(sb[sample]), sample
        for taxon, value in sa[sample].items():
            assert np.isclose(value, sb[sample][taxon], rtol=0, atol=tol), (sample, taxon)


def scored(cohort: gutbalance.Cohort) -> pd.DataFrame:
    """The scores table as ``scores.tsv`` has it: :func:`gutbalance.score` with
    the percentiles against the shipped healthy reference."""
    return with_percentiles(gutbalance.score(cohort), cohort)


_CLOSTRIDIALES = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales"
_BACTEROIDACEAE = "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae"
#: A 16S study as a genus table gives it: most samples resolve genus, one has
#: species names for most of its abundance, one is classified only to family.
MIXED_RANK_STUDY = {
    "genus_sample": {
        f"{_CLOSTRIDIALES}|f__Ruminococcaceae|g__Faecalibacterium": 30.0,
        f"{_BACTEROIDACEAE}|g__Bacteroides": 40.0,
        f"{_CLOSTRIDIALES}|f__Lachnospiraceae|g__Roseburia": 20.0,
        f"{_CLOSTRIDIALES}|f__Lachnospiraceae|g__Blautia": 10.0,
    },
    "species_sample": {
        f"{_BACTEROIDACEAE}|g__Bacteroides|s__Bacteroides_vulgatus": 40.0,
        f"{_CLOSTRIDIALES}|f__Ruminococcaceae|g__Faecalibacterium|s__Faecalibacterium_prausnitzii": 20.0,
        f"{_BACTEROIDACEAE}|g__Bacteroides|s__Bacteroides_uniformis": 10.0,
        f"{_CLOSTRIDIALES}|f__Lachnospiraceae|g__Roseburia": 30.0,
    },
    "family_sample": {
        f"{_CLOSTRIDIALES}|f__Lachnospiraceae": 60.0, f"{_CLOSTRIDIALES}|f__Ruminococcaceae": 25.0, _BACTEROIDACEAE: 15.0,
    },
}


#: The repository's ``scripts`` folder (not a package).
SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def import_script(name: str) -> ModuleType:
    """A script of ``scripts/`` imported as a module, so tests can call its functions."""
    sys.path.insert(0, str(SCRIPTS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(SCRIPTS))


def claim_rows(columns: tuple[str, ...], rows: list[tuple], **constant) -> pd.DataFrame:
    """Rows of ``scripts/build_traits.py``'s claim frame (``taxon``, ``rank``,
    ``trait``, ``value``, ``claim_group``, ``claim``, ``curation``): each row's
    values for ``columns``, the same ``constant`` values in every row."""
    return pd.DataFrame([{**constant, **dict(zip(columns, row, strict=True))} for row in rows])


def warnings_besides_shallow(text: object) -> list[str]:
    """The warnings of a ``warnings`` cell other than the shallow-profile one,
    which every small hand-made profile gets (it reports no species under the
    index floor; :func:`gutbalance.pillars.shallow_profile_warnings`)."""
    return [w for w in parse_warnings(text) if not w.startswith(SHALLOW_PROFILE_WARNING)]


def kb_row(taxon: str, trait: str, source: str | None = None) -> pd.Series:
    """The one knowledge-base fact of ``taxon`` for ``trait`` (from ``source``
    when given); fails unless exactly one matches."""
    table = load_knowledge().facts
    hits = table[(table["taxon"] == taxon) & (table["trait"] == trait)]
    if source is not None:
        hits = hits[hits["source"] == source]
    assert len(hits) == 1, (taxon, trait, source)
    return hits.iloc[0]


def read_warnings(path) -> list[str]:
    """``gutbalance.read(path)``'s own warnings (GutBalanceWarning), as texts."""
    import warnings

    from gutbalance.errors import GutBalanceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gutbalance.read(path)
    return [str(w.message) for w in caught if issubclass(w.category, GutBalanceWarning)]
