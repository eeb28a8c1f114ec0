"""Building a :class:`Cohort` from reader output: :func:`build_cohort` and
the :class:`CohortBuilder` it runs, one profile at a time or, for the batch
reader's fast path, many placed profiles at once as arrays.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DataError, GutBalanceWarning
from ..taxonomy import RANK_INDEX
from ..taxonomy.placement import lineage_table
from .model import Cohort, SampleProfile
from .profile_placement import LINEAGES, _complete_tree, place_profile
from .taxon_columns import _TaxonIndex, column_key, feature_ids
from .validation import validate_profile


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


def _text(raw: str | bytes) -> str:
    return raw.decode("ascii") if isinstance(raw, bytes) else raw


#: The columns of ``Cohort.samples`` that the profiles themselves give (the
#: rest is metadata joined onto them): what a metadata file cannot replace.
PROFILE_COLUMNS = ("unassigned", "placed", "source_file", "source_format", "database", "counts_estimated_by",
                   "counted", "placed_again")


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
        if profile.placed_again:
            # only where it happened, as above (the MetaPhlAn writer reads it)
            row["placed_again"] = True
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
        if "placed_again" in samples:
            samples["placed_again"] = samples["placed_again"].eq(True)  # NaN (not placed again) is False
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
