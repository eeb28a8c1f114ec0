"""gutbalance: how well does a gut microbiome support the immune system?

Read any common taxonomic profile into one :class:`Cohort`, reproduce the
published gut health indices, and score the five ways a balanced gut supports
immunity.  Scores explain; they do not diagnose.
"""

from __future__ import annotations

from ._version import __version__
from .cohort import Cohort, SampleProfile, build_cohort, concat
from .errors import DataError, FormatError, GutBalanceError, GutBalanceWarning, UnrecognizedFormatError
from .example import example_path
from .io import read, read_batch, read_h5ad, read_metadata, write
from .scores import score

__all__ = [
    "Cohort",
    "DataError",
    "FormatError",
    "GutBalanceError",
    "GutBalanceWarning",
    "SampleProfile",
    "UnrecognizedFormatError",
    "__version__",
    "build_cohort",
    "concat",
    "example_path",
    "read",
    "read_batch",
    "read_h5ad",
    "read_metadata",
    "score",
    "write",
]
