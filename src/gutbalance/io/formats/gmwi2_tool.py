"""The GMWI2 tool's own outputs, which sit beside the MetaPhlAn profiles it
writes and are not profiles (Chang, Gupta et al. 2024, Nat Commun,
doi:10.1038/s41467-024-51651-9; github.com/danielchang2002/GMWI2).

For each sample the tool writes ``<sample>_metaphlan.txt`` (the profile),
``<sample>_GMWI2.txt`` (one number: the score) and ``<sample>_GMWI2_taxa.txt``
(the model's clades present in the sample, a tab-separated ``taxa_name``,
``coefficient`` table; an early version wrote an empty first header cell and
a ``relative_abundance`` column too).  A folder of its outputs is a common
input.  The generic table reader would read a taxa file whose coefficients
are all positive as a sample named ``coefficient``, and the score file is
nothing a profile reader knows; both are recognised here and reported
(``problems.tsv``) as what they are, never read.
"""

from __future__ import annotations

import math
import re

from ..registry import NotAProfile, register_not_a_profile
from ..source import Source, is_number

_CLADE = re.compile(r"^[a-z]__[^\t|]+(?:\|[a-z]__[^\t|]+)*$")


def _lines(source: Source) -> list[str]:
    lines = source.head_lines
    return [ln for ln in lines if ln.strip()] if lines else []


def sniff_score(source: Source) -> bool:
    """A text file holding one number and nothing else (``*_GMWI2.txt``)."""
    if len(source.data) > 64:
        return False
    lines = _lines(source)
    return len(lines) == 1 and is_number(lines[0].strip())


def sniff_taxa(source: Source) -> bool:
    """The tool's ``taxa_name``/``coefficient`` table of MetaPhlAn clades (``*_GMWI2_taxa.txt``)."""
    lines = _lines(source)
    if not lines:
        return False
    header = [cell.strip() for cell in lines[0].split("\t")]
    if header not in (["taxa_name", "coefficient"], ["", "coefficient", "relative_abundance"],
                      ["taxa_name", "coefficient", "relative_abundance"]):
        return False
    for line in lines[1:]:
        cells = line.split("\t")
        if len(cells) != len(header) or not _CLADE.match(cells[0].strip()):
            return False
        if not all(is_number(c) and math.isfinite(float(c)) for c in cells[1:]):
            return False
    return True


register_not_a_profile(
    NotAProfile(
        "gmwi2-score",
        "a single number, as the GMWI2 tool writes a sample's score (<sample>_GMWI2.txt); gutbalance computes "
        "GMWI2 itself from the MetaPhlAn profile beside it (<sample>_metaphlan.txt), which is the file to give",
        sniff_score,
    )
)
register_not_a_profile(
    NotAProfile(
        "gmwi2-taxa",
        "the GMWI2 tool's list of the model's clades found in a sample with their coefficients "
        "(<sample>_GMWI2_taxa.txt); gutbalance lists them itself (scores.json, gmwi2 taxa) from the MetaPhlAn "
        "profile beside it (<sample>_metaphlan.txt), which is the file to give",
        sniff_taxa,
    )
)
