"""A Cohort saved as AnnData (``.h5ad``): what ``gutbalance convert`` and
``analyze`` write as ``cohort.h5ad``.

``obs`` holds the samples table, ``var`` the taxa table (``rank``, ``name``,
``original``, ``unclassified``, ``parent``...), ``X`` the clade abundances and
the ``counts`` layer the read counts.  Read through the format registry, each
sample comes back as the clades it had, with lineages rebuilt from the
``parent`` column (not re-parsed from text, so a lineage with a gap stays as
it was written), and scores are those of the cohort that was saved.
:func:`gutbalance.read_h5ad` reads the whole Cohort, metadata columns
included.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ...atomic import write_atomic
from ...cohort import Cohort, SampleProfile
from ...errors import FormatError
from ...taxonomy import RANK_INDEX, Taxon
from ...taxonomy.placement import placed_with
from ..isolate import run_isolated
from ..registry import Format, register
from ..source import Source

_REQUIRED_VAR = ("rank", "name", "parent")


def _anndata() -> Any:
    """The anndata module, imported on first use.

    The one in-function import of io/ that is not an optional dependency, on
    purpose: anndata takes over a second to import, as long as the rest of
    gutbalance, and only ``.h5ad`` files need it (every CLI call and pipeline
    worker would pay it otherwise).
    """
    import anndata  # deferred for its import time: see the docstring

    return anndata


def _parse(data: bytes) -> dict[str, Any] | None:
    """The AnnData parts gutbalance needs, or None for HDF5 that is not a
    saved Cohort.  Runs in a child process (libhdf5 may crash on corrupt files)."""
    read_elem = _anndata().io.read_elem
    # h5py with libhdf5 takes longer to import than any other module of a
    # MetaPhlAn run; here anndata (just imported) has loaded it already, so
    # this costs nothing, and at the top of io/ it would cost every process.
    import h5py
    with h5py.File(io.BytesIO(data), "r") as f:
        if not {"X", "obs", "var"} <= set(f.keys()):
            return None
        var = read_elem(f["var"])
        if not all(c in var.columns for c in _REQUIRED_VAR):
            return None
        adata = read_elem(f)
    counts = adata.layers.get("counts", None)
    saved = adata.uns.get("gutbalance", {})
    return {
        "placed_with": str(saved.get("placed_with", "")) if isinstance(saved, Mapping) else "",
        "X": sp.csr_matrix(adata.X),
        "obs": pd.DataFrame(adata.obs),
        "var": pd.DataFrame(adata.var),
        "counts": None if counts is None else sp.csr_matrix(counts),
    }


def _load(source: Source) -> Cohort | None | FormatError:
    """The saved Cohort, None for HDF5 that is not one, or the error to raise."""
    ad = _anndata()  # imported before forking, so the child does not import it again
    try:
        parts = run_isolated(_parse, source.data, path=source.path, what="h5ad file")
        if parts is None:
            return None
        adata = ad.AnnData(X=parts["X"], obs=parts["obs"], var=parts["var"])
        if parts["counts"] is not None:
            adata.layers["counts"] = parts["counts"]
        source.__dict__["_h5ad_placed_with"] = parts["placed_with"]
        return Cohort.from_anndata(adata)
    except FormatError as exc:
        return exc
    except Exception as exc:  # h5py and anndata raise KeyError, TypeError, ValueError, OSError, ...
        detail = str(exc).strip() or type(exc).__name__
        return FormatError(f"not a readable h5ad file ({detail})", path=source.path)


def _cohort(source: Source) -> Cohort | None:
    """:func:`_load`, once per source (the sniffer and the reader both ask)."""
    if "_h5ad" not in source.__dict__:
        source.__dict__["_h5ad"] = _load(source)
    found = source.__dict__["_h5ad"]
    if isinstance(found, FormatError):
        raise found
    return found


def sniff(source: Source) -> bool:
    """Whether ``source`` is HDF5 holding a saved Cohort (parsed in a child process)."""
    if not source.is_hdf5:
        return False
    try:
        return _cohort(source) is not None
    except FormatError:
        return False


def _lineages(taxa: pd.DataFrame, path: Path) -> list[tuple[Taxon, ...]]:
    """Each taxon's lineage, following ``parent`` up to the root."""
    position = {t: i for i, t in enumerate(taxa.index)}
    ranks = taxa["rank"].astype(str).to_numpy()
    names = taxa["name"].astype(str).to_numpy()
    originals = taxa["original"].astype(str).to_numpy() if "original" in taxa else names
    unclassified = (
        taxa["unclassified"].astype(bool).to_numpy() if "unclassified" in taxa else np.zeros(len(taxa), dtype=bool)
    )
    parents = taxa["parent"].fillna("").astype(str).to_numpy()
    nodes = []
    for i in range(len(taxa)):
        if ranks[i] not in RANK_INDEX:
            raise FormatError(f"taxon {taxa.index[i]!r} has an unknown rank {ranks[i]!r}", path=path, field="var/rank")
        # "; "-joined spellings of several inputs: keep the first as the written one.
        nodes.append(Taxon(ranks[i], names[i], originals[i].split("; ", 1)[0], bool(unclassified[i])))
    out: list[tuple[Taxon, ...] | None] = [None] * len(taxa)

    def lineage(i: int) -> tuple[Taxon, ...]:
        chain = []
        j: int | None = i
        while j is not None and out[j] is None:
            chain.append(j)
            if len(chain) > len(RANK_INDEX):
                raise FormatError(f"taxon {taxa.index[i]!r}: its parents form a cycle", path=path, field="var/parent")
            parent = parents[j]
            j = position.get(parent) if parent else None
        head: tuple[Taxon, ...] = () if j is None else out[j]  # type: ignore[assignment]
        for k in reversed(chain):
            head = (*head, nodes[k])
            out[k] = head
        return out[i]  # type: ignore[return-value]

    return [lineage(i) for i in range(len(taxa))]


def _true(value: object) -> bool:
    """A saved flag: True (a bool of Python or NumPy), or the text "True" (a
    column of mixed values is saved as text)."""
    return str(value) == "True"


def read(source: Source) -> list[SampleProfile]:
    """Each sample of a saved Cohort as the clades it had (lineages rebuilt from ``parent``)."""
    cohort = _cohort(source)
    if cohort is None:
        raise FormatError("an HDF5 file, but not a Cohort saved by gutbalance (.h5ad)", path=source.path)
    lineages = _lineages(cohort.taxa, source.path)
    # saved under the tables of this version: kept as placed, so it reads back bit
    # for bit (placed again, a Kraken report's clade sums moved by 1.9e-14); not
    # when its taxa no longer form the saved tree (a parent missing: an AnnData
    # cut to its species in scanpy keeps the stamp; an outside review)
    taxa = cohort.taxa
    closed = bool(taxa["parent"].fillna("").astype(str).map(lambda p: p == "" or p in taxa.index).all())
    stamped = source.__dict__.get("_h5ad_placed_with", "")
    placed_now = closed and stamped == placed_with()
    samples = cohort.samples
    X = cohort.X.tocsr()
    counts = None if cohort.counts is None else cohort.counts.tocsr()
    counted = cohort.counted_samples()
    taxids = cohort.taxa["taxid"].fillna("").astype(str).to_numpy() if "taxid" in cohort.taxa else None

    def column(name: str, default: object) -> list:
        return samples[name].tolist() if name in samples else [default] * len(samples)

    unassigned = column("unassigned", 0.0)
    placed = column("placed", float("nan"))
    files, fmts, dbs = column("source_file", ""), column("source_format", ""), column("database", "")
    estimated = column("counts_estimated_by", "")
    # a file of an earlier version (no stamp) does not say which samples were placed
    # again: taken as all, so the MetaPhlAn writer keeps their current names
    again = [_true(v) or not stamped for v in column("placed_again", False)]
    out = []
    for r, sample in enumerate(samples.index.astype(str)):
        cols = X.indices[X.indptr[r] : X.indptr[r + 1]]
        values = X.data[X.indptr[r] : X.indptr[r + 1]]
        row_counts = None
        if counts is not None and counted[r]:
            row_counts = np.asarray(counts[r, cols].todense()).ravel().tolist()
        out.append(
            SampleProfile(
                sample=sample,
                lineages=[lineages[c] for c in cols],
                abundance=values.tolist(),
                unassigned=float(unassigned[r]),
                counts=row_counts,
                source_file=str(files[r] or source.path),
                source_format=str(fmts[r] or "h5ad"),
                database=str(dbs[r] or ""),
                taxids=None if taxids is None else [taxids[c] for c in cols],
                placed=float(placed[r]),
                counts_estimated_by=str(estimated[r] or "") if estimated[r] == estimated[r] else "",  # NaN: none
                placed_before=placed_now,
                placed_again=again[r],
            )
        )
    return out


def read_cohort(path: str | PathLike[str]) -> Cohort:
    """The whole Cohort saved in ``path``, metadata columns included (what
    :func:`gutbalance.read_h5ad` returns)."""
    try:
        adata = _anndata().read_h5ad(path)
    except (OSError, KeyError, ValueError) as exc:
        raise FormatError(f"not a readable h5ad file ({exc})", path=path) from None
    return Cohort.from_anndata(adata)


def write(cohort: Cohort, path: Path) -> None:
    """Write the Cohort losslessly as AnnData."""
    adata = cohort.to_anndata()
    write_atomic(path, adata.write_h5ad, suffix=".h5ad")


register(
    Format(
        "h5ad",
        "a Cohort saved as AnnData (.h5ad)",
        sniff,
        read,
        write,
        extensions=(".h5ad",),
        priority=40,
    )
)
