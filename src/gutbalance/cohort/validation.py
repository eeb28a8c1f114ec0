"""Checking a profile's values before it joins a cohort
(:func:`validate_profile`): unusable values refused with an error naming the
sample and taxon, suspicious ones (a total far from 100 %, a clade above its
parent) returned as warnings.
"""

from __future__ import annotations

import numpy as np

from ..clade_nesting import (
    NESTED_FORMATS,
    lost_rows_warnings,
    parent_rows,
    profile_nesting_warnings,
    rows_below,
    written_from_another_profiler,
    written_twice,
    written_twice_warning,
)
from ..errors import DataError
from ..taxonomy import lineage_string
from .model import SampleProfile
from .profile_placement import _reported_ids

# Tolerance on "sums to 100 %" before a warning: profilers round, and MetaPhlAn
# rounds each of several thousand rows to ~1e-5.
TOTAL_TOLERANCE = 0.02


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
        every_row = (lineages, values)
        if aside:
            # MetaPhlAn 4's clades under two lineages: warned about as such,
            # and the rows place_profile sets aside are not checked.
            found.append(written_twice_warning(where, profile.sample, named, len(aside)))
            keep = np.setdiff1d(np.arange(len(lineages)), aside)
            lineages = [lineages[i] for i in keep.tolist()]
            values = values[keep]
        # A file that names its MetaPhlAn (or sylph) database comes from a
        # profiler that writes every clade down to the species.
        kept = keep if aside else slice(None)
        # What lies beneath a row is judged over every row, as written: the
        # species of a clade written twice hang under its other lineage.
        # A MetaPhlAn-style file gutbalance wrote from another profiler's profile
        # nests like one, but its clades hold reads of their own (Kraken's genus
        # rows): nothing beneath them is lost (an outside check: a converted
        # Kraken report read as "15.66 % ... has no species row beneath it").
        if not written_from_another_profiler(profile.database):
            found += lost_rows_warnings(where, profile.sample, values,
                                        np.asarray(parent_rows(lineages), dtype=np.int64),
                                        lambda: rows_below(*every_row)[kept], lineages.__getitem__,
                                        expects_species=bool(profile.database))
        found += profile_nesting_warnings(where, profile.sample, lineages, values)
    return found


def total_warnings(where: str, sample: str, top: float, unassigned: float) -> list[str]:
    """The warning of :func:`validate_profile` about a total far from 100 %
    (``top``: the sum of the topmost reported clades, as a fraction), or none."""
    total = top + unassigned
    if not top > 0 and not unassigned > 0:
        return [
            f"{where}: sample {sample!r}: every abundance is 0 (an empty column?): it holds nothing to score, "
            "so its scores are missing"
        ]
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
