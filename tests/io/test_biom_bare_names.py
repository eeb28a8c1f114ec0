"""BIOM and QIIME 2 tables whose observation ids are bare taxon names
(``Bacteroides``): ``feature_rank`` applies to them exactly as to a CSV
table's bare names (docs/formats.md, "Bare names: --feature-rank").

The bare-id tables are built here with biom-format's own API from real
tables: the GMHI species table and the mock community of
../shared/data/formats/qiime2, and the QIIME 2 tutorial's level-6 table
(fetched outside the project; skipped where absent).  The independent
calculation each is checked against is the same numbers read as a CSV table
with the same declared rank, or the original table with its lineages.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from biom import Table
from biom.parse import parse_biom_table
from click.testing import CliRunner

import gutbalance
from gutbalance.cli import main
from gutbalance.errors import FormatError, TaxonomyError
from gutbalance.io.archive import artifact_bytes

#: Public data fetched outside the project (docs/tried-on-public-data.md); tests skip where absent.
OUTSIDE = Path(os.environ.get("GUTBALANCE_OUTSIDE_DATA") or "/work/outside-data")
TUTORIAL_L6 = OUTSIDE / "qiime2_tutorial" / "comp-gut-table-l6.qza"

REFUSAL = r"cannot tell the rank of 'Bacteroides'.*--feature-rank genus of gutbalance analyze.*; gutbalance\.read\(\.\.\., feature_rank='genus'\)"


def _hdf5_bytes(table: Table) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        table.to_hdf5(f, "test")
    return buffer.getvalue()


def _json_text(table: Table) -> str:
    """BIOM 1.0 JSON at full precision (biom-format writes values with ``%f``)."""
    document = json.loads(table.to_json("test"))
    coo = table.matrix_data.tocoo()
    document["data"] = [[int(i), int(j), float(v)] for i, j, v in zip(coo.row, coo.col, coo.data, strict=True)]
    return json.dumps(document)


def _write_all(table: Table, folder: Path, stem: str) -> dict[str, Path]:
    """The table as BIOM 2.1 (HDF5), BIOM 1.0 (JSON), a FeatureTable[Frequency]
    .qza, and a samples x taxa CSV (header ``SampleID, <ids>``)."""
    paths = {kind: folder / f"{stem}.{kind}" for kind in ("biom", "json", "qza", "csv")}
    data = _hdf5_bytes(table)
    paths["biom"].write_bytes(data)
    paths["json"].write_text(_json_text(table))
    paths["qza"].write_bytes(artifact_bytes("FeatureTable[Frequency]", "BIOMV210DirFmt", {"feature-table.biom": data}))
    frame = pd.DataFrame(
        table.matrix_data.toarray().T, index=list(table.ids()), columns=list(table.ids(axis="observation"))
    )
    frame.index.name = "SampleID"
    frame.to_csv(paths["csv"])
    return paths


def _scores(path: Path, rank: str | None) -> pd.DataFrame:
    return gutbalance.score(gutbalance.read(path, feature_rank=rank))


def _numbers(table: pd.DataFrame) -> pd.DataFrame:
    return table.select_dtypes("number")


def _genus_table(tmp_path: Path) -> Table:
    """The level-6 table of QIIME 2's tutorial with each feature renamed to its
    genus (counts: the Composition artifact's values less its pseudocount of 1)."""
    if not TUTORIAL_L6.is_file():
        pytest.skip(f"the QIIME 2 tutorial's table is not present at {TUTORIAL_L6}")
    with zipfile.ZipFile(TUTORIAL_L6) as archive:
        (member,) = [n for n in archive.namelist() if n.endswith("/data/feature-table.biom")]
        data = archive.read(member)
    (tmp_path / "l6.biom").write_bytes(data)
    with h5py.File(tmp_path / "l6.biom", "r") as f:
        table = parse_biom_table(f)
    ids = [str(i) for i in table.ids(axis="observation")]
    genera = [i.rsplit(";", 1)[-1] for i in ids]
    # only features named to a genus, and each genus once (Greengenes has two
    # g__Clostridium, in two families: one bare name cannot tell them apart)
    keep = [k for k, g in enumerate(genera) if g.startswith("g__") and len(g) > 3 and genera.count(g) == 1]
    counts = table.matrix_data.toarray()[keep] - 1.0
    assert counts.min() == 0  # the pseudocount was 1
    return Table(counts, [genera[k][3:] for k in keep], list(table.ids()), type="OTU table")


def test_bare_genus_ids_are_refused_naming_feature_rank(tmp_path):
    table = Table(np.array([[3.0, 1.0], [1.0, 4.0]]), ["Bacteroides", "Faecalibacterium"], ["S1", "S2"])
    paths = _write_all(table, tmp_path, "genus")
    for kind in ("biom", "json", "qza", "csv"):
        with pytest.raises(FormatError, match=REFUSAL):
            gutbalance.read(paths[kind])
    # the same words as the CSV table's refusal, up to what only a BIOM table can do
    with pytest.raises(FormatError) as biom_error:
        gutbalance.read(paths["biom"])
    assert "if the ids are ASV or OTU ids" in str(biom_error.value)
    # declared, the same file is read, at that rank
    cohort = gutbalance.read(paths["qza"], feature_rank="genus")
    assert cohort.at_rank("genus").loc["S1", "g__Bacteroides"] == pytest.approx(0.75)
    assert cohort.taxa.loc["g__Bacteroides", "phylum"] == "Bacteroidota"
    with pytest.raises(TaxonomyError, match="'genera' is not a rank"):
        gutbalance.read(paths["biom"], feature_rank="genera")


def test_a_declared_rank_leaves_feature_ids_taxonomies_and_lineages_alone(tmp_path):
    # an ASV hash is not a bare name whatever rank is declared: it still needs its taxonomy
    hashed = Table(np.array([[3.0, 1.0], [1.0, 4.0]]), ["4b5eeb300368260019c1fbc7a3c718fc", "Bacteroides"], ["S1", "S2"])
    path = tmp_path / "hashed.biom"
    path.write_bytes(_hdf5_bytes(hashed))
    with pytest.raises(FormatError, match=r"1 of 2 features \(ids such as '4b5eeb30.*taxonomy"):
        gutbalance.read(path, feature_rank="genus")
    # observation metadata and lineage ids keep their own ranks; only the bare id takes the declared one
    mixed = Table(
        np.array([[3.0, 1.0], [1.0, 4.0], [2.0, 2.0]]),
        ["otu1", "k__Bacteria;p__Bacillota;c__Bacilli", "Roseburia"],
        ["S1", "S2"],
        observation_metadata=[{"taxonomy": ["k__Bacteria", "p__Bacteroidota", "c__Bacteroidia", "o__Bacteroidales",
                                            "f__Bacteroidaceae", "g__Bacteroides"]}, {}, {}],
    )
    path = tmp_path / "mixed.json"
    path.write_text(mixed.to_json("test"))
    cohort = gutbalance.read(path, feature_rank="genus")
    assert {"g__Bacteroides", "c__Bacilli", "g__Roseburia"} <= set(cohort.taxa.index)
    assert cohort.taxa.loc["c__Bacilli", "rank"] == "class"
    assert cohort.at_rank("genus").loc["S1", "g__Roseburia"] == pytest.approx(2 / 6)


def test_bare_species_ids_score_as_their_csv_and_keep_the_species_of_the_lineages(shared_data, tmp_path):
    # the GMHI paper's 25 samples as a BIOM table with s__ ids; the same table
    # with bare names ("Abiotrophia defectiva") and feature_rank="species"
    original = shared_data / "formats" / "qiime2" / "simple_relative_abundances.biom"
    with h5py.File(original, "r") as f:
        table = parse_biom_table(f)
    ids = [str(i) for i in table.ids(axis="observation")]
    assert all(i.startswith("s__") for i in ids)
    bare = table.update_ids({i: i[3:].replace("_", " ") for i in ids}, axis="observation", inplace=False)
    paths = _write_all(bare, tmp_path, "species")
    expected = _scores(paths["csv"], "species")
    assert len(expected) == 25
    for kind in ("biom", "json", "qza"):
        got = _scores(paths[kind], "species")
        assert list(got.index) == list(expected.index)
        assert (_numbers(got) - _numbers(expected)).abs().max().max() == 0, kind
        assert _numbers(got).equals(_numbers(expected)), kind
    # the same species as the s__ ids, in the same place: a lone s__X and a
    # bare name both take the genus their binomial names, except a phage named
    # after its host (Propionibacterium phage P100 A), which takes none
    lineages = gutbalance.read(original).taxa
    names = gutbalance.read(paths["biom"], feature_rank="species").taxa
    assert set(lineages.index) == set(names.index)
    assert "s__Propionibacterium phage P100 A" in set(names.index)


def test_a_genus_table_collapsed_with_biom_scores_as_its_csv(shared_data, tmp_path):
    # the mock community (Greengenes lineages, counts) collapsed to genera by
    # biom-format itself, ids renamed to the bare genus (what `biom convert`
    # makes of a genus CSV); reads of features with no genus are left out
    original = shared_data / "formats" / "qiime2" / "full_taxonomy_mock_feature_table.biom"
    with h5py.File(original, "r") as f:
        table = parse_biom_table(f)

    def genus(feature_id, _metadata):
        return next((p.strip()[3:] for p in feature_id.split(";") if p.strip().startswith("g__")), "")

    collapsed = table.collapse(genus, axis="observation", norm=False, include_collapsed_metadata=False)
    named = [str(i) for i in collapsed.ids(axis="observation") if str(i)]
    collapsed = collapsed.filter(named, axis="observation", inplace=False)
    assert len(named) >= 10
    paths = _write_all(collapsed, tmp_path, "genus")
    with pytest.raises(FormatError, match="cannot tell the rank of"):
        gutbalance.read(paths["biom"])
    expected = _scores(paths["csv"], "genus")
    for kind in ("biom", "json", "qza"):
        got = _scores(paths[kind], "genus")
        assert (_numbers(got) - _numbers(expected)).abs().max().max() == 0, kind
        assert _numbers(got).equals(_numbers(expected)), kind
    # counts stay counts: Chao1 needs them
    assert gutbalance.read(paths["qza"], feature_rank="genus").counts is not None


def test_the_qiime2_tutorial_genus_table_with_bare_ids_scores_as_its_csv(tmp_path):
    paths = _write_all(_genus_table(tmp_path), tmp_path, "l6")
    expected = _scores(paths["csv"], "genus")
    assert len(expected) == 8
    for kind in ("biom", "json", "qza"):
        got = _scores(paths[kind], "genus")
        assert (_numbers(got) - _numbers(expected)).abs().max().max() == 0, kind
        assert _numbers(got).equals(_numbers(expected)), kind


def test_analyze_feature_rank_on_a_bare_genus_qza_writes_the_csv_scores(tmp_path):
    table = Table(
        np.array([[30.0, 5.0, 0.0], [50.0, 20.0, 7.0], [20.0, 75.0, 93.0]]),
        ["Bacteroides", "Faecalibacterium", "Prevotella"],
        ["P1", "P2", "P3"],
    )
    paths = _write_all(table, tmp_path, "genus")
    runner = CliRunner()
    refused = runner.invoke(main, ["analyze", str(paths["qza"]), "-o", str(tmp_path / "no"), "--reports", "none"])
    assert refused.exit_code == 2
    assert "--feature-rank genus" in (tmp_path / "no" / "problems.tsv").read_text()
    out = {}
    for kind in ("qza", "csv"):
        done = runner.invoke(main, ["analyze", str(paths[kind]), "-o", str(tmp_path / kind), "--reports", "none",
                                    "--feature-rank", "genus", "-j", "1"])
        assert done.exit_code == 0, done.output
        out[kind] = (tmp_path / kind / "scores.tsv").read_bytes()
    assert out["qza"] == out["csv"]
