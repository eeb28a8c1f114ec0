"""The H2S / sulfate-reducer split, the curated enteric-pathogen calls and the
immune-training rows the scorer depends on."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gutbalance.knowledge import TRAITS, load_knowledge, lookup

ROOT = Path(__file__).resolve().parents[2]


def _value(name: str, trait: str) -> float | None:
    calls = lookup(name, traits=[trait])
    return None if calls.empty else float(calls["value"].iloc[0])


def test_no_h2s_row_calls_an_absent_genome_a_producer():
    facts = load_knowledge().facts
    h2s = facts[facts["trait"] == "h2s_producer"]
    assert not h2s["qualifier"].str.contains("route=absent").any()
    # A 'none' route is always a non-producer, and every producer row names a real route.
    assert (h2s.loc[h2s["qualifier"] == "route=none", "value"] == 0).all()
    routes = h2s.loc[(h2s["rank"] == "species") & (h2s["value"] > 0), "qualifier"]
    assert routes.isin(["route=cysteine_primary", "route=cysteine_secondary", "route=sulfate_reduction"]).all()


def test_sulfate_reducer_is_a_barrier_trait_and_marks_the_classic_reducers_only():
    assert TRAITS["sulfate_reducer"].pillar == "barrier"
    assert _value("Bilophila wadsworthia", "sulfate_reducer") == 1.0
    desulfovibrio = lookup("k__Bacteria|g__Desulfovibrio", traits=["sulfate_reducer"])
    assert float(desulfovibrio["value"].iloc[0]) > 0.5
    # Cysteine degraders and a genus with one dsr genome among many are not sulfate reducers.
    assert _value("Escherichia coli", "sulfate_reducer") == 0.0
    alistipes = lookup("k__Bacteria|g__Alistipes", traits=["sulfate_reducer"])
    assert float(alistipes["value"].iloc[0]) < 0.1
    # But they still produce H2S by some route.
    assert _value("Escherichia coli", "h2s_producer") == 1.0


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Salmonella enterica", 1.0), ("Clostridium difficile", 1.0), ("Shigella flexneri", 1.0),
     ("Escherichia coli", 0.5), ("Bacteroides fragilis", 0.5), ("Enterococcus faecium", 0.5)],
)
def test_enteric_pathogen_calls(name, expected):
    assert _value(name, "enteric_pathogen") == expected


def test_partial_enteric_pathogens_say_which_strains():
    facts = load_knowledge().facts
    rows = facts[facts["trait"] == "enteric_pathogen"]
    assert rows["value"].isin([0.0, 0.5, 1.0]).all()
    assert rows.loc[rows["value"] == 0.5, "qualifier"].str.startswith("caveat=").all()


def test_dominant_commensal_is_not_an_enteric_pathogen_though_bugphyzz_flags_it():
    # bugphyzz's broad animal-pathogen flag marks Phocaeicola vulgatus; the curated trait does not.
    assert _value("Phocaeicola vulgatus", "pathogen") == 1.0
    assert _value("Phocaeicola vulgatus", "enteric_pathogen") is None
    assert _value("Faecalibacterium prausnitzii", "enteric_pathogen") is None


def test_training_rows_for_clostridia_and_bifidobacteria():
    lineage = "k__Bacteria|p__Firmicutes|c__Clostridia|o__Eubacteriales|f__Lachnospiraceae|g__Roseburia|s__Roseburia_hominis"
    calls = lookup(lineage, traits=["treg_induction"])
    assert calls["resolved_rank"].iloc[0] == "family"
    assert calls["value"].iloc[0] == 1.0
    assert _value("Bifidobacterium bifidum", "treg_induction") == 1.0
    assert _value("Akkermansia muciniphila", "anti_inflammatory") == 1.0


def test_build_script_reproduces_the_committed_braccia_table(shared_data, tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import build_traits
    finally:
        sys.path.pop(0)
    monkeypatch.setattr(build_traits, "ROOT", tmp_path)  # write() prints paths relative to ROOT
    out = tmp_path / "braccia.tsv"
    build_traits.write(build_traits.build_braccia(shared_data), out, ["x"], host="in_silico")
    committed = (ROOT / "src/gutbalance/knowledge/data/braccia2021_h2s.tsv").read_text().splitlines()
    rebuilt = out.read_text().splitlines()
    strip = [line for line in committed if not line.startswith("#")]
    assert strip == [line for line in rebuilt if not line.startswith("#")]
