"""BIOM tables: 1.0 (JSON) and 2.1 (HDF5), through the biom-format library.

Observations are taxa and columns are samples.  How each observation gets its
lineage (a taxonomy given beside the table, the ``taxonomy`` observation
metadata, or the id itself, a bare name at the rank declared with
``feature_rank``), and how the table becomes profiles, is shared with QIIME 2
artifacts: see :mod:`gutbalance.io.biom_table`.

The writer writes BIOM 2.1 (HDF5) for ``.biom`` and BIOM 1.0 (JSON) for
``.json`` (values at full precision), the table
:func:`~gutbalance.io.biom_table.build_table` builds (each taxon's own
abundance per sample, lineages as ids and ``taxonomy`` metadata, an
``Unassigned`` row).
"""

from __future__ import annotations

from pathlib import Path

from ...atomic import write_bytes_atomic
from ...cohort import SampleProfile
from ...errors import FormatError
from ...lazy import lazy
from ..registry import Format, register
from ..source import Source
from ..taxonomy_file import FeatureTaxonomy

# The BIOM library and h5py (with libhdf5) are needed only once a BIOM table
# is recognised, read or written; recognising a JSON table takes its text
# alone.  So the shared module that uses them (:mod:`gutbalance.io.biom_table`)
# is named by dotted path and imported on first use (:mod:`gutbalance.lazy`):
# ``import gutbalance`` and a MetaPhlAn run never load it (docs/architecture.md).
hdf5_table = lazy("gutbalance.io.biom_table:hdf5_table")
load_table = lazy("gutbalance.io.biom_table:load_table")
profiles_from_table = lazy("gutbalance.io.biom_table:profiles_from_table")
declared_integers = lazy("gutbalance.io.biom_table:declared_integers")
build_table = lazy("gutbalance.io.biom_table:build_table")
json_text = lazy("gutbalance.io.biom_table:json_text")
hdf5_bytes = lazy("gutbalance.io.biom_table:hdf5_bytes")

_JSON_MARKERS = ('"format_url"', "biom-format.org", "Biological Observation Matrix", '"matrix_type"')


def sniff(source: Source) -> bool:
    """Whether ``source`` is a BIOM table (HDF5 parsed in a child process, JSON by its markers)."""
    if source.is_hdf5:
        kind, value = hdf5_table(source)
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
    kind, value = hdf5_table(source)
    if kind != "error":
        return None
    return FormatError(f"a corrupt or truncated HDF5 (BIOM 2.1) file: {value.message}", path=source.path)


def read(
    source: Source, *, taxonomy: FeatureTaxonomy | None = None, feature_rank: str | None = None
) -> list[SampleProfile]:
    """Sample profiles of a BIOM table; ``taxonomy`` names features (ASV ids)
    by lineage; ``feature_rank`` is the standard rank (checked by
    :func:`gutbalance.io.read_source`) of observation ids that are bare taxon
    names (``Bacteroides``: ``"genus"``)."""
    table = load_table(source)
    return profiles_from_table(
        table, path=source.path, source_format="biom", taxonomy=taxonomy, integers=declared_integers(source),
        feature_rank=feature_rank,
    )


# --- writing ---------------------------------------------------------------


def write(cohort, path: Path) -> None:
    """BIOM 1.0 JSON for ``.json``, else BIOM 2.1 HDF5."""
    path = Path(path)
    table = build_table(cohort)
    data = json_text(table).encode("utf-8") if path.suffix.lower() == ".json" else hdf5_bytes(table)
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
        takes_feature_rank=True,
        diagnose=diagnose,
    )
)
