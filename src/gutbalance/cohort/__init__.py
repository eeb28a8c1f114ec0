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

This package is the public face; the work is done in its modules, one job
each: ``model`` (:class:`Cohort`, :class:`SampleProfile`, :func:`concat`),
``taxon_columns`` (which column a taxon is: :func:`column_key`),
``profile_placement`` (:func:`place_profile`: each taxon in the lineage it has
in any cohort; the batch reader's :data:`LINEAGES`), ``validation``
(:func:`validate_profile`) and ``build`` (:func:`build_cohort`,
:class:`CohortBuilder`).
"""

from __future__ import annotations

from ..errors import GutBalanceWarning as GutBalanceWarning
from .build import PROFILE_COLUMNS, CohortBuilder, build_cohort
from .model import Cohort, Lineage, SampleProfile, concat, normalize_rows, parent_links
from .profile_placement import LINEAGES, LineageCatalog, place_profile
from .profile_placement import _rebuild as _rebuild
from .profile_placement import _reported_ids as _reported_ids
from .taxon_columns import column_key, feature_id, feature_ids
from .validation import TOTAL_TOLERANCE, total_warnings, validate_profile

__all__ = [
    "LINEAGES",
    "PROFILE_COLUMNS",
    "TOTAL_TOLERANCE",
    "Cohort",
    "CohortBuilder",
    "Lineage",
    "LineageCatalog",
    "SampleProfile",
    "build_cohort",
    "column_key",
    "concat",
    "feature_id",
    "feature_ids",
    "normalize_rows",
    "parent_links",
    "place_profile",
    "total_warnings",
    "validate_profile",
]
