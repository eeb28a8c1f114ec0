"""Row-wise primitives over CSR matrices, the hot path of every index.

``np.add.reduceat`` over the CSR segments is about 5x faster than
``np.bincount(row, weights=...)`` and needs no row-index array.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def segment_sum(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Sum of ``values`` (aligned with a CSR matrix's data) within each row."""
    n = len(indptr) - 1
    out = np.zeros(n)
    if values.size == 0:
        return out
    nonempty = indptr[:-1] < indptr[1:]
    # Starts of non-empty rows are strictly increasing, and the empty rows
    # between two of them hold no values, so each reduceat segment is one row.
    out[nonempty] = np.add.reduceat(values, indptr[:-1][nonempty])
    return out


def per_entry(row_values: np.ndarray, matrix: sp.csr_matrix) -> np.ndarray:
    """Broadcast one value per row onto that row's stored entries."""
    return np.repeat(row_values, np.diff(matrix.indptr))


def columns(matrix: sp.csr_matrix, cols: np.ndarray) -> sp.csr_matrix:
    """The given columns of a CSR matrix, as CSR without explicit zeros."""
    sub = matrix[:, cols].tocsr()
    sub.eliminate_zeros()
    return sub


def indicator(n: int, cols: np.ndarray) -> np.ndarray:
    """A 0/1 vector of length ``n`` with ones at ``cols`` (for row sums by matvec)."""
    out = np.zeros(n)
    out[cols] = 1.0
    return out
