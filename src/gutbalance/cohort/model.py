"""The data model: :class:`Cohort` (samples x taxa, with its views,
transforms and conversions), the :class:`SampleProfile` records readers
produce, and the operations on whole cohorts (:func:`concat`,
:func:`normalize_rows`, :func:`parent_links`).  The layout is described in
:mod:`gutbalance.cohort`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DataError, GutBalanceWarning
from ..taxonomy import RANK_INDEX, RANKS, Taxon
from ..taxonomy.placement import placed_with

Lineage = tuple[Taxon, ...]


@dataclass
class SampleProfile:
    """One sample as a reader found it, before harmonisation.

    ``abundance`` values are fractions of the sample total (0 to 1), aligned
    with ``lineages``.  ``counts`` are read counts where the input had them.
    Ancestors the input did not list are added by :func:`build_cohort`, as
    the sum of the reported clades beneath them.
    """

    sample: str
    lineages: list[Lineage]
    abundance: list[float]
    unassigned: float = 0.0
    counts: list[float] | None = None
    source_file: str = ""
    source_format: str = ""
    database: str = ""
    taxids: list[str] | None = None
    notes: list[str] = field(default_factory=list)
    #: Share of the classified abundance whose lineage reaches from a domain
    #: to a phylum once resolved (set by :func:`place_profile`).
    placed: float = float("nan")
    #: The profiler format (``metaphlan``, ``bracken``, ``motus``) whose
    #: estimated reads this sample had before a writer wrote its relative
    #: abundances instead, as the written file says; "" when it says nothing.
    counts_estimated_by: str = ""
    #: Set by the reader of a cohort gutbalance placed and saved (``.h5ad``):
    #: :func:`place_profile` keeps it as it is.  Placed again, a Kraken
    #: report's clades were summed in another order and came back up to
    #: 1.9e-14 off (an outside check).
    placed_before: bool = False
    #: Set by :func:`place_profile` when it placed the profile's taxa again
    #: (a lineage other than the table's, clades written under two lineages):
    #: its clades above the leaves are then sums over the placed tree, not the
    #: file's own rows, so a writer must not give them the file's names.
    placed_again: bool = False


class Cohort:
    """Samples x taxa abundances with lineages, metadata and provenance.

    Taxa are keyed by :func:`column_key`: the feature id, or for a taxon the
    lineage table does not know, its id with its parents
    (``f__Lachnospiraceae|g__Zzfoo``); ``taxa["name"]`` is the plain name.
    """

    __slots__ = ("X", "counts", "samples", "taxa")

    def __init__(
        self,
        X: sp.csr_matrix,
        *,
        samples: pd.DataFrame,
        taxa: pd.DataFrame,
        counts: sp.csr_matrix | None = None,
    ) -> None:
        X = sp.csr_matrix(X, dtype=np.float64)
        if X.shape != (len(samples), len(taxa)):
            raise DataError(f"matrix shape {X.shape} does not match {len(samples)} samples x {len(taxa)} taxa")
        if counts is not None:
            counts = sp.csr_matrix(counts, dtype=np.float64)
            if counts.shape != X.shape:
                raise DataError("counts and abundances differ in shape")
        if not samples.index.is_unique:
            dup = samples.index[samples.index.duplicated()].unique().tolist()
            raise DataError(f"duplicate sample names: {', '.join(map(str, dup[:5]))}")
        if not taxa.index.is_unique:
            raise DataError("duplicate taxon ids")
        self.X = X
        self.counts = counts
        self.samples = samples
        self.taxa = taxa

    # --- shape ---------------------------------------------------------

    @property
    def n_samples(self) -> int:
        """Number of samples (rows of ``X``)."""
        return self.X.shape[0]

    @property
    def all_counted(self) -> bool:
        """Every sample has read counts (a count table can be written)."""
        if self.counts is None:
            return False
        return "counted" not in self.samples or bool(self.samples["counted"].astype(bool).all())

    def counted_samples(self) -> np.ndarray:
        """Per sample: the input gave read counts."""
        if self.counts is None:
            return np.zeros(self.n_samples, dtype=bool)
        if "counted" not in self.samples:
            return np.ones(self.n_samples, dtype=bool)
        return self.samples["counted"].astype(bool).to_numpy()

    @property
    def n_taxa(self) -> int:
        """Number of taxa (columns of ``X``), every rank counted."""
        return self.X.shape[1]

    @property
    def sample_names(self) -> list[str]:
        """Sample names as strings, in row order."""
        return self.samples.index.astype(str).tolist()

    def __len__(self) -> int:
        return self.n_samples

    def __repr__(self) -> str:
        ranks = self.taxa["rank"].value_counts().reindex(RANKS).dropna().astype(int)
        parts = ", ".join(f"{r} {n}" for r, n in ranks.items())
        return f"Cohort({self.n_samples} samples x {self.n_taxa} taxa: {parts})"

    # --- views ---------------------------------------------------------

    def at_rank(
        self,
        rank: str,
        *,
        include_unclassified: bool = True,
        renormalize: bool = False,
    ) -> pd.DataFrame:
        """Abundances of the taxa at one rank as a dense DataFrame (samples x taxa).

        Parameters
        ----------
        rank
            A standard rank (``"species"``, ``"genus"``, ...).
        include_unclassified
            Keep placeholders such as ``Firmicutes unclassified``.
        renormalize
            Divide each sample by its total at this rank, so rows sum to 1
            (rows with nothing at this rank stay 0).
        """
        matrix, taxa = self.rank_matrix(rank, include_unclassified=include_unclassified, renormalize=renormalize)
        return pd.DataFrame(matrix.toarray(), index=self.samples.index, columns=taxa.index)

    def rank_matrix(
        self,
        rank: str,
        *,
        include_unclassified: bool = True,
        renormalize: bool = False,
    ) -> tuple[sp.csr_matrix, pd.DataFrame]:
        """Sparse version of :meth:`at_rank`: the matrix and its taxa rows."""
        if rank not in RANK_INDEX:
            raise DataError(f"unknown rank {rank!r}; use one of {', '.join(RANKS)}")
        mask = (self.taxa["rank"] == rank).to_numpy()
        if not include_unclassified:
            mask &= ~self.taxa["unclassified"].to_numpy(dtype=bool)
        cols = np.flatnonzero(mask)
        matrix = self.X[:, cols].tocsr()
        if renormalize:
            matrix = normalize_rows(matrix)
        return matrix, self.taxa.iloc[cols]

    def terminal_matrix(
        self,
        *,
        max_rank: str = "species",
        domains: Sequence[str] | None = None,
    ) -> tuple[sp.csr_matrix, pd.DataFrame]:
        """Each sample's abundance split over its most resolved taxa.

        A taxon's *own* abundance is its clade abundance minus that of its
        children (reads a profiler placed at genus but no species, say).  The
        own abundances of the taxa at ``max_rank`` and above partition what
        was classified, so they add up to 1 - unassigned without double
        counting, whatever ranks the input reported.

        Parameters
        ----------
        max_rank
            Deepest rank kept (strains fold into their species by default).
        domains
            Keep only these domains (for example ``("Bacteria", "Archaea")``)
            and taxa whose domain is not known.
        """
        depth = self.taxa["rank"].map(RANK_INDEX).to_numpy()
        keep = depth <= RANK_INDEX[max_rank]
        if domains is not None:
            # Taxa whose domain the input did not give (species-only tables)
            # are kept: only a known other domain is left out.
            domain = self.taxa["domain"].fillna("").astype(str)
            keep &= (domain.isin(list(domains)) | (domain == "")).to_numpy()
        cols = np.flatnonzero(keep)
        X = self.X[:, cols].tocsr()
        taxa = self.taxa.iloc[cols]
        own = (X - X @ parent_links(taxa)).tocsr()
        # Children reported above their parent by round-off give tiny negatives.
        own.data[own.data < 1e-12] = 0.0
        own.eliminate_zeros()
        return own, taxa

    def classified(self) -> np.ndarray:
        """Fraction of each sample assigned to a domain (1 - unassigned)."""
        return 1.0 - self.samples["unassigned"].to_numpy(dtype=float)

    # --- transforms (all return new objects) ---------------------------

    def subset(self, samples: Sequence[str] | np.ndarray | None = None) -> Cohort:
        """A new Cohort with only the given samples (names or boolean mask)."""
        if samples is None:
            return self
        idx = np.asarray(samples)
        if idx.dtype == bool:
            rows = np.flatnonzero(idx)
        else:
            pos = pd.Index(self.samples.index).get_indexer(idx)
            if (pos < 0).any():
                missing = [s for s, p in zip(idx, pos, strict=True) if p < 0]
                raise DataError(f"unknown samples: {', '.join(map(str, missing[:5]))}")
            rows = pos
        counts = None if self.counts is None else self.counts[rows]
        return Cohort(self.X[rows], samples=self.samples.iloc[rows].copy(), taxa=self.taxa, counts=counts)

    def with_metadata(self, metadata: pd.DataFrame, *, how: str = "left") -> Cohort:
        """Join sample metadata (indexed by sample name) onto ``samples``."""
        meta = metadata.copy()
        meta.index = meta.index.astype(str)
        clash = [c for c in meta.columns if c in self.samples.columns]
        if clash:
            meta = meta.drop(columns=clash)
            warnings.warn(
                f"metadata columns {', '.join(clash)} clash with built-in sample columns and were ignored",
                GutBalanceWarning,
                stacklevel=2,
            )
        joined = self.samples.join(meta, how="left")
        if how == "inner":
            missing = ~self.samples.index.isin(meta.index)
            if missing.any():
                names = ", ".join(self.samples.index[missing][:5])
                raise DataError(f"no metadata for samples: {names}")
        return Cohort(self.X, samples=joined, taxa=self.taxa, counts=self.counts)

    # --- conversion ----------------------------------------------------

    def to_anndata(self):  # -> anndata.AnnData
        """The Cohort as an :class:`anndata.AnnData` (samples as obs, taxa as var)."""
        # anndata (with h5py) takes longer to import than the rest of gutbalance: only
        # saving or converting a cohort needs it, not `import gutbalance` (measured in docs/architecture.md)
        import anndata as ad

        obs = self.samples.copy()
        obs.index = obs.index.astype(str)
        var = self.taxa.copy()
        layers = {} if self.counts is None else {"counts": self.counts}
        adata = ad.AnnData(X=self.X, obs=_strings_for_h5(obs), var=_strings_for_h5(var), layers=layers)
        # the tables it was placed with: read back under the same ones, it is kept as placed (io.formats.h5ad)
        adata.uns["gutbalance"] = {"model": "cohort", "version": 1, "placed_with": placed_with()}
        return adata

    @classmethod
    def from_anndata(cls, adata) -> Cohort:
        """A Cohort from an AnnData object written by :meth:`to_anndata`.

        Categorical ``obs``/``var`` columns (as AnnData stores strings) come back
        as plain object columns, and the ``counts`` layer, where present, as the
        read counts.
        """
        obs = adata.obs.copy()
        var = adata.var.copy()
        for frame in (obs, var):
            for col in frame.columns:
                if isinstance(frame[col].dtype, pd.CategoricalDtype):
                    frame[col] = frame[col].astype(object)
        if "unclassified" in var:
            var["unclassified"] = var["unclassified"].astype(bool)
        counts = adata.layers.get("counts", None)
        return cls(sp.csr_matrix(adata.X), samples=obs, taxa=var, counts=counts)

    def to_long(self) -> pd.DataFrame:
        """One row per non-zero (sample, taxon): sample, taxon, rank, abundance, counts."""
        coo = self.X.tocoo()
        frame = pd.DataFrame(
            {
                "sample": self.samples.index.to_numpy()[coo.row],
                "taxon": self.taxa.index.to_numpy()[coo.col],
                "rank": self.taxa["rank"].to_numpy()[coo.col],
                "abundance": coo.data,
            }
        )
        if self.counts is not None:
            frame["counts"] = np.asarray(self.counts[coo.row, coo.col]).ravel()
        return frame


def normalize_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Divide each row by its sum (rows summing to 0 stay 0)."""
    sums = np.asarray(matrix.sum(axis=1)).ravel()
    scale = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
    return sp.csr_matrix(sp.diags(scale) @ matrix)


def _strings_for_h5(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    return out


def parent_links(taxa: pd.DataFrame) -> sp.csr_matrix:
    """Taxa x taxa, 1 from each taxon to its parent among ``taxa``: ``M @ links``
    sums each taxon's children's columns of ``M`` into the parent's column."""
    pos = pd.Index(taxa.index).get_indexer(taxa["parent"].to_numpy())
    child = np.flatnonzero(pos >= 0)
    n = len(taxa)
    return sp.csr_matrix((np.ones(len(child)), (child, pos[child])), shape=(n, n))


def concat(cohorts: Sequence[Cohort]) -> Cohort:
    """Stack cohorts sample-wise, aligning taxa by id."""
    if not cohorts:
        raise DataError("nothing to concatenate")
    if len(cohorts) == 1:
        return cohorts[0]
    taxa = cohorts[0].taxa
    for c in cohorts[1:]:
        new = c.taxa.index.difference(taxa.index, sort=False)
        if len(new):
            taxa = pd.concat([taxa, c.taxa.loc[new]])
    pos = pd.Index(taxa.index)
    blocks, count_blocks = [], []
    for c in cohorts:
        cols = pos.get_indexer(c.taxa.index)
        perm = sp.csr_matrix(
            (np.ones(len(cols)), (np.arange(len(cols)), cols)), shape=(c.n_taxa, len(taxa))
        )
        blocks.append(c.X @ perm)
        count_blocks.append(None if c.counts is None else c.counts @ perm)
    counts = None
    frames = [c.samples for c in cohorts]
    if any(b is not None for b in count_blocks):
        counts = sp.vstack(
            [b if b is not None else sp.csr_matrix((c.n_samples, len(taxa))) for b, c in zip(count_blocks, cohorts, strict=True)]
        ).tocsr()
        frames = [c.samples.assign(counted=c.counted_samples()) for c in cohorts]
    samples = pd.concat(frames)
    return Cohort(sp.vstack(blocks).tocsr(), samples=samples, taxa=taxa, counts=counts)
