"""Text writers shared by several formats (MetaPhlAn-style lineages)."""

from __future__ import annotations

import numpy as np

from ..taxonomy import RANK_INDEX


def _order(cohort, row: np.ndarray, values: np.ndarray) -> np.ndarray:
    depth = cohort.taxa["rank"].map(RANK_INDEX).to_numpy()[row]
    return np.lexsort((-values, depth))


def metaphlan_lines(cohort, i: int) -> list[str]:
    """One sample as a MetaPhlAn 3 profile (percentages, full precision)."""
    sample = cohort.samples.iloc[i]
    db = str(sample.get("database") or "") or "mpa_unknown_written_by_gutbalance"
    out = [
        f"#{db}",
        "#written by gutbalance",
        f"#SampleID\t{cohort.sample_names[i]}",
        "#clade_name\tNCBI_tax_id\trelative_abundance\tadditional_species",
    ]
    unassigned = float(sample["unassigned"])
    if unassigned > 0:
        out.append(f"UNKNOWN\t-1\t{100.0 * unassigned!r}\t")
    start, end = cohort.X.indptr[i], cohort.X.indptr[i + 1]
    cols = cohort.X.indices[start:end]
    vals = cohort.X.data[start:end]
    lineage = cohort.taxa["lineage"].to_numpy()
    taxid = cohort.taxa["taxid"].to_numpy()
    for k in _order(cohort, cols, vals):
        if vals[k] > 0:
            out.append(f"{lineage[cols[k]]}\t{taxid[cols[k]] or ''}\t{100.0 * float(vals[k])!r}\t")
    return out


def metaphlan_merged_lines(cohort) -> list[str]:
    """All samples as one merged MetaPhlAn table."""
    X = cohort.X.tocsc()
    lineage = cohort.taxa["lineage"].to_numpy()
    depth = cohort.taxa["rank"].map(RANK_INDEX).to_numpy()
    order = np.lexsort((lineage, depth))
    dense_unknown = 100.0 * cohort.samples["unassigned"].to_numpy(dtype=float)
    out = ["#mpa_written_by_gutbalance", "clade_name\t" + "\t".join(cohort.sample_names)]
    if (dense_unknown > 0).any():
        out.append("UNKNOWN\t" + "\t".join(repr(float(v)) for v in dense_unknown))
    for j in order:
        column = np.zeros(cohort.n_samples)
        start, end = X.indptr[j], X.indptr[j + 1]
        column[X.indices[start:end]] = X.data[start:end]
        if not column.any():
            continue
        out.append(lineage[j] + "\t" + "\t".join(repr(100.0 * float(v)) for v in column))
    return out
