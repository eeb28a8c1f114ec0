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

The model itself travels as a ``clade``/``coefficient`` table too: the 95
non-zero coefficients of ``GMWI2_model.joblib``, as kept in the shared data
(``GMWI2_coefficients.tsv``, header ``taxon``) and in gutbalance
(``indices/data/gmwi2_coefficients.tsv``, ``#`` comment lines, then
``clade``).  Its negative coefficients made it "negative abundance"; it is
recognised by the same shape as the taxa list with a model's header and
named as the model.
"""

from __future__ import annotations

import math
import re

from ..registry import NotAProfile, register_not_a_profile
from ..source import Source, is_number

_CLADE = re.compile(r"^[a-z]__[^\t|]+(?:\|[a-z]__[^\t|]+)*$")


# The first header cell of the model's table, as it is written
# (the shared copy says "taxon", gutbalance's own "clade").
_MODEL_FIRST = {"taxon", "taxa", "clade", "clade_name", "feature"}


def _lines(source: Source, *, comments: bool = True) -> list[str]:
    lines = source.head_lines
    if not lines:
        return []
    return [ln for ln in lines if ln.strip() and (comments or not ln.startswith("#"))]


def _clade_rows(lines: list[str], width: int) -> bool:
    """Every line a MetaPhlAn clade and ``width - 1`` finite numbers."""
    if not lines:
        return False
    for line in lines:
        cells = line.split("\t")
        if len(cells) != width or not _CLADE.match(cells[0].strip()):
            return False
        if not all(is_number(c) and math.isfinite(float(c)) for c in cells[1:]):
            return False
    return True


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
    return _clade_rows(lines[1:], len(header))


def sniff_model(source: Source) -> bool:
    """The GMWI2 model's ``clade``/``coefficient`` table (``GMWI2_coefficients.tsv``),
    after any ``#`` comment lines."""
    lines = _lines(source, comments=False)
    if not lines:
        return False
    header = [cell.strip().lower() for cell in lines[0].split("\t")]
    if len(header) != 2 or header[0] not in _MODEL_FIRST or header[1] != "coefficient":
        return False
    return _clade_rows(lines[1:], 2)


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
register_not_a_profile(
    NotAProfile(
        "gmwi2-model",
        "a model's table of MetaPhlAn clades and their coefficients, as the GMWI2 model's 95 coefficients are kept "
        "(GMWI2_coefficients.tsv; Chang, Gupta et al. 2024, doi:10.1038/s41467-024-51651-9): its numbers are "
        "weights, not abundances; gutbalance applies GMWI2's coefficients itself to each MetaPhlAn profile "
        "(scores.tsv, gmwi2), so give the profiles",
        sniff_model,
    )
)
