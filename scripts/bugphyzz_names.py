"""Taxon names of the bugphyzz 2024-02-19 export, repaired where the export
damaged them.

146 rows of ``COGEM_pathogenicity_rating.csv`` (and no other file) have every
"na" of the taxon name replaced by "Usually" (the spelled-out frequency
code): "PseudomoUsuallys mendociUsually" is *Pseudomonas mendocina*,
"AUsuallyerococcus prevotii" *Anaerococcus prevotii*, "Atopobium
vagiUsuallye" *Atopobium vaginae*.  "Usually" is in no valid name; undoing
the replacement gives the name back (its NCBI id, kept on the row, is that
name's: 1717 *Pseudomonas mendocina*).  Used by ``build_traits.py`` and
``build_lineage_table.py``.

>>> repair_name("PseudomoUsuallys mendociUsually")
'Pseudomonas mendocina'
>>> repair_name("Usuallyutilia profundicola")
'Nautilia profundicola'
>>> repair_name("Blautia obeum")
'Blautia obeum'
"""

from __future__ import annotations

_DAMAGE = "Usually"


def repair_name(name: str) -> str:
    """``name`` with the export's "na" -> "Usually" replacement undone."""
    if _DAMAGE not in name:
        return name
    repaired = name.replace(_DAMAGE, "na")
    return repaired[:1].upper() + repaired[1:]
