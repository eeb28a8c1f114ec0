"""QIIME 2 .qza artifacts: reading, pairing with a taxonomy, archive safety, fuzzing."""

import contextlib
import io
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from biom import Table
from hypothesis import given, settings
from hypothesis import strategies as st

import gutbalance
from gutbalance.errors import ArchiveError, FormatError, GutBalanceError
from gutbalance.io import archive
from gutbalance.io.formats import qza
from gutbalance.io.registry import get_format
from gutbalance.io.source import Source
from tests.helpers import SMALL_COMMUNITY, assert_same_species, make_cohort, species_abundances
from tests.io.test_kraken import BRACKEN_REPORT, REPORT

UUID = "0b8c8c5e-1111-4222-8333-944455556666"
TABLE_META = f"uuid: {UUID}\ntype: FeatureTable[Frequency]\nformat: BIOMV210DirFmt\n"


def _biom_bytes(ids, data, samples=("S1", "S2")) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        Table(np.asarray(data, dtype=float), list(ids), list(samples)).to_hdf5(f, "test")
    return buffer.getvalue()


def _zip(members: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED, symlinks=()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            if name in symlinks:
                info.external_attr = (0o120777 << 16)
            zf.writestr(info, data)
    return buffer.getvalue()


def _table_qza(ids, data) -> bytes:
    return _zip(
        {
            f"{UUID}/metadata.yaml": TABLE_META.encode(),
            f"{UUID}/VERSION": b"QIIME 2\narchive: 5\n",
            f"{UUID}/data/feature-table.biom": _biom_bytes(ids, data),
        }
    )


def _source(data: bytes, name: str = "t.qza") -> Source:
    return Source(Path(name), data)


# --- sniffing and reading -------------------------------------------------------


def test_sniffer():
    good = _table_qza(["s__Bacteroides_fragilis"], [[1, 2]])
    assert qza.sniff(_source(good))
    assert qza.sniff(_source(good, "artifact.zip"))  # found by its metadata.yaml
    assert not qza.sniff(_source(_zip({"a/readme.txt": b"hi"}), "x.zip"))
    assert not qza.sniff(_source(b"taxon\tS1\nk__Bacteria\t1\n", "x.tsv"))


def test_lineage_feature_ids_read_alone():
    ids = ["k__Bacteria;p__Bacteroidetes;g__Bacteroides;s__Bacteroides_fragilis", "k__Bacteria;p__Firmicutes"]
    profiles = qza.read(_source(_table_qza(ids, [[30, 5], [10, 15]])))
    cohort = gutbalance.build_cohort(profiles)
    assert cohort.counts is not None
    assert cohort.at_rank("phylum").loc["S1", "p__Bacillota"] == pytest.approx(0.25)
    assert cohort.samples["source_format"].iloc[0] == "qza"


@pytest.mark.shared
def test_real_artifacts(shared_data):
    folder = shared_data / "formats" / "qiime2"
    text = gutbalance.read(folder / "simple_relative_abundances.txt")
    artifact = gutbalance.read(folder / "simple_relative_abundances.qza")
    assert_same_species(text, artifact, tol=1e-9)
    raw = text.at_rank("species")
    assert np.allclose(artifact.at_rank("species").loc[raw.index, raw.columns].to_numpy(), raw.to_numpy(), atol=1e-9)
    mock = gutbalance.read(folder / "full_taxonomy_mock_feature_table.qza")
    assert mock.n_samples == 20
    assert mock.counts is not None
    assert_same_species(mock, gutbalance.read(folder / "full_taxonomy_mock_feature_table.tsv"))
    with pytest.raises(FormatError, match="taxonomy") as info:
        gutbalance.read(folder / "dada2_table.qza")
    assert "not taxa" in str(info.value)


@pytest.mark.shared
def test_real_hashed_table_with_a_taxonomy_beside_it(shared_data, tmp_path):
    """dada2_table.qza read together with a taxonomy for its ASVs: features collapse by lineage."""
    path = shared_data / "formats" / "qiime2" / "dada2_table.qza"
    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.endswith("feature-table.biom"))
        with h5py.File(io.BytesIO(zf.read(name)), "r") as f:
            table = Table.from_hdf5(f)
    ids = list(table.ids(axis="observation"))
    lineages = ["k__Bacteria; p__Firmicutes; g__Roseburia; s__", "k__Bacteria; p__Bacteroidetes; g__Bacteroides; s__fragilis"]
    tsv = "Feature ID\tTaxon\tConfidence\n" + "".join(f"{fid}\t{lineages[k % 2]}\t0.9\n" for k, fid in enumerate(ids))
    taxonomy = tmp_path / "taxonomy.qza"
    taxonomy.write_bytes(archive.artifact_bytes(archive.TAXONOMY_TYPE, "TSVTaxonomyDirectoryFormat", {"taxonomy.tsv": tsv.encode()}))
    cohort = gutbalance.read([path, taxonomy])
    counts = table.matrix_data.toarray()
    expected_bacteroides = counts[1::2].sum(axis=0) / counts.sum(axis=0)
    genus = cohort.at_rank("genus")
    assert genus["g__Bacteroides"].to_numpy() == pytest.approx(expected_bacteroides)
    assert cohort.counts is not None
    assert sorted(cohort.taxa[cohort.taxa["rank"] == "species"].index) == ["s__Bacteroides fragilis"]


def test_write_with_taxonomy_artifact_and_pairing(tmp_path):
    cohort = make_cohort({"A": SMALL_COMMUNITY})
    table_path, taxonomy_path = tmp_path / "table.qza", tmp_path / "taxonomy.qza"
    qza.write_artifacts(cohort, table_path, taxonomy_path)
    with pytest.raises(FormatError, match="not taxa"):
        gutbalance.read(table_path)
    with pytest.raises(FormatError, match="only taxonomy"):
        gutbalance.read(taxonomy_path)
    with pytest.raises(FormatError, match="holds lineages, not abundances"):
        gutbalance.io.read_profiles(taxonomy_path)
    assert_same_species(cohort, gutbalance.read([taxonomy_path, table_path]))
    batch = gutbalance.io.read_batch([table_path, taxonomy_path])
    assert batch.problems == []
    assert_same_species(cohort, batch.cohort)
    # an exported taxonomy.tsv works the same way
    with zipfile.ZipFile(taxonomy_path) as zf:
        tsv = zf.read(next(n for n in zf.namelist() if n.endswith("taxonomy.tsv")))
    (tmp_path / "taxonomy.tsv").write_bytes(tsv)
    assert_same_species(cohort, gutbalance.read([table_path, tmp_path / "taxonomy.tsv"]))


def test_features_with_the_same_lineage_are_summed(tmp_path):
    (tmp_path / "t.qza").write_bytes(_table_qza(["h1", "h2", "h3"], [[10, 0], [30, 5], [60, 5]]))
    tsv = "Feature ID\tTaxon\nh1\ts__Bacteroides_fragilis\nh2\ts__Bacteroides_fragilis\nh3\tUnassigned\n"
    (tmp_path / "taxonomy.tsv").write_text(tsv)
    cohort = gutbalance.read([tmp_path / "t.qza", tmp_path / "taxonomy.tsv"])
    assert species_abundances(cohort)["S1"] == {"s__Bacteroides fragilis": 1.0}
    assert cohort.at_rank("species").loc["S1", "s__Bacteroides fragilis"] == pytest.approx(0.4)
    assert cohort.samples["unassigned"].tolist() == pytest.approx([0.6, 0.5])


def test_other_artifact_types_are_refused():
    meta = f"uuid: {UUID}\ntype: SampleData[PairedEndSequencesWithQuality]\nformat: X\n"
    with pytest.raises(FormatError, match="not a taxonomic profile"):
        qza.read(_source(_zip({f"{UUID}/metadata.yaml": meta.encode()})))
    meta = f"uuid: {UUID}\ntype: FeatureTable[PresenceAbsence]\nformat: X\n"
    with pytest.raises(FormatError, match="no usable abundances"):
        qza.read(_source(_zip({f"{UUID}/metadata.yaml": meta.encode()})))
    # ANCOM's input (the tutorials' comp-gut-table-l6.qza): say what to give instead
    meta = f"uuid: {UUID}\ntype: FeatureTable[Composition]\nformat: X\n"
    with pytest.raises(FormatError, match=r"no usable abundances.*add-pseudocount.*FeatureTable\[Frequency\]"):
        qza.read(_source(_zip({f"{UUID}/metadata.yaml": meta.encode()})))


# --- safety ------------------------------------------------------------------------


def test_zip_bomb_is_refused(tmp_path):
    bomb = _zip(
        {f"{UUID}/metadata.yaml": TABLE_META.encode(), f"{UUID}/data/feature-table.biom": bytes(20 * 1024**2)},
        compression=zipfile.ZIP_BZIP2,
    )
    assert len(bomb) < 20 * 1024**2 / 1000
    path = tmp_path / "bomb.qza"
    path.write_bytes(bomb)
    with pytest.raises(ArchiveError, match="bomb"):
        gutbalance.read(path)


def test_size_and_member_limits(monkeypatch):
    zipped = _zip({f"{UUID}/metadata.yaml": TABLE_META.encode(), **{f"{UUID}/p/{k}": b"x" for k in range(30)}})
    monkeypatch.setattr(archive, "MAX_MEMBERS", 20)
    with pytest.raises(ArchiveError, match="members"):
        qza.read(_source(zipped))
    monkeypatch.setattr(archive, "MAX_MEMBERS", 10_000)
    monkeypatch.setattr(archive, "MAX_UNCOMPRESSED_BYTES", 50)
    with pytest.raises(ArchiveError, match="over the limit"):
        qza.read(_source(zipped))
    monkeypatch.setattr(archive, "MAX_ARCHIVE_BYTES", 100)
    with pytest.raises(ArchiveError, match="over the limit"):
        qza.read(_source(zipped))


@pytest.mark.parametrize("evil", ["../../etc/cron.d/x", f"{UUID}/../../x", "/etc/passwd", "C:/Windows/x", "..\\x"])
def test_path_traversal_is_refused(tmp_path, evil):
    zipped = _zip({f"{UUID}/metadata.yaml": TABLE_META.encode(), evil: b"owned"})
    path = tmp_path / "evil.qza"
    path.write_bytes(zipped)
    with pytest.raises(ArchiveError, match="unsafe path"):
        gutbalance.read(path)


def test_symlinks_and_corrupt_archives_are_refused(tmp_path):
    zipped = _zip(
        {f"{UUID}/metadata.yaml": TABLE_META.encode(), f"{UUID}/data/feature-table.biom": b"/etc/passwd"},
        symlinks={f"{UUID}/data/feature-table.biom"},
    )
    with pytest.raises(ArchiveError, match="symbolic link"):
        qza.read(_source(zipped))
    good = _table_qza(["s__Bacteroides_fragilis"], [[1, 2]])
    truncated = tmp_path / "cut.qza"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(ArchiveError, match="not a readable zip"):
        gutbalance.read(truncated)


# --- fuzzing ------------------------------------------------------------------------

VALID = _table_qza(["s__Bacteroides_fragilis", "k__Bacteria;p__Firmicutes"], [[3, 1], [1, 1]])


def _attempt(data: bytes) -> None:
    with contextlib.suppress(GutBalanceError):
        get_format("qza").read(Source(Path("fuzz.qza"), data))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_fuzz_random_bytes(data):
    _attempt(b"PK\x03\x04" + data)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(VALID) - 1), st.binary(min_size=1, max_size=8))
def test_fuzz_mutated_archive(pos, patch):
    _attempt(VALID[:pos] + patch + VALID[pos + len(patch) :])


# QIIME 2's Kraken 2 plugin (q2-moshpit/q2-annotate) keeps its reports in a
# SampleData[Kraken2Report % Properties('reads')] artifact, data/<sample>/report.txt
# (q2-types' Kraken2ReportDirectoryFormat). It was refused as "a QIIME 2
# SampleData[Kraken2Report % Properties('reads')] artifact is not a taxonomic profile".
READS_TYPE = "SampleData[Kraken2Report % Properties('reads')]"


def _reports_artifact(tmp_path, files, type_=READS_TYPE):
    path = tmp_path / "kraken2-reports.qza"
    path.write_bytes(archive.artifact_bytes(type_, "Kraken2ReportDirectoryFormat",
                                            {name: text.encode() for name, text in files.items()}))
    return path


@pytest.mark.parametrize("layout", ["{}/report.txt", "{}.report.txt"])
def test_kraken2_reports_of_reads_read_as_the_same_reports_given_as_files(tmp_path, layout):
    path = _reports_artifact(tmp_path, {layout.format("S1"): REPORT, layout.format("S2"): BRACKEN_REPORT})
    cohort = gutbalance.read(path)
    assert cohort.sample_names == ["S1", "S2"]
    (tmp_path / "S1.kreport").write_text(REPORT)
    (tmp_path / "S2.kreport").write_text(BRACKEN_REPORT)
    files = gutbalance.read([tmp_path / "S1.kreport", tmp_path / "S2.kreport"])
    columns = ["sample", "taxon", "rank", "abundance", "counts"]
    inside = cohort.to_long().sort_values(columns[:2]).reset_index(drop=True)[columns]
    alone = files.to_long().sort_values(columns[:2]).reset_index(drop=True)[columns]
    assert len(inside) > 20
    assert inside.equals(alone)


@pytest.mark.parametrize(
    ("type_", "files", "message"),
    [
        ("SampleData[Kraken2Report % Properties('mags')]", {"S1/m1_report.txt": REPORT}, "contigs or MAGs"),
        ('SampleData[Kraken2Report % Properties("contigs")]', {"S1/report.txt": REPORT}, "contigs or MAGs"),
        (READS_TYPE, {"S1/m1_report.txt": REPORT, "S1/m2_report.txt": REPORT}, "more than one report"),
        (READS_TYPE, {"S1/notes.txt": "x"}, "holds no Kraken 2 report"),
        (READS_TYPE, {"S1/report.txt": "sample\tvalue\nS1\t3\n"}, "does not look like"),
    ],
)
def test_kraken2_report_artifacts_of_other_things_are_refused_saying_why(tmp_path, type_, files, message):
    with pytest.raises(FormatError, match=message):
        gutbalance.read(_reports_artifact(tmp_path, files, type_))
