"""The one in-memory data model: a :class:`Cohort` of samples x taxa.

Every reader produces :class:`SampleProfile` records; :func:`build_cohort`
harmonises them into a Cohort.  Every analysis reads a Cohort.

Layout
------
``X``
    Sparse (CSR) samples x taxa, the *clade* abundance of each taxon as a
    fraction of everything sequenced in the sample (0 to 1).  Every ancestor of
    every reported taxon is a column too, so a genus column holds the whole
    genus whether the input reported it or only its species.  Sum over one rank,
    never over all columns.
``counts``
    The same shape with read counts for the samples whose input had them
    (``samples["counted"]``; the rows of the others are empty), else ``None``.
    :attr:`Cohort.all_counted` says whether every sample has counts, which a
    writer of count tables needs.
``samples``
    One row per sample: ``unassigned`` (fraction not assigned to any domain),
    ``counted`` (the input gave read counts; only when ``counts`` exists),
    ``placed`` (share of the classified abundance placed into a lineage from
    domain to phylum, see :func:`place_profile`), ``source_file``,
    ``source_format``, ``database``, ``counts_estimated_by`` (only when a
    sample has one: the profiler format whose estimated reads a file written
    from its profile stood for, ``metaphlan``; see
    :func:`gutbalance.io.registry.counts_estimated_by`), and metadata columns.
``taxa``
    One row per taxon, indexed by its column key (:func:`column_key`): the
    feature id (``s__Agathobacter rectalis``) for a taxon the lineage table
    knows or its name places; for one it does not, the ids from its nearest
    such ancestor down to it (``f__Lachnospiraceae|g__Zzfoo``), so the same
    unknown name under other parents is another column and no sample's row
    depends on the other inputs (docs/lineage-table.md).  Columns:
    ``rank``, ``name`` (current), ``original`` (as the input wrote it),
    ``unclassified``, ``lineage``, ``parent`` (the parent's column key) and one
    column per standard rank.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .clade_nesting import NESTED_FORMATS, profile_nesting_warnings, written_twice, written_twice_warning
from .errors import DataError, GutBalanceWarning
from .taxonomy import RANK_INDEX, RANKS, Taxon, lineage_string
from .taxonomy.placement import canonical_parent, is_placed, lineage_table, name_anchor, resolve_lineage

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


# Tolerance on "sums to 100 %" before a warning: profilers round, and MetaPhlAn
# rounds each of several thousand rows to ~1e-5.
TOTAL_TOLERANCE = 0.02


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
        adata.uns["gutbalance"] = {"model": "cohort", "version": 1}
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


# --- building a Cohort from reader output ----------------------------------

_TAXA_COLUMNS = ["rank", "name", "original", "unclassified", "lineage", "parent", "taxid", *RANKS]


def _is_anchored(node: Taxon, parents: dict[str, str]) -> bool:
    """Whether a taxon's ancestors are fixed whoever reports it: the lineage
    table knows it, or its name places it (``s__Bacteroides novelspecies``)."""
    return node.id in parents or bool(name_anchor(node))


#: Joins the ids of a column key (:func:`column_key`).
_KEY_SEP = "|"


@lru_cache(maxsize=1 << 16)
def column_key(lineage: Lineage) -> str:
    """The column of a (resolved) lineage's taxon in every cohort.

    A taxon whose ancestors are fixed by the lineage table (it is in the table,
    or its name places it) is keyed by its feature id, so its column is the
    same in every input.  A taxon the table does not know keeps the parents
    its input gave, and two inputs may give different ones: it is keyed by
    the ids from its nearest anchored ancestor down to itself, joined by
    ``|`` (``f__Lachnospiraceae|g__Zzfoo``, ``s__Faecalibacterium
    prausnitzii|t__SGB15318``; from the root when no ancestor is anchored), so
    the same name under other parents is another column and no sample's
    clade sums depend on what else is in the cohort.  The key is a function
    of the lineage alone; the last part is the feature id
    (:func:`feature_id`), and ``taxa["name"]`` is the plain name.

    >>> from gutbalance.taxonomy import parse_lineage
    >>> column_key(parse_lineage("k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Zzfoo"))
    'f__Lachnospiraceae|g__Zzfoo'
    >>> column_key(parse_lineage("s__Faecalibacterium_prausnitzii"))
    's__Faecalibacterium prausnitzii'
    """
    parents = lineage_table().parents
    leaf = lineage[-1]
    if len(lineage) == 1 or _is_anchored(leaf, parents):
        return leaf.id
    start = 0
    for depth in range(len(lineage) - 2, -1, -1):
        if _is_anchored(lineage[depth], parents):
            start = depth
            break
    return _KEY_SEP.join(t.id for t in lineage[start:])


def feature_id(key: str) -> str:
    """The feature id of a column key (:func:`column_key`): its last part.

    >>> feature_id("f__Lachnospiraceae|g__Zzfoo")
    'g__Zzfoo'
    """
    return key.rpartition(_KEY_SEP)[2]


def feature_ids(keys: Iterable[str]) -> np.ndarray:
    """:func:`feature_id` of each column key, as an object array."""
    return np.array([feature_id(k) for k in keys], dtype=object)


class _TaxonIndex:
    """Assigns each taxon a column by :func:`column_key`, with its lineage."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.rows: list[list] = []
        self.originals: list[set[str]] = []

    def column(self, lineage: Lineage, taxid: str = "") -> int:
        # Readers may pass a lineage of taxids ("2|1239|186801"); keep the taxon's own.
        taxid = taxid.rsplit("|", 1)[-1].strip() if taxid else ""
        leaf = lineage[-1]
        key = column_key(lineage)
        col = self.index.get(key)
        if col is None:
            col = len(self.rows)
            self.index[key] = col
            ranks = dict.fromkeys(RANKS, "")
            for t in lineage:
                ranks[t.rank] = t.name
            parent = column_key(lineage[:-1]) if len(lineage) > 1 else ""
            self.rows.append(
                [leaf.rank, leaf.name, leaf.original, leaf.unclassified, lineage_string(lineage), parent, taxid,
                 *ranks.values()]
            )
            self.originals.append({leaf.original})
        else:
            self.originals[col].add(leaf.original)
            if taxid and not self.rows[col][6]:
                self.rows[col][6] = taxid
        return col

    def frame(self) -> pd.DataFrame:
        for row, originals in zip(self.rows, self.originals, strict=True):
            if len(originals) > 1:
                row[2] = "; ".join(sorted(originals))
        frame = pd.DataFrame(self.rows, columns=_TAXA_COLUMNS, index=pd.Index(list(self.index), name="taxon"))
        frame["unclassified"] = frame["unclassified"].astype(bool)
        return frame


def _reported_ids(profile: SampleProfile) -> set[str]:
    """Ids of the taxa a profile reports (computed once per profile: both
    validation and tree completion need them)."""
    key = (id(profile.lineages), len(profile.lineages))
    cached = profile.__dict__.get("_reported_ids")
    if cached is None or cached[0] != key:
        cached = (key, {lin[-1].id for lin in profile.lineages})
        profile.__dict__["_reported_ids"] = cached
    return cached[1]


def _complete_tree(profile: SampleProfile) -> tuple[list[Lineage], list[float], list[float] | None]:
    """Add every unreported ancestor, summing the reported clades beneath it."""
    # Keyed by feature id (cheap to hash); a complete profile (MetaPhlAn,
    # Kraken) finds every parent at the first look and adds nothing.
    counts = profile.counts
    if profile.__dict__.get("_tree_complete"):
        return profile.lineages, profile.abundance, counts  # place_profile checked it
    reported = _reported_ids(profile)
    if all(len(lin) == 1 or lin[-2].id in reported for lin in profile.lineages):
        return profile.lineages, profile.abundance, counts  # already a complete tree
    extra: dict[str, list] = {}
    for i, lin in enumerate(profile.lineages):
        for depth in range(len(lin) - 1, 0, -1):
            parent = lin[depth - 1]
            if parent.id in reported:
                break
            slot = extra.get(parent.id)
            if slot is None:
                slot = extra[parent.id] = [lin[:depth], 0.0, 0.0]
            slot[1] += profile.abundance[i]
            if counts is not None:
                slot[2] += counts[i]
    if not extra:
        return profile.lineages, profile.abundance, counts
    lineages = list(profile.lineages) + [slot[0] for slot in extra.values()]
    abundance = list(profile.abundance) + [slot[1] for slot in extra.values()]
    new_counts = None if counts is None else list(counts) + [slot[2] for slot in extra.values()]
    return lineages, abundance, new_counts


def place_profile(profile: SampleProfile) -> SampleProfile:
    """The profile with every taxon in the lineage it has in any cohort.

    Each lineage is resolved against the bundled lineage table
    (:func:`gutbalance.taxonomy.placement.resolve_lineage`), so species-only
    and genus-only names get their full lineage and a taxon gets the same
    ancestors whatever file, format or batch it came from.  The reported
    abundances are first split into each taxon's *own* share (its clade minus
    the clades the input reported beneath it); the clade of every ancestor is
    then summed again over the resolved tree, in an order fixed by feature id.

    A profile that already lists every taxon under the parent the table gives
    it (MetaPhlAn 3, most Kraken reports) is returned as it is, with
    ``placed`` filled in.  The result depends on this profile alone.
    """
    lineages = profile.lineages
    if not lineages:
        return _with_placed(profile, float("nan"))
    if profile.source_format in NESTED_FORMATS:
        aside, _ = written_twice(lineages)
        if aside:
            # Clades MetaPhlAn 4 writes under two lineages: summed again from
            # the species rows beneath them (clade_nesting.written_twice).
            profile = _without_rows(profile, aside)
            lineages = profile.lineages
    reported = _reported_ids(profile)
    # Fast path: every parent is reported and is the parent the table gives.
    # This runs for every file of a cohort, so the verdict on each lineage is
    # cached by the lineage object (readers share them through parse_lineage's
    # cache); the entry keeps the object alive, so its id cannot be reused.
    cache = _ROW_VERDICTS
    cache_get = cache.get
    canonical = True
    total = placed = 0.0
    for lin, value in zip(lineages, profile.abundance, strict=True):
        hit = cache_get(id(lin))
        if hit is None or hit[0] is not lin:
            if len(cache) >= _ROW_VERDICTS_MAX:
                cache.clear()
            hit = cache[id(lin)] = (lin, *_row_verdict(lin))
        _, ok, parent, kind = hit
        if not ok or (parent and parent not in reported):
            canonical = False
            break
        if kind == 1:
            total += value
        elif kind == 2:
            placed += value
    if canonical:
        if profile.placed == profile.placed:
            # A reader that knows the share (h5ad: a cohort placed before) gave it.
            return _with_placed(profile, profile.placed)
        return _with_placed(profile, placed / total if total > 0 else float("nan"))
    return _rebuild(profile, reported)


_ROW_VERDICTS: dict[int, tuple] = {}
_ROW_VERDICTS_MAX = 1 << 18


def _without_rows(profile: SampleProfile, rows: Sequence[int]) -> SampleProfile:
    """A copy of ``profile`` without the rows ``rows``."""
    drop = set(rows)
    keep = [i for i in range(len(profile.lineages)) if i not in drop]
    out = _copy(profile)
    out.lineages = [profile.lineages[i] for i in keep]
    out.abundance = [profile.abundance[i] for i in keep]
    if profile.counts is not None:
        out.counts = [profile.counts[i] for i in keep]
    if profile.taxids:
        out.taxids = [profile.taxids[i] for i in keep]
    return out


def _row_verdict(lin: Lineage) -> tuple[bool, str, int]:
    """Whether a reported lineage already hangs where the lineage table puts
    it; the id of its parent ("" for a root); 1 for a root, 2 for a named
    phylum under a domain, else 0."""
    leaf = lin[-1]
    if len(lin) == 1:
        return canonical_parent(leaf, "") == "", "", 1
    parent = lin[-2].id
    return canonical_parent(leaf, parent) == parent, parent, 2 if len(lin) == 2 and is_placed(lin) else 0


def _text(raw: str | bytes) -> str:
    return raw.decode("ascii") if isinstance(raw, bytes) else raw


class LineageCatalog:
    """Lineages met by the batch reader's fast path, each under an integer
    code, with what placing and indexing a row of it needs, as arrays over
    the codes: the ids of its taxon, parent and root (as codes of
    :attr:`ids`; -1 for a root's parent), :func:`_row_verdict` (``ok``,
    ``kind``) and its column key in :meth:`CohortBuilder.add`.  Per process;
    :meth:`clear` only between batches (a builder holds codes)."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget every lineage (the caller holds no code)."""
        self.lineages: list[Lineage] = []
        self.keys: list[str] = []
        self.ids: dict[str, int] = {}
        self._facts: list[tuple[int, int, int, bool, int]] = []
        self._arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.lineages)

    def code(self, lin: Lineage) -> int:
        """A new code for ``lin`` (the caller keeps its own cache of texts)."""
        ids = self.ids
        leaf = lin[-1]
        ok, parent, kind = _row_verdict(lin)
        facts = (
            ids.setdefault(leaf.id, len(ids)),
            ids.setdefault(parent, len(ids)) if parent else -1,
            ids.setdefault(lin[0].id, len(ids)),
            ok,
            kind,
        )
        table = lineage_table().parents
        self.lineages.append(lin)
        self.keys.append(leaf.id if leaf.id in table else column_key(lin))
        self._facts.append(facts)
        self._arrays = None
        return len(self.lineages) - 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per code: taxon id, parent id (-1: none), root id, ok, kind."""
        if self._arrays is None:
            facts = np.array(self._facts, dtype=np.int64).reshape(len(self._facts), 5)
            leaf, parent, root, ok, kind = facts.T
            self._arrays = (leaf, parent, root, ok.astype(bool), kind.astype(np.int8))
        return self._arrays


#: The process's :class:`LineageCatalog`.
LINEAGES = LineageCatalog()


def _with_placed(profile: SampleProfile, placed: float) -> SampleProfile:
    out = _copy(profile)
    out.placed = placed if placed != placed else min(1.0, placed)  # NaN stays NaN
    out.__dict__["_tree_complete"] = True  # every parent checked as reported above
    return out


def _copy(profile: SampleProfile) -> SampleProfile:
    return SampleProfile(
        sample=profile.sample,
        lineages=profile.lineages,
        abundance=profile.abundance,
        unassigned=profile.unassigned,
        counts=profile.counts,
        source_file=profile.source_file,
        source_format=profile.source_format,
        database=profile.database,
        taxids=profile.taxids,
        notes=list(profile.notes),
        placed=profile.placed,
        counts_estimated_by=profile.counts_estimated_by,
    )


# How far the reported children of a clade may exceed it before the profile
# is read as per-rank estimates rather than one tree: MetaPhlAn rounds each
# of hundreds of rows to 1e-7 of the sample; mOTUs estimates each rank apart.
_TREE_EXCESS = 1e-4


_RESOLVED: dict[int, tuple] = {}


def _resolved_info(lin: Lineage) -> tuple[Lineage, tuple[tuple[str, Lineage], ...], bool]:
    """The resolved lineage, each of its clades with its own lineage, and
    whether it reaches a named phylum (cached by lineage object in _rebuild)."""
    resolved = resolve_lineage(lin)
    prefixes = tuple((resolved[d - 1].id, resolved[:d]) for d in range(1, len(resolved) + 1))
    return resolved, prefixes, is_placed(resolved)


def _rebuild(profile: SampleProfile, reported: set[str]) -> SampleProfile:
    """Own abundances, resolved lineages, clades summed again (see :func:`place_profile`)."""
    lineages = profile.lineages
    values = [float(v) for v in profile.abundance]
    # Keyed by the whole path of ids, not the leaf's: one input may use a name
    # under two parents (Greengenes' g__Clostridium in five families, SILVA's
    # g__uncultured in dozens), and those are different clades here.
    paths = [tuple(t.id for t in lin) for lin in lineages]
    position = {path: i for i, path in enumerate(paths)}
    own = list(values)
    counts = profile.counts
    own_counts = None if counts is None else [float(v) for v in counts]
    for i, path in enumerate(paths):
        # The nearest ancestor the input reported holds this clade too.
        for depth in range(len(path) - 1, 0, -1):
            j = position.get(path[:depth])
            if j is not None and j != i:
                own[j] -= values[i]
                if own_counts is not None and counts is not None:
                    own_counts[j] -= float(counts[i])
                break
    if min(own) < -_TREE_EXCESS:
        # Per-rank estimates (mOTUs, some CAMI profiles): a clade is not the
        # sum of what is reported beneath it.  Keep every reported value and
        # move each taxon to its resolved lineage.
        own, own_counts = values, None if counts is None else [float(v) for v in counts]
        leaves_only = False
    else:
        leaves_only = True
    written = {lin[-1].id: lin[-1] for lin in lineages}
    taxids = profile.taxids or []
    taxid_of = {lin[-1].id: taxids[i] for i, lin in enumerate(lineages) if i < len(taxids) and taxids[i]}
    # (leaf id, path of clade ids) -> [resolved info, abundance, count]
    leaves: dict[tuple[str, tuple[str, ...]], list] = {}
    for i, lin in enumerate(lineages):
        value = own[i]
        n = own_counts[i] if own_counts is not None else 0.0
        # Round-off: a parent reported a hair below its children.
        if value <= 1e-12 and n <= 0:
            continue
        value = max(value, 0.0)
        n = max(n, 0.0)
        info = _RESOLVED.get(id(lin))
        if info is None or info[0] is not lin:
            if len(_RESOLVED) >= _ROW_VERDICTS_MAX:
                _RESOLVED.clear()
            info = _RESOLVED[id(lin)] = (lin, *_resolved_info(lin))
        # The resolved leaf and its path: the same name under two resolved
        # parents stays two leaves; sorted by leaf id first, as ever.
        key = (info[1][-1].id, tuple(node_id for node_id, _ in info[2]))
        slot = leaves.get(key)
        if slot is None:
            leaves[key] = [info, value, n]
        else:
            slot[1] += value
            slot[2] += n
    out = _copy(profile)
    if not leaves_only:
        kept = [[leaves[k][0][1], *leaves[k][1:]] for k in sorted(leaves)]
        out.lineages = [slot[0] for slot in kept]
        out.abundance = [slot[1] for slot in kept]
        out.counts = None if own_counts is None else [slot[2] for slot in kept]
        out.taxids = [taxid_of.get(slot[0][-1].id, "") for slot in kept] if profile.taxids else None
        # Each rank is an estimate of the whole: placed = classified phyla
        # under a domain, as a share of the domains.
        total = sum(slot[1] for slot in kept if len(slot[0]) == 1 and slot[0][0].rank == "domain")
        placed = sum(slot[1] for slot in kept if len(slot[0]) == 2 and is_placed(slot[0]))
        out.placed = min(1.0, placed / total) if total > 0 else float("nan")
        return out
    clade: dict[tuple[str, ...], list] = {}  # path of clade ids -> [lineage, abundance, count]
    total = placed = 0.0
    clade_get = clade.get
    for key in sorted(leaves):
        (_, _, prefixes, is_placed_), value, n = leaves[key]
        total += value
        if is_placed_:
            placed += value
        for depth, (_, path) in enumerate(prefixes, start=1):
            node_key = key[1][:depth]
            slot = clade_get(node_key)
            if slot is None:
                clade[node_key] = [path, value, n]
            else:
                slot[1] += value
                slot[2] += n
    for node_key, slot in clade.items():
        # Keep the spelling this input used for the taxa it reported.
        taxon_written = written.get(node_key[-1])
        if taxon_written is not None and slot[0][-1] is not taxon_written:
            slot[0] = (*slot[0][:-1], taxon_written)
    out.lineages = [slot[0] for slot in clade.values()]
    out.abundance = [slot[1] for slot in clade.values()]
    out.counts = None if own_counts is None else [slot[2] for slot in clade.values()]
    out.taxids = [taxid_of.get(key[-1], "") for key in clade] if profile.taxids else None
    out.placed = placed / total if total > 0 else float("nan")
    out.__dict__["_tree_complete"] = True  # every ancestor of every leaf was emitted
    return out


def validate_profile(profile: SampleProfile) -> list[str]:
    """Refuse unusable values (NaN, negative, infinite, unassigned outside 0-1)
    with a :class:`DataError` naming the sample and taxon; return warnings
    about usable but suspicious ones (a total far from 100 %; in the formats
    whose clades hold their children, a clade above its parent:
    :mod:`gutbalance.clade_nesting`)."""
    values = np.asarray(profile.abundance, dtype=float)
    where = profile.source_file or profile.sample
    if np.isnan(values).any():
        bad = profile.lineages[int(np.flatnonzero(np.isnan(values))[0])]
        raise DataError(f"{where}: sample {profile.sample!r}: abundance of {lineage_string(bad, original=True)} is NaN")
    if (values < 0).any():
        i = int(np.flatnonzero(values < 0)[0])
        raise DataError(
            f"{where}: sample {profile.sample!r}: abundance of "
            f"{lineage_string(profile.lineages[i], original=True)} is negative ({values[i]})"
        )
    if not np.isfinite(values).all():
        raise DataError(f"{where}: sample {profile.sample!r}: infinite abundance")
    if not 0.0 <= profile.unassigned <= 1.0 + TOTAL_TOLERANCE:
        raise DataError(f"{where}: sample {profile.sample!r}: unassigned fraction {profile.unassigned} is outside 0-1")
    # Total over the topmost reported clades: those with no reported ancestor.
    reported = _reported_ids(profile)
    lineages = profile.lineages
    if all(lin[0].id in reported for lin in lineages):
        # Every lineage's root is reported (MetaPhlAn, Kraken, CAMI): the roots are the top.
        top = float(sum(v for lin, v in zip(lineages, values, strict=True) if len(lin) == 1))
    else:
        # Leaves only, or lineages that skip ranks: check every ancestor.
        top = float(
            sum(
                v
                for lin, v in zip(lineages, values, strict=True)
                if not any(t.id in reported for t in lin[:-1])
            )
        )
    found = total_warnings(where, profile.sample, top, profile.unassigned)
    if profile.source_format in NESTED_FORMATS:
        aside, named = written_twice(lineages)
        if aside:
            # MetaPhlAn 4's clades under two lineages: warned about as such,
            # and the rows place_profile sets aside are not checked.
            found.append(written_twice_warning(where, profile.sample, named, len(aside)))
            keep = np.setdiff1d(np.arange(len(lineages)), aside)
            lineages = [lineages[i] for i in keep.tolist()]
            values = values[keep]
        found += profile_nesting_warnings(where, profile.sample, lineages, values)
    return found


def total_warnings(where: str, sample: str, top: float, unassigned: float) -> list[str]:
    """The warning of :func:`validate_profile` about a total far from 100 %
    (``top``: the sum of the topmost reported clades, as a fraction), or none."""
    total = top + unassigned
    if top > 0 and abs(total - 1.0) > TOTAL_TOLERANCE:
        message = f"{where}: sample {sample!r}: abundances add up to {100 * total:.2f} % instead of 100 %"
        if abs(100 * total - 1.0) <= 100 * TOTAL_TOLERANCE:
            # Fractions (summing to 1) in a format that expects percent.
            message = (
                f"{where}: sample {sample!r}: abundances add up to 1, not 100: they look like fractions "
                "where the format expects percentages, so each was read 100 times too small (GMWI2's detection "
                "limit, for one, then misses taxa); write them as percentages"
            )
        return [message]
    return []


def build_cohort(profiles: Iterable[SampleProfile], *, validate: bool = True) -> Cohort:
    """Harmonise reader output into one :class:`Cohort`.

    Duplicate sample names are refused; taxa that different inputs name
    differently but that are the same after normalisation and synonyms are
    summed into one column, with every original spelling kept.

    ``validate=False`` skips :func:`validate_profile` for profiles the caller
    has already validated (the batch reader does it file by file).

    Every ancestor of a reported taxon becomes a column holding its whole
    clade, so a genus is the sum of its species even when only species were
    reported:

    >>> from gutbalance.taxonomy import parse_lineage
    >>> species = ["s__Bacteroides_fragilis", "s__Bacteroides_uniformis", "s__Faecalibacterium_prausnitzii"]
    >>> cohort = build_cohort([SampleProfile("a", [parse_lineage(s) for s in species], [0.3, 0.2, 0.5])])
    >>> cohort
    Cohort(1 samples x 14 taxa: domain 1, phylum 2, class 2, order 2, family 2, genus 2, species 3)
    >>> cohort.at_rank("genus").round(4).loc["a"].to_dict()
    {'g__Bacteroides': 0.5, 'g__Faecalibacterium': 0.5}
    """
    builder = CohortBuilder()
    for profile in profiles:
        builder.check_name(profile)
        if validate:
            for message in validate_profile(profile):
                warnings.warn(message, GutBalanceWarning, stacklevel=2)
        builder.add(profile)
    return builder.cohort()


class CohortBuilder:
    """:func:`build_cohort` one profile, or one block of placed rows, at a time.

    ``add`` places a profile and gives each of its taxa a column;
    ``add_placed`` takes many canonical profiles at once as arrays (the batch
    reader's fast path for plain MetaPhlAn files, :func:`gutbalance.io.formats.metaphlan.scan`)
    and makes exactly the matrix entries and taxa rows ``add`` would have made
    for them in the same order; ``cohort`` forms the Cohort.
    """

    def __init__(self) -> None:
        self.index = _TaxonIndex()
        self.table = lineage_table().parents
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.cnts: list[np.ndarray] = []
        self.counted: list[bool] = []
        self.any_counts = False
        self.sample_rows: list[dict] = []
        self.seen_samples: dict[str, str] = {}
        #: Column of each LINEAGES code met in add_placed (-1: not yet).
        self._code_column = np.zeros(0, dtype=np.int64)

    def check_name(self, profile: SampleProfile) -> None:
        """Refuse a sample name met before in this cohort."""
        if profile.sample in self.seen_samples:
            raise DataError(
                f"duplicate sample name {profile.sample!r} in {profile.source_file or '?'}"
                f" (also in {self.seen_samples[profile.sample] or '?'})"
            )
        self.seen_samples[profile.sample] = profile.source_file

    def add(self, profile: SampleProfile) -> None:
        """Place one profile (its name checked already) and index its taxa."""
        index, table = self.index, self.table
        r = len(self.sample_rows)
        # Taxonomy is resolved per profile, before any cohort is formed, so no
        # other file in the run can change this sample's lineages.
        profile = place_profile(profile)
        lineages, abundance, counts = _complete_tree(profile)
        taxids = profile.taxids or []
        n_taxids = len(taxids)
        known, originals, rows_ = index.index, index.originals, index.rows
        col_list = []
        for i, lin in enumerate(lineages):
            leaf = lin[-1]
            # Most taxa are in the lineage table: their key is their id.
            column = known.get(leaf.id if leaf.id in table else column_key(lin))
            taxid = taxids[i] if i < n_taxids else ""
            if column is None:
                column = index.column(lin, taxid)
            else:  # the common case, kept cheap: a taxon seen before
                if leaf.original not in originals[column]:
                    originals[column].add(leaf.original)
                if taxid and not rows_[column][6]:
                    rows_[column][6] = taxid.rsplit("|", 1)[-1].strip()
            col_list.append(column)
        c = np.asarray(col_list, dtype=np.int64)
        self.rows.append(np.full(len(c), r, dtype=np.int64))
        self.cols.append(c)
        self.vals.append(np.asarray(abundance, dtype=np.float64))
        if counts is not None:
            self.any_counts = True
            self.cnts.append(np.asarray(counts, dtype=np.float64))
        else:
            self.cnts.append(np.full(len(c), np.nan))
        self.counted.append(counts is not None)
        row = {
            "sample": profile.sample,
            "unassigned": float(profile.unassigned),
            "placed": float(profile.placed),
            "source_file": profile.source_file,
            "source_format": profile.source_format,
            "database": profile.database,
        }
        if profile.counts_estimated_by:
            # Only where a file says so: the samples table of every other cohort is unchanged.
            row["counts_estimated_by"] = profile.counts_estimated_by
        self.sample_rows.append(row)

    def add_placed(
        self,
        samples: list[dict],
        lengths: np.ndarray,
        codes: np.ndarray,
        values: np.ndarray,
        taxids: Sequence[str | bytes],
        taxid_rows: np.ndarray,
        given: np.ndarray | None,
    ) -> None:
        """Many canonical profiles at once, names checked already: ``samples``
        their rows of ``Cohort.samples`` (``placed`` computed as
        :func:`place_profile` does), ``lengths`` their numbers of rows,
        ``codes`` the :data:`LINEAGES` code of each row (every parent reported
        and where the lineage table puts it), ``values`` the fractions; the
        raw taxid of row ``i`` is ``taxids[taxid_rows[i]]`` (text or ASCII
        bytes as the reader cut it; empty for none),
        and ``given`` says per entry of ``taxids`` whether it is not empty
        (None: none is)."""
        index = self.index
        catalog = LINEAGES
        if len(self._code_column) < len(catalog.lineages):
            grown = np.full(len(catalog.lineages), -1, dtype=np.int64)
            grown[: len(self._code_column)] = self._code_column
            self._code_column = grown
        code_column = self._code_column
        distinct, first = np.unique(codes, return_index=True)
        new = code_column[distinct] < 0
        if new.any():
            # In order of first appearance, as add() would meet them: the first
            # row of a taxon makes its taxa row (lineage, spelling, taxid).
            order = np.argsort(first[new], kind="stable")
            known, originals = index.index, index.originals
            for code, at in zip(distinct[new][order].tolist(), first[new][order].tolist(), strict=True):
                lin = catalog.lineages[code]
                column = known.get(catalog.keys[code])
                if column is None:
                    column = index.column(lin, _text(taxids[taxid_rows[at]]))
                else:
                    originals[column].add(lin[-1].original)
                code_column[code] = column
        cols = code_column[codes]
        if given is not None:
            # A taxon keeps the first non-empty taxid met (add() fills an empty one).
            rows_ = index.rows
            with_taxid = np.flatnonzero(given[taxid_rows])
            empty = [c for c in np.unique(cols[with_taxid]).tolist() if not rows_[c][6]]
            if empty:
                for i in with_taxid[np.isin(cols[with_taxid], empty)].tolist():
                    row = rows_[int(cols[i])]
                    if not row[6]:
                        row[6] = _text(taxids[int(taxid_rows[i])]).rsplit("|", 1)[-1].strip()
        r0 = len(self.sample_rows)
        self.rows.append(np.repeat(np.arange(r0, r0 + len(samples), dtype=np.int64), lengths))
        self.cols.append(cols.astype(np.int64, copy=False))
        self.vals.append(np.asarray(values, dtype=np.float64))
        self.cnts.append(np.full(len(cols), np.nan))
        self.counted.extend([False] * len(samples))
        self.sample_rows.extend(samples)

    def cohort(self) -> Cohort:
        """The Cohort of everything added."""
        index, sample_rows, counted = self.index, self.sample_rows, self.counted
        if not sample_rows:
            raise DataError("no samples to build a cohort from")
        n, m = len(sample_rows), len(index.rows)
        row = np.concatenate(self.rows)
        col = np.concatenate(self.cols)
        # Same taxon twice in one sample (GTDB's Firmicutes_A and Firmicutes_C, or
        # an old and a new name): coo -> csr sums duplicates, which is what we want.
        X = sp.coo_matrix((np.concatenate(self.vals), (row, col)), shape=(n, m)).tocsr()
        X.sum_duplicates()
        counts_matrix = None
        samples = pd.DataFrame(sample_rows).set_index("sample")
        if "counts_estimated_by" in samples:
            samples["counts_estimated_by"] = samples["counts_estimated_by"].fillna("").astype(str)
        if self.any_counts:
            # Counts of the samples that have them; the rows of the others stay
            # empty and ``counted`` says which is which, so a sample's chao1 does
            # not depend on whether the run mixed in relative profiles.
            cvals = np.concatenate(self.cnts)
            counted_entries = ~np.isnan(cvals)
            counts_matrix = sp.coo_matrix(
                (cvals[counted_entries], (row[counted_entries], col[counted_entries])), shape=(n, m)
            ).tocsr()
            counts_matrix.sum_duplicates()
            samples["counted"] = counted
        samples.index = samples.index.astype(str)
        # Columns in a canonical order (rank, feature id, column key), whatever
        # order the inputs came in: each sample's sums then run over its taxa in
        # the same order in any cohort, so a sample's scores are bit-identical
        # however a batch is cut.  Feature id before key keeps an unknown taxon
        # where its id sorts, as before keys held parents: the same sums, bit for bit.
        taxa = index.frame()
        keys = taxa.index.to_numpy(dtype=str)
        order = np.lexsort((keys, feature_ids(keys).astype(str), taxa["rank"].map(RANK_INDEX).to_numpy()))
        taxa = taxa.iloc[order]
        X = X[:, order].tocsr()
        X.sort_indices()
        if counts_matrix is not None:
            counts_matrix = counts_matrix[:, order].tocsr()
            counts_matrix.sort_indices()
        return Cohort(X, samples=samples, taxa=taxa, counts=counts_matrix)


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

