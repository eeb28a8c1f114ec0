"""QIIME 2 feature table artifacts (``.qza``), read straight from the zip (no
QIIME 2 install).

The archive is opened and checked by :mod:`gutbalance.io.archive` (layout,
safety limits); its ``data/feature-table.biom`` is read as any BIOM table
(:mod:`gutbalance.io.biom_table`), so feature ids must be lineages (a table
made with ``qiime taxa collapse``), or bare names at the rank declared with
``feature_rank`` (a collapsed table whose ids were renamed), unless the
taxonomy is given too: a
``FeatureData[Taxonomy]`` artifact or ``taxonomy.tsv`` read in the same call
(:mod:`gutbalance.io.taxonomy_file`) reaches :func:`read` as its
``taxonomy=`` argument.

Writing
-------
:func:`write` writes a ``FeatureTable[Frequency]`` (cohort counts) or
``FeatureTable[RelativeFrequency]`` artifact whose feature ids are the leaf
lineages, so the single file reads back on its own; :func:`write_artifacts`
can instead write hashed feature ids plus a ``FeatureData[Taxonomy]``
artifact, the way QIIME 2 pipelines keep them.  The artifacts carry no
provenance folder, so QIIME 2 itself may decline to load them.

Kraken 2 reports
----------------
QIIME 2's Kraken 2 plugin (q2-moshpit, now q2-annotate, of the QIIME 2
metagenome distribution) keeps the per-sample Kraken 2 (``classify-kraken2``)
and Bracken (``estimate-bracken``) reports of reads in a
``SampleData[Kraken2Report % Properties('reads')]`` artifact, one report a
sample: ``data/<sample>/report.txt`` (q2-types' ``Kraken2ReportDirectoryFormat``:
member names ending ``report.txt`` or ``report.tsv``; an imported folder may
hold ``data/<sample>.report.txt``).  Each report is read by the Kraken
reader, as the same report given as a file is, and named after its sample.
Reports of contigs or MAGs (``Properties('contigs')``/``('mags')``, or several
reports under one sample) count assembled sequences, not a sample's reads,
and are refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import zipfile
from pathlib import Path

from ...atomic import write_bytes_atomic
from ...cohort import SampleProfile
from ...errors import FormatError
from ...lazy import lazy
from ..archive import MAX_MEMBERS, METADATA_MEMBER, TAXONOMY_TYPE, artifact_bytes, open_artifact
from ..registry import Format, get_format, register, verify, writes_counts
from ..source import Source
from ..taxonomy_file import FeatureTaxonomy

# The BIOM library and h5py are needed only to read or write an artifact's
# table: imported on first use, as in :mod:`.biom` (docs/architecture.md).
load_table = lazy("gutbalance.io.biom_table:load_table")
profiles_from_table = lazy("gutbalance.io.biom_table:profiles_from_table")
declared_integers = lazy("gutbalance.io.biom_table:declared_integers")
build_table = lazy("gutbalance.io.biom_table:build_table")
hdf5_bytes = lazy("gutbalance.io.biom_table:hdf5_bytes")

_TABLE_TYPES = {"FeatureTable[Frequency]": None, "FeatureTable[RelativeFrequency]": "relative"}


#: What to do with a taxonomy artifact read alone (the web app says it in its own words).
TAXONOMY_ARTIFACT_HINT = "read it together with its FeatureTable artifact (for example gutbalance.read([table.qza, taxonomy.qza]))"


def sniff(source: Source) -> bool:
    """Whether ``source`` is a QIIME 2 artifact: any ``.qza`` zip, or a zip with a ``<uuid>/metadata.yaml``."""
    if not source.is_zip:
        return False
    if source.path.suffix.lower() == ".qza":
        return True  # even a broken one: the reader says what is wrong with it
    try:
        zf = zipfile.ZipFile(io.BytesIO(source.data))
        return any(METADATA_MEMBER.match(name) for name in zf.namelist()[:MAX_MEMBERS])
    except Exception:  # a sniffer never raises
        return False


def read(
    source: Source, *, taxonomy: FeatureTaxonomy | None = None, feature_rank: str | None = None
) -> list[SampleProfile]:
    """Sample profiles of a ``FeatureTable`` artifact; ``taxonomy`` names
    features (ASV ids) by lineage; ``feature_rank`` is the standard rank
    (checked by :func:`gutbalance.io.read_source`) of feature ids that are
    bare taxon names (``Bacteroides``: ``"genus"``)."""
    artifact = open_artifact(source.data, source.path, limits=source.limits)
    kind_of = artifact.type.replace(" ", "")
    if kind_of == TAXONOMY_TYPE:
        raise FormatError(
            f"a FeatureData[Taxonomy] artifact holds lineages, not abundances; {TAXONOMY_ARTIFACT_HINT}",
            path=source.path,
        )
    if kind_of.startswith(KRAKEN2_REPORT_TYPE):
        return _kraken2_reports(artifact, source)
    if kind_of not in _TABLE_TYPES:
        if kind_of.startswith("FeatureTable["):
            hint = ""
            if kind_of == "FeatureTable[Composition]":
                # What ANCOM's tutorial makes (comp-gut-table-l6.qza): every
                # count plus a pseudocount, which would read as abundance.
                hint = (
                    "; a Composition table is counts plus the pseudocount of `qiime composition "
                    "add-pseudocount`: give the FeatureTable[Frequency] it was made from"
                )
            raise FormatError(
                f"a {artifact.type} artifact holds no usable abundances (gutbalance reads "
                f"FeatureTable[Frequency] and FeatureTable[RelativeFrequency]){hint}",
                path=source.path,
            )
        raise FormatError(f"a QIIME 2 {artifact.type} artifact is not a taxonomic profile", path=source.path)
    data = artifact.member("data/feature-table.biom")
    inner = Source(source.path, data, source.limits)
    table = load_table(inner)
    return profiles_from_table(
        table, path=source.path, source_format="qza", kind=_TABLE_TYPES[kind_of], taxonomy=taxonomy,
        integers=declared_integers(inner), feature_rank=feature_rank,
    )


#: QIIME 2's type of Kraken 2 (and Bracken) reports, before its properties.
KRAKEN2_REPORT_TYPE = "SampleData[Kraken2Report"
_REPORT_MEMBER = re.compile(r"report\.(?:txt|tsv)$")


def _kraken2_reports(artifact, source: Source) -> list[SampleProfile]:
    """The samples of a ``SampleData[Kraken2Report]`` artifact of reads (see
    the module docstring), each report read by the Kraken reader."""
    kind = artifact.type.replace(" ", "").replace('"', "'")
    if "%" in kind and "'reads'" not in kind:
        raise FormatError(
            f"a {artifact.type} artifact holds Kraken 2 reports of contigs or MAGs, which count assembled "
            "sequences, not a sample's reads: give the reports of the reads (classify-kraken2 of the reads, "
            "SampleData[Kraken2Report % Properties('reads')]) or their Bracken reports",
            path=source.path,
        )
    prefix = f"{artifact.root}/data/"
    reports: dict[str, str] = {}
    for name in sorted(artifact.zip.namelist()):
        if not name.startswith(prefix) or not _REPORT_MEMBER.search(name):
            continue
        relative = name[len(prefix):]
        parts = relative.split("/")
        if len(parts) == 2:
            sample = parts[0]  # <sample>/report.txt (<sample>/<mag>_report.txt for MAGs)
        elif len(parts) == 1:
            sample = re.sub(r"[._]?report\.(?:txt|tsv)$", "", parts[0])  # an imported <sample>.report.txt
        else:
            raise FormatError(f"the {artifact.type} artifact has a report at {relative!r}, not at "
                              "data/<sample>/report.txt", path=source.path)
        if not sample:
            raise FormatError(f"the report {relative!r} names no sample", path=source.path)
        if sample in reports:
            raise FormatError(
                f"sample {sample!r} has more than one report ({reports[sample]}, {relative}): reports of "
                "contigs or MAGs, which count assembled sequences, not the sample's reads; give the reports of "
                "the reads",
                path=source.path,
            )
        reports[sample] = relative
    if not reports:
        raise FormatError(f"the {artifact.type} artifact holds no Kraken 2 report (data/<sample>/report.txt)",
                          path=source.path)
    kraken = get_format("kraken")
    assert kraken.read is not None
    profiles: list[SampleProfile] = []
    for sample, relative in reports.items():
        inner = Source(source.path / relative, artifact.member(f"data/{relative}"), source.limits)
        verify(kraken, inner)
        profiles.extend(dataclasses.replace(p, sample=sample) for p in kraken.read(inner))
    return profiles


# --- writing -----------------------------------------------------------------


def _hashed(cohort):
    """The cohort's BIOM table with md5 feature ids, and id -> lineage."""
    table = build_table(cohort)
    ids = [str(i) for i in table.ids(axis="observation")]
    mapping = {i: hashlib.md5(i.encode()).hexdigest() for i in ids}
    table.update_ids(mapping, axis="observation", inplace=True)
    table.del_metadata(keys=["taxonomy"], axis="observation")
    return table, {mapping[i]: i.replace(";", "; ") for i in ids}


def write_artifacts(cohort, table_path: Path, taxonomy_path: Path | None = None) -> None:
    """Write the cohort as a FeatureTable artifact; with ``taxonomy_path``, the
    feature ids are hashes and the lineages go into a FeatureData[Taxonomy] artifact."""
    type_ = "FeatureTable[Frequency]" if writes_counts(cohort) else "FeatureTable[RelativeFrequency]"
    if taxonomy_path is None:
        table_bytes = hdf5_bytes(build_table(cohort))
    else:
        table, mapping = _hashed(cohort)
        table_bytes = hdf5_bytes(table)
        tsv = "Feature ID\tTaxon\n" + "".join(f"{k}\t{v}\n" for k, v in mapping.items())
        write_bytes_atomic(
            artifact_bytes(TAXONOMY_TYPE, "TSVTaxonomyDirectoryFormat", {"taxonomy.tsv": tsv.encode()}),
            Path(taxonomy_path),
        )
    write_bytes_atomic(
        artifact_bytes(type_, "BIOMV210DirFmt", {"feature-table.biom": table_bytes}), Path(table_path)
    )


def write(cohort, path: Path) -> None:
    """Write the cohort as one ``FeatureTable`` artifact, lineages as feature ids."""
    write_artifacts(cohort, Path(path))


register(
    Format(
        "qza",
        "a QIIME 2 artifact (.qza): FeatureTable[Frequency|RelativeFrequency], SampleData[Kraken2Report] of reads",
        sniff,
        read,
        write,
        extensions=(".qza",),
        priority=40,
        takes_taxonomy=True,
        takes_feature_rank=True,
    )
)
