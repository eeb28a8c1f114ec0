"""Reference populations, percentiles and change over time.

Each score is placed among the shipped healthy population (0-100); a score
the reference has no distribution for gets no column:

>>> import pandas as pd
>>> from gutbalance.reference import percentiles
>>> scores = pd.DataFrame({"shannon": [1.0, 3.5], "mine": [0.1, 0.2]}, index=pd.Index(["a", "b"], name="sample"))
>>> table = percentiles(scores)
>>> table.columns.tolist()
['shannon_percentile']
>>> bool(table.loc["a", "shannon_percentile"] < table.loc["b", "shannon_percentile"])
True

The cohort report's statistics (group tests, quantiles) are in
:mod:`gutbalance.reference.statistics`, imported where a report is made: it
loads ``scipy.stats`` (about 1.5 s of CPU), which scoring does not need.

See ``docs/reports.md`` for where the shipped healthy reference comes from.
"""

from .core import (
    PERCENTILE_SUFFIX,
    Distribution,
    Population,
    Reference,
    build_reference,
    cohort_kind,
    comparable_percentiles,
    default_reference_path,
    load_reference,
    merge_repeated_samples,
    percentiles,
    with_percentiles,
    with_percentiles_explained,
)
from .sample import SampleStatistics, sample_statistics
from .timeline import Timeline, subject_columns, subjects_from_metadata, subjects_from_names, timelines
from .variation import TechnicalVariation, technical_variation

__all__ = [
    "PERCENTILE_SUFFIX",
    "Distribution",
    "Population",
    "Reference",
    "SampleStatistics",
    "TechnicalVariation",
    "Timeline",
    "build_reference",
    "cohort_kind",
    "comparable_percentiles",
    "default_reference_path",
    "load_reference",
    "merge_repeated_samples",
    "percentiles",
    "sample_statistics",
    "subject_columns",
    "subjects_from_metadata",
    "subjects_from_names",
    "technical_variation",
    "timelines",
    "with_percentiles",
    "with_percentiles_explained",
]
