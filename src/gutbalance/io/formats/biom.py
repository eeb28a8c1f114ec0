"""BIOM tables: 1.0 (JSON) and 2.1 (HDF5), through the biom-format library.

Observations are taxa and columns are samples.  Each observation's lineage
comes from, in order:

1. a feature taxonomy read in the same call (a QIIME 2 ``FeatureData[Taxonomy]``
   artifact or ``taxonomy.tsv``; see :mod:`.qza`);
2. the observation metadata ``taxonomy`` (a list of rank strings, joined with
   ``;``, or one string);
3. the observation id itself, when it is a lineage or a binomial
   (``s__Abiotrophia_defectiva``, ``k__Bacteria; p__Firmicutes; ...``).

Ids that are none of these (ASV hashes, OTU numbers) cannot be scored: the
reader refuses the table and says a taxonomy is needed.

Counts (integers, or totals well above 1 and not about 100) give counts and
abundance = count / sample total; relative tables (sample totals about 1 or
about 100) give fractions.  Features with the same lineage are summed, and
features classified only to a higher rank are added to that clade (see
:func:`.table.profiles_from_matrix`).

The writer writes BIOM 2.1 (HDF5) for ``.biom`` and BIOM 1.0 (JSON) for
``.json``: the leaf taxa only (taxa none of whose children is in the cohort),
with the lineage as id (``k__Bacteria;p__Bacillota;...``) and as ``taxonomy``
metadata (a list of ``k__X`` strings), counts when the cohort has them, else
relative abundance, and an ``Unassigned`` observation for the unassigned
share.  Abundance that an input gave a clade beyond the sum of its children
(MetaPhlAn's genus-level reads) is not written.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ...atomic import write_bytes_atomic
from ...cohort import SampleProfile
from ...errors import FormatError, TaxonomyError
from ..registry import Format, register
from ..source import Source
from .table import FeatureTaxonomy, active_taxonomy, label_lineage, looks_taxonomic, profiles_from_matrix

_JSON_MARKERS = ('"format_url"', "biom-format.org", "Biological Observation Matrix", '"matrix_type"')
_TAXONOMY_KEYS = ("taxonomy", "Taxonomy", "taxon", "Taxon", "lineage", "Lineage")


def _parse_hdf5(data: bytes):
    """The parts of the BIOM table in HDF5 bytes (matrix, ids, metadata), or
    None when the HDF5 file is not BIOM.  Runs in a child process (see
    :mod:`gutbalance.io.isolate`), so it returns plain, picklable parts."""
    import h5py
    from biom.parse import parse_biom_table

    with h5py.File(io.BytesIO(data), "r") as f:
        url = f.attrs.get("format-url", b"")
        url = url.decode() if isinstance(url, bytes) else str(url)
        if not ("biom" in url or ("format-version" in f.attrs and "observation" in f and "sample" in f)):
            return None
        table = parse_biom_table(f)

    def plain(metadata):
        return None if metadata is None else [None if m is None else dict(m) for m in metadata]

    return {
        "data": table.matrix_data,
        "observation_ids": list(table.ids(axis="observation")),
        "sample_ids": list(table.ids(axis="sample")),
        "observation_metadata": plain(table.metadata(axis="observation")),
        "sample_metadata": plain(table.metadata(axis="sample")),
        "type": table.type,
    }


def _hdf5_table(source: Source):
    """Parse HDF5 content once per source, isolated: libhdf5 can crash the
    process on a corrupt file rather than raise.  Returns the table, None for
    HDF5 that is not BIOM, or the FormatError to raise."""
    cached = source.__dict__.get("_biom_hdf5")
    if cached is None:
        import biom.parse  # noqa: F401  (imported before forking, not in the child)
        import h5py  # noqa: F401

        from ..isolate import run_isolated

        try:
            parts = run_isolated(_parse_hdf5, source.data, path=source.path, what="HDF5 file")
            if parts is not None:
                from biom import Table

                parts = Table(
                    parts["data"],
                    parts["observation_ids"],
                    parts["sample_ids"],
                    observation_metadata=parts["observation_metadata"],
                    sample_metadata=parts["sample_metadata"],
                    type=parts["type"],
                )
            cached = ("ok", parts)
        except FormatError as exc:
            cached = ("error", exc)
        except Exception as exc:  # biom and h5py raise KeyError, TypeError, ValueError, OSError, ...
            detail = str(exc).strip() or type(exc).__name__
            cached = ("error", FormatError(f"not a readable BIOM table ({detail})", path=source.path))
        source.__dict__["_biom_hdf5"] = cached
    return cached


def sniff(source: Source) -> bool:
    if source.is_hdf5:
        kind, value = _hdf5_table(source)
        return kind == "ok" and value is not None
    lines = source.head_lines
    if not lines:
        return False
    head = "\n".join(lines).lstrip()
    return head.startswith("{") and any(marker in head for marker in _JSON_MARKERS)


def diagnose(source: Source) -> FormatError | None:
    """An HDF5 file that could not be parsed is a corrupt (or truncated) BIOM
    2.1 table, not an unknown format: say so, with the library's reason."""
    if not source.is_hdf5:
        return None
    kind, value = _hdf5_table(source)
    if kind != "error":
        return None
    return FormatError(f"a corrupt or truncated HDF5 (BIOM 2.1) file: {value.message}", path=source.path)


def load_table(source: Source):
    """The :class:`biom.Table` in ``source`` (HDF5 or JSON)."""
    from biom.parse import parse_biom_table

    if source.is_hdf5:
        kind, value = _hdf5_table(source)
        if kind == "error":
            raise value
        if value is None:
            raise FormatError("an HDF5 file, but not a BIOM table", path=source.path)
        return value
    try:
        text = source.text.lstrip()
        if not text.startswith("{"):
            raise FormatError("not a BIOM file (neither HDF5 nor JSON)", path=source.path)
        return parse_biom_table(text)
    except FormatError:
        raise
    except Exception as exc:  # biom and h5py raise KeyError, TypeError, ValueError, OSError, ...
        detail = str(exc).strip() or type(exc).__name__
        raise FormatError(f"not a readable BIOM table ({detail})", path=source.path) from None


def _metadata_lineage(metadata) -> str | None:
    if not metadata:
        return None
    for key in _TAXONOMY_KEYS:
        value = metadata.get(key)
        if value is None:
            continue
        if isinstance(value, (list, tuple, np.ndarray)):
            parts = [str(v).strip() for v in value]
            text = ";".join(parts)
        else:
            text = str(value).strip()
        if text:
            return text
    return None


def profiles_from_table(
    table, *, path: Path, source_format: str, kind: str | None = None, taxonomy: FeatureTaxonomy | None = None
) -> list[SampleProfile]:
    """Sample profiles from a :class:`biom.Table` (observations = taxa);
    ``taxonomy`` gives lineages to feature ids (ASV hashes)."""
    ids = [str(i) for i in table.ids(axis="observation")]
    samples = [str(s) for s in table.ids(axis="sample")]
    if not ids or not samples:
        raise FormatError(f"the table is empty ({len(ids)} features x {len(samples)} samples)", path=path)
    metadata = table.metadata(axis="observation")
    taxonomy = taxonomy if taxonomy is not None else active_taxonomy()
    texts: list[str | None] = []
    for k, feature in enumerate(ids):
        text = None
        if taxonomy is not None:
            text = taxonomy.lineages.get(feature)
        if text is None and metadata is not None:
            text = _metadata_lineage(metadata[k])
        if text is None and looks_taxonomic(feature):
            text = feature
        texts.append(text)
    missing = [f for f, t in zip(ids, texts, strict=True) if t is None]
    if missing:
        where = (
            "the taxonomy given beside it" if taxonomy is not None else "no taxonomy (no 'taxonomy' observation metadata)"
        )
        raise FormatError(
            f"{len(missing)} of {len(ids)} features (ids such as {missing[0]!r}) are not taxa and the table has "
            f"{where}: gutbalance needs the taxonomy of each feature — read the table together with its "
            "FeatureData[Taxonomy] .qza or taxonomy.tsv (for example gutbalance.read([table, taxonomy])), "
            "or use a table collapsed to taxa",
            path=path,
        )
    lineages = []
    for feature, text in zip(ids, texts, strict=True):
        try:
            lineages.append(label_lineage(text))
        except TaxonomyError as exc:
            raise FormatError(str(exc), path=path, field=feature) from None
    matrix = sp.csr_matrix(table.matrix_data, dtype=np.float64)
    _check_values(matrix, ids, samples, path)
    return profiles_from_matrix(lineages, matrix, samples, path=path, source_format=source_format, kind=kind)


def _check_values(matrix: sp.csr_matrix, ids: list[str], samples: list[str], path: Path) -> None:
    data = matrix.data
    bad = ~np.isfinite(data) | (data < 0)
    if not bad.any():
        return
    coo = matrix.tocoo()
    k = int(np.flatnonzero(~np.isfinite(coo.data) | (coo.data < 0))[0])
    value = coo.data[k]
    what = "NaN" if np.isnan(value) else ("infinite" if np.isinf(value) else f"negative ({value:g})")
    raise FormatError(f"feature {ids[coo.row[k]]!r}: value is {what}", path=path, field=samples[coo.col[k]])


def read(source: Source, *, taxonomy: FeatureTaxonomy | None = None) -> list[SampleProfile]:
    table = load_table(source)
    return profiles_from_table(table, path=source.path, source_format="biom", taxonomy=taxonomy)


# --- writing ---------------------------------------------------------------


def leaf_columns(cohort) -> np.ndarray:
    """Columns of the taxa none of whose children is in the cohort."""
    lineages = cohort.taxa["lineage"].astype(str).tolist()
    internal: set[str] = set()
    for lin in lineages:
        parts = lin.split("|")
        for depth in range(1, len(parts)):
            internal.add("|".join(parts[:depth]))
    return np.array([j for j, lin in enumerate(lineages) if lin not in internal], dtype=np.int64)


def build_table(cohort):
    """The cohort as a :class:`biom.Table` of leaf taxa (see the module docstring)."""
    from biom import Table

    from .table import unassigned_count

    leaves = leaf_columns(cohort)
    lineages = cohort.taxa["lineage"].astype(str).to_numpy()[leaves]
    use_counts = cohort.counts is not None
    source = cohort.counts if use_counts else cohort.X
    matrix = sp.csr_matrix(source, dtype=np.float64)[:, leaves].T.tocsr()
    ids = [lin.replace("|", ";") for lin in lineages]
    metadata = [{"taxonomy": lin.split("|")} for lin in lineages]
    unassigned = cohort.samples["unassigned"].to_numpy(dtype=float)
    if (unassigned > 0).any():
        if use_counts:
            counts = sp.csr_matrix(cohort.counts)
            row = np.array([unassigned_count(cohort, counts, i, u) for i, u in enumerate(unassigned)])
        else:
            row = unassigned
        matrix = sp.vstack([matrix, sp.csr_matrix(row.reshape(1, -1))]).tocsr()
        ids.append("Unassigned")
        metadata.append({"taxonomy": ["Unassigned"]})
    return Table(
        matrix,
        ids,
        cohort.sample_names,
        observation_metadata=metadata,
        table_id="written by gutbalance",
        type="OTU table",
    )


def hdf5_bytes(cohort) -> bytes:
    """The cohort as BIOM 2.1 (HDF5) bytes."""
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        build_table(cohort).to_hdf5(f, "gutbalance")
    return buffer.getvalue()


def write(cohort, path: Path) -> None:
    """BIOM 1.0 JSON for ``.json``, else BIOM 2.1 HDF5."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        data = build_table(cohort).to_json("gutbalance").encode("utf-8")
    else:
        data = hdf5_bytes(cohort)
    write_bytes_atomic(data, path)


register(
    Format(
        "biom",
        "a BIOM table (1.0 JSON or 2.1 HDF5)",
        sniff,
        read,
        write,
        extensions=(".biom", ".json"),
        priority=40,
        takes_taxonomy=True,
        diagnose=diagnose,
    )
)
