r"""How much a score varies when the same stool sample is measured again.

From replicate measurements of the same subjects (the Zeller et al. 2014
controls were sequenced in 2 to 16 runs each) we estimate, per score, the
*within-subject standard deviation* :math:`s_w` by one-way analysis of
variance (the residual mean square pools every subject's variance, each
weighted by its degrees of freedom):

.. math::

    s_w^2 = \frac{\sum_i \sum_j (x_{ij} - \bar x_i)^2}{\sum_i (n_i - 1)}

The difference between two measurements of the same unchanged sample has
standard deviation :math:`\sqrt 2 \, s_w`, so 95 % of such differences lie
within :math:`\pm 1.96 \sqrt 2 \, s_w \approx \pm 2.77 \, s_w`: the 95 % limits
of agreement of Bland and Altman (1986) for replicates, also called the
repeatability coefficient or *smallest real difference*.  A change between two
time points larger than that is unlikely to be measurement noise alone.

Caveats, stated in every report that uses these numbers: sequencing runs of
the same DNA library measure technical variation only (not day-to-day changes
of the gut, nor DNA extraction), so the smallest real difference is a lower
bound on what is "normal" variation; each run is shallower than the whole
sample, which makes it larger (conservative) for depth-sensitive scores such
as richness.

References
----------
Bland JM, Altman DG (1986) Statistical methods for assessing agreement between
two methods of clinical measurement. Lancet 1:307-310.
doi:10.1016/S0140-6736(86)90837-8
Bland JM, Altman DG (1996) Measurement error. BMJ 313:744.
doi:10.1136/bmj.313.7059.744
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError

#: 1.96 * sqrt(2): from the within-subject SD to the 95 % limit for a difference.
SRD_FACTOR = 1.96 * math.sqrt(2.0)

METHOD = (
    "Within-subject standard deviation from one-way ANOVA over repeated sequencing runs of the same sample; "
    "smallest real difference = 1.96 x sqrt(2) x s_w, the 95% limits of agreement for two measurements "
    "of an unchanged sample (Bland & Altman 1986, doi:10.1016/S0140-6736(86)90837-8; "
    "Bland & Altman 1996, doi:10.1136/bmj.313.7059.744)."
)
#: The same for repeats that are stool samples of one person taken on other
#: days: their spread holds the person's own day-to-day variation as well.
METHOD_SAMPLES = (
    "Within-subject standard deviation from one-way ANOVA over repeated stool samples of the same person, "
    "taken days to weeks apart; smallest real difference = 1.96 x sqrt(2) x s_w, the 95% limits of agreement "
    "for two samples of a person whose gut varied no more than these people's did from sample to sample "
    "(Bland & Altman 1986, doi:10.1016/S0140-6736(86)90837-8; Bland & Altman 1996, doi:10.1136/bmj.313.7059.744)."
)
#: What a reference person's repeated profiles are: ``runs`` of one sample
#: (technical variation only) or stool ``samples`` of other days.
REPEATS = {"runs": METHOD, "samples": METHOD_SAMPLES}


@dataclass(frozen=True)
class TechnicalVariation:
    """Repeatability of one score."""

    within_subject_sd: float
    smallest_real_difference: float
    n_subjects: int
    n_measurements: int
    method: str = METHOD
    #: ``runs`` (sequencing runs of one sample) or ``samples`` (stool samples of other days)
    repeats: str = "runs"

    def exceeds(self, delta: float) -> bool:
        """Is a change of ``delta`` larger than measurement variation?"""
        return bool(abs(delta) > self.smallest_real_difference)

    def to_json(self) -> dict[str, Any]:
        """The JSON form (numbers to 12 significant digits) :meth:`from_json` reads back."""
        return {
            "within_subject_sd": float(f"{self.within_subject_sd:.12g}"),
            "smallest_real_difference": float(f"{self.smallest_real_difference:.12g}"),
            "n_subjects": self.n_subjects,
            "n_measurements": self.n_measurements,
            "method": self.method,
            "repeats": self.repeats,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TechnicalVariation:
        """A TechnicalVariation from its JSON form (``method`` defaults to the current one)."""
        return cls(
            within_subject_sd=float(data["within_subject_sd"]),
            smallest_real_difference=float(data["smallest_real_difference"]),
            n_subjects=int(data["n_subjects"]),
            n_measurements=int(data["n_measurements"]),
            method=str(data.get("method", METHOD)),
            repeats=str(data.get("repeats", "runs")),
        )


def within_subject_sd(values: pd.Series, subjects: pd.Series) -> tuple[float, int, int]:
    """Pooled within-subject SD, the number of subjects with replicates and
    the number of measurements they contribute."""
    frame = pd.DataFrame({"value": values.to_numpy(dtype=float), "subject": subjects.to_numpy()})
    frame = frame[np.isfinite(frame["value"]) & frame["subject"].notna()]
    groups = frame.groupby("subject")["value"]
    n = groups.size()
    replicated = n[n >= 2].index
    frame = frame[frame["subject"].isin(replicated)]
    if frame.empty:
        raise DataError("technical variation needs at least one subject measured twice")
    centred = frame["value"] - frame.groupby("subject")["value"].transform("mean")
    df = int(len(frame) - len(replicated))
    sw = math.sqrt(float((centred**2).sum()) / df)
    return sw, len(replicated), len(frame)


def technical_variation(scores: pd.DataFrame, subjects: pd.Series, *, repeats: str = "runs") -> dict[str, TechnicalVariation]:
    """Technical variation of every numeric score column.

    Parameters
    ----------
    scores
        One row per measurement (sequencing run).
    subjects
        Subject of each row (same index as ``scores``).
    repeats
        What a subject's rows are (:data:`REPEATS`): ``runs`` of one sample,
        or stool ``samples`` of other days (then the variation includes the
        person's own, and the reports say so).
    """
    if repeats not in REPEATS:
        raise DataError(f"repeats must be one of {', '.join(REPEATS)}, not {repeats!r}")
    subjects = subjects.reindex(scores.index)
    out = {}
    for col in scores.columns:
        if not pd.api.types.is_numeric_dtype(scores[col]) or pd.api.types.is_bool_dtype(scores[col]):
            continue
        try:
            sw, n_subj, n_meas = within_subject_sd(scores[col], subjects)
        except DataError:
            continue
        out[str(col)] = TechnicalVariation(sw, SRD_FACTOR * sw, n_subj, n_meas, REPEATS[repeats], repeats)
    return out
