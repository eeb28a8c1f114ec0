"""Feature tables, whatever the file: BIOM, QIIME 2 and generic CSV/TSV
tables all end as a features x samples matrix with a label per feature, and
this module turns that into sample profiles (collapsing features onto
lineages, hierarchical or exclusive rows, counts versus relative abundance).

What a label is
---------------
A lineage written the Greengenes (``k__A; p__B``), SILVA/GTDB (``d__A;p__B``),
MetaPhlAn (``k__A|p__B``) or plain (``Bacteria;Firmicutes``) way, a binomial
species name (``Bacteroides fragilis``), or a name whose rank the caller
knows (a column headed ``genus``, or the rank the user declared for bare
names: ``feature_rank="genus"``, ``--feature-rank genus``).  A declared rank
is never guessed from the name or the knowledge base, and applies only to
names whose rank nothing else tells: lineages, binomials and a column's
header keep theirs.  SILVA's genus labels (``Clostridium_sensu_stricto_1``)
are bare names, never binomials (:func:`silva_genus_label`).  ``Unassigned``/``UNKNOWN``/``unclassified``
mean the unassigned share (:func:`label_lineage`).

Counts or relative abundance
----------------------------
Per table: when the sample totals are all about 1 (fractions) or all about
100 (percent), or the values are not integers and no total exceeds 100, the
table is relative; otherwise it holds counts, and the abundance is count /
sample total.  A table of whole numbers whose samples all add up to about
100 and that says nothing else is read as percentages with a warning: it
may hold 100 reads a sample (:func:`_scale`, for every format alike).
Totals are taken over the *top-level* rows only (rows none of
whose ancestors is also a row), so a hierarchical table that lists every rank
is not counted several times.

Greengenes' bracketed genera
----------------------------
Greengenes writes in brackets names it proposes or disputes (McDonald et al.
2012, doi:10.1038/ismej.2011.139; the rule below rests on the families, not
on what the brackets mean):
``f__Lachnospiraceae; g__[Ruminococcus]`` is the *R. gnavus* / *R. torques*
group, not the genus *Ruminococcus* of Ruminococcaceae.  Names are compared
without brackets, so such a genus would be taken for the genus of the lineage
table.  Where the lineage places a bracketed genus in another family than the
table's family of that genus, the lineage is cut at its family (the deepest
rank that is right); a species under it that the table knows by name is kept
(``s__gnavus``: *Mediterraneibacter gnavus*), one it does not is cut with the
genus, and the file gets a warning naming the genera (:func:`disputed_genera`).
The family is not renamed *Mediterraneibacter* (Togo et al. 2018): that genus
holds the typed species moved there, while Greengenes' group holds reads of
the whole clade, whose other members SILVA and GTDB place in other genera.

Hierarchical or exclusive rows
------------------------------
In a MetaPhlAn-like table each row is a clade and already includes the rows
beneath it; in a QIIME 2 feature table each feature is its own set of reads
(an ASV classified only to ``p__Firmicutes`` is not part of the Firmicutes
species rows).  A table is taken as hierarchical when it is closed under
parents (every row deeper than the shallowest one has its parent as a row) and
no row is smaller than the sum of its nearest reported descendants; otherwise
rows are exclusive and each clade is given its own value plus everything
reported beneath it.  Features with the same lineage are summed.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..cohort import Lineage, SampleProfile
from ..errors import FormatError, GutBalanceWarning, TaxonomyError
from ..taxonomy import RANKS, parse_lineage, standard_rank, taxon
from ..taxonomy.placement import lineage_table, table_lineage

#: Names that mean "not assigned to any taxon" (compared lower-cased).
UNASSIGNED_NAMES = frozenset(
    {"unassigned", "unknown", "unclassified", "unclassified_reads", "no hit", "no_hit", "unmapped", "unidentified",
     # a report's remainder row, and QIIME 1's summarize_taxa.py for reads of no domain
     "other", "others",
     # QIIME 1's assign_taxonomy.py -m blast: 'No_blast_hit;Other;Other;...' in summarize_taxa tables
     "no blast hit", "no_blast_hit"}
)
#: 16S databases file the host's and the diet's organelles under Bacteria
#: (Greengenes ``c__Chloroplast``, ``f__mitochondria``; SILVA ``o__Chloroplast``,
#: ``f__Mitochondria``, with the plant as "genus": ``g__Triticum_aestivum_(bread_wheat)``).
#: Their reads are not of the bacterial community: QIIME 2's tutorials filter
#: them out before any diversity (``qiime taxa filter-table --p-exclude
#: mitochondria,chloroplast``), so a table's rows of them are its unassigned share.
ORGANELLE_NAMES = frozenset({"chloroplast", "chloroplasts", "mitochondria", "mitochondrion"})
_PREFIX = re.compile(r"(?:^|[;|,])\s*\"?\s*(?:[a-zA-Z]|D_\d)__")
_FIRST_PREFIX = re.compile(r"^\s*(?:[a-zA-Z]|D_\d)__\s*")
# a genus and an epithet; the genus may be an older ICTV phage genus with digits
# (MetaPhlAn 2's s__C2likevirus_unclassified, s__T4likevirus_unclassified)
_BINOMIAL = re.compile(r"^\[?(?:[A-Z][a-z]+|[A-Z][A-Za-z0-9]*virus)\]?[ _](?:sp\.?|[a-z][a-z\-]+)(?:[ _].*)?$")
_PLAIN_PART = re.compile(r"^[A-Za-z\[][\w .\-\[\]()'/]*$")
_FEATURE_ID = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|\d+|[ACGTUN]{30,})$", re.IGNORECASE)
#: How the command line and the library declare the rank of a table's bare
#: names (the end of the refusal of a bare name).  The web app, where the
#: option is a field of the upload form, replaces it with its own words.
FEATURE_RANK_HINT = (
    "declare the rank of the table's bare names (--feature-rank genus of gutbalance analyze, "
    "convert, kb coverage, reference build or simulate; "
    "gutbalance.read(..., feature_rank='genus'))"
)


def is_unassigned(label: str) -> bool:
    """Whether a label (or the first level of a lineage) means "not assigned"."""
    text = label.strip().strip('"').strip()
    first = re.split(r"[;|]", text, maxsplit=1)[0]
    first = _FIRST_PREFIX.sub("", first).strip()
    return first.lower() in UNASSIGNED_NAMES or (first == "" and bool(_FIRST_PREFIX.match(text)))


def is_organelle(lineage: Lineage) -> bool:
    """Whether a lineage is a 16S database's chloroplast or mitochondria
    (:data:`ORGANELLE_NAMES` at class, order or family: host or diet DNA).

    >>> is_organelle(parse_lineage("k__Bacteria;p__Cyanobacteria;c__Chloroplast;o__Streptophyta"))
    True
    >>> is_organelle(parse_lineage("k__Bacteria;p__Cyanobacteria;c__Cyanobacteriia;o__Synechococcales"))
    False
    """
    return any(node.rank in ("class", "order", "family") and node.name.lower() in ORGANELLE_NAMES for node in lineage)


def looks_taxonomic(label: str) -> bool:
    """Whether a label reads as a lineage, a binomial or the unassigned row."""
    text = label.strip().strip('"').strip()
    if not text:
        return False
    if _PREFIX.search(text) or is_unassigned(text) or _BINOMIAL.match(text):
        return True
    parts = [p.strip() for p in re.split(r"[;|]", text) if p.strip()]
    return len(parts) >= 2 and all(_PLAIN_PART.match(p) for p in parts)


def label_lineage(
    label: str, *, rank: str | None = None, declared: str | None = None, plain_lineages: bool = False
) -> Lineage | None:
    """The lineage a table label stands for; ``None`` for the unassigned row.

    Parameters
    ----------
    label
        The label as written.
    rank
        The standard rank the file itself gives the label (a column headed
        ``genus``): every label that is not a lineage is read at it.
    declared
        The rank the user declared for bare names (``feature_rank``): it
        applies only to a name whose rank nothing else tells.  A binomial
        (``Bacteroides fragilis``) stays a species whatever is declared;
        SILVA's genus labels (:func:`silva_genus_label`) are bare names, never
        read as binomials.
    plain_lineages
        Other labels of the same column are plain ``A;B;C`` lineages, so a
        single word is a one-level lineage (a domain).

    At species (or strain) rank a single word, or a label SILVA writes for a
    genus, is refused: a species name is a genus and an epithet.

    Raises
    ------
    TaxonomyError
        The label is not a lineage and its rank cannot be told.
    """
    text = label.strip().strip('"').strip()
    if not text:
        raise TaxonomyError("empty taxon name")
    if is_unassigned(text) or text.lower() in ORGANELLE_NAMES:
        return None
    if _PREFIX.search(text) or ";" in text or "|" in text:
        lineage = parse_lineage(text)
        return None if is_organelle(lineage) else lineage
    if looks_like_feature_id(text):
        # whatever rank is declared: a hash, a number or a sequence names no taxon
        # kraken-biom's TSV names its rows by NCBI taxid and leaves the names out
        taxids = "; whole numbers are often NCBI taxids: kraken-biom's BIOM or JSON output carries the names" \
            if text.isdigit() else ""
        raise TaxonomyError(
            f"{text!r} is a feature id (an ASV/OTU id or sequence), not a taxon name: "
            f"give the table's taxonomy beside it (a taxonomy .qza or .tsv){taxids}"
        )
    silva_genus = silva_genus_label(text)
    if rank is None and not silva_genus and _BINOMIAL.match(text):
        return (taxon("species", text),)  # its own rank, whatever is declared for bare names
    rank = rank or declared
    if rank is not None:
        found = taxon(rank, text)
        one_word = " " not in found.name and not names_virus(found.name)
        if rank in ("species", "strain") and not found.unclassified and (silva_genus or one_word):
            what = "SILVA's name of a genus" if silva_genus else "one word"
            raise TaxonomyError(
                f"{text!r} is {what}, not a {rank} name (a species name is a genus and an epithet, "
                "'Bacteroides fragilis'): give the table's rank as it is (genus) or write whole names"
            )
        return (found,)
    if plain_lineages:
        return parse_lineage(text)
    what = "SILVA's name of a genus, a bare name" if silva_genus else "a bare name"
    raise TaxonomyError(
        f"cannot tell the rank of {text!r} ({what}): write a lineage (k__...;p__...), head the column with its "
        f"rank (species, genus, ...), or {FEATURE_RANK_HINT}"
    )


# ICTV's genus, subfamily, family and order endings, phages and plasmids: names of
# NCBI species (Kraken 2's 'Mosigvirus JS09', 'Microviridae IME-16') that no 16S
# database such as SILVA has
_NOT_16S = re.compile(r"(?i)(?:virus|viridae|virinae|virales|phage)\b|^plasmid\b")

_SILVA_GENUS = (
    # Clostridium_sensu_stricto_1
    re.compile(r"^\[?[A-Z][a-z]+\]? sensu stricto(?: \d+)?$"),
    # [Eubacterium]_coprostanoligenes_group, [Ruminococcus]_torques_group
    re.compile(r"^\[[A-Z][a-z]+\] [a-z]+ group$"),
    # Lachnospiraceae_UCG-004, Lachnospiraceae_NK4A136_group, Prevotella_9, Rikenellaceae_RC9_gut_group
    re.compile(r"^[A-Z][a-z]+ (?=\S*\d)[A-Z0-9][\w-]*(?: [a-z]+)*(?: group)?$"),
)


def silva_genus_label(label: str) -> bool:
    """Whether a bare label is written the way SILVA names a genus without a
    Latin name of its own: ``Clostridium_sensu_stricto_1``,
    ``[Eubacterium]_coprostanoligenes_group``, ``Lachnospiraceae_UCG-004``,
    ``Prevotella_9``.  Such a label is no species, though the first two read
    like binomials.  A virus, phage or plasmid is never one (SILVA holds 16S
    genes): NCBI's species ``Mosigvirus JS09``, ``Cyanophage PSS2`` or
    ``Plasmid R46``, as Kraken 2 names them, are written the same way.

    >>> silva_genus_label("Clostridium sensu stricto 1"), silva_genus_label("Bacteroides fragilis")
    (True, False)
    """
    text = re.sub(r"[\s_]+", " ", label.strip().strip('"')).strip()
    if names_virus(text):
        return False
    return any(p.match(text) for p in _SILVA_GENUS)


def names_virus(label: str) -> bool:
    """Whether a label names a virus, phage or plasmid the way NCBI (and so
    Kraken 2) does: ICTV's endings (``Mosigvirus JS09``, ``Lausannevirus``,
    ``Microviridae IME-16``), a phage or plasmid, or a one-word isolate with
    a slash (``BtRf-AlphaCoV/YN2012``; a bacterium's ``sp. SR1/5`` is not one).
    Such a species may be one word, and is never a SILVA genus label.

    >>> names_virus("Lausannevirus"), names_virus("Bacteroides"), names_virus("Ruminococcus sp. SR1/5")
    (True, False, False)
    """
    text = label.strip()
    return bool(_NOT_16S.search(text)) or ("/" in text and " " not in text)


def looks_like_feature_id(label: str) -> bool:
    """Whether a label is a feature id that names no taxon: an md5/SHA hash
    (QIIME 2's ASV ids), a number (Greengenes OTU ids) or a DNA sequence
    (DADA2's).  Such an id is not a bare taxon name, whatever rank is declared.

    >>> looks_like_feature_id("4b5eeb300368260019c1fbc7a3c718fc"), looks_like_feature_id("Bacteroides")
    (True, False)
    """
    return bool(_FEATURE_ID.match(label.strip().strip('"').strip()))


def declared_rank(value: str | None) -> str | None:
    """The standard rank a user declared for a table's bare names
    (``feature_rank``: ``genus``, ``Genus``, ``species``), or None.

    Raises
    ------
    TaxonomyError
        The value is not a rank.

    >>> declared_rank("Genus"), declared_rank(None)
    ('genus', None)
    """
    if value is None:
        return None
    rank = standard_rank(value)
    if rank is None:
        raise TaxonomyError(f"feature_rank {value!r} is not a rank (one of: {', '.join(RANKS)})")
    return rank


def has_rank_prefix(text: str) -> bool:
    """Whether a label has a rank prefix (``g__``, ``D_5__``) anywhere in its levels."""
    return bool(_PREFIX.search(text))


def strip_rank_prefix(name: str) -> str:
    """A name without its leading rank prefix (``g__Blautia`` -> ``Blautia``)."""
    return _FIRST_PREFIX.sub("", name)


def _bracketed(name: str) -> bool:
    """A name written wholly in brackets (Greengenes' ``[Ruminococcus]``), not
    SILVA's ``[Eubacterium]_coprostanoligenes_group``, a name of its own."""
    text = name.strip()
    return text.startswith("[") and text.endswith("]")


def disputed_genera(lineage: Lineage) -> tuple[Lineage, str]:
    """``lineage`` without a bracketed genus its family disowns, and a note.

    A genus written in brackets (``g__[Ruminococcus]``) whose lineage puts it
    in a family (``f__Lachnospiraceae``) other than the lineage table's family
    of the unbracketed genus (``f__Ruminococcaceae``) is not that genus: the
    lineage is cut below the family, keeping a species the table knows by its
    own name.  The note (``"[Ruminococcus] under Lachnospiraceae"``) is "" when
    nothing was cut.

    >>> lin = parse_lineage("k__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; "
    ...                     "f__Lachnospiraceae; g__[Ruminococcus]; s__")
    >>> cut, note = disputed_genera(lin)
    >>> [t.id for t in cut][-1], note
    ('f__Lachnospiraceae', '[Ruminococcus] under Lachnospiraceae (not Ruminococcaceae)')
    """
    for i, node in enumerate(lineage):
        if node.rank != "genus" or not _bracketed(node.original) or i == 0:
            continue
        family = next((t for t in reversed(lineage[:i]) if t.rank == "family" and not t.unclassified), None)
        if family is None or node.id not in lineage_table().parents:
            return lineage, ""
        known = next((t for t in table_lineage(node.id) if t.rank == "family"), None)
        if known is None or known.id == family.id:
            return lineage, ""
        parents = lineage_table().parents
        below = tuple(t for t in lineage[i + 1 :] if t.rank == "species" and t.id in parents)
        head = lineage[: lineage.index(family) + 1]
        return head + below[:1], f"{node.original} under {family.name} (not {known.name})"
    return lineage, ""


#: A sample total within this distance of 1 (or 100) is a relative table.
RELATIVE_TOLERANCE = 0.02


def _id_path(lineage: Lineage) -> tuple[str, ...]:
    """A lineage as the ids of its taxa: two spellings of one taxon
    (Greengenes' ``g__Ruminococcus`` and ``g__[Ruminococcus]``, ``p__Firmicutes``
    and ``p__Bacillota``) are the same row of a table."""
    return tuple(t.id for t in lineage)


def _is_hierarchical(lineages: list[Lineage], nearest: list[int], own: sp.csr_matrix) -> bool:
    if all(p < 0 for p in nearest):
        return False
    paths = [_id_path(lin) for lin in lineages]
    known = set(paths)
    shallowest = min(len(path) for path in paths)
    if any(len(path) > shallowest and path[:-1] not in known for path in paths):
        return False
    children = [(p, k) for k, p in enumerate(nearest) if p >= 0]
    parent_idx = np.array([p for p, _ in children])
    child_idx = np.array([k for _, k in children])
    link = sp.csr_matrix((np.ones(len(children)), (parent_idx, child_idx)), shape=(len(lineages), len(lineages)))
    child_sums = (link @ own).tocsr()
    parents = np.unique(parent_idx)
    diff = (own[parents] - child_sums[parents]).toarray()
    scale = max(1.0, float(abs(own).max()))
    return bool(diff.min() >= -1e-6 * scale)


#: How a file of each format says that its numbers are read counts: the end
#: of the warning on whole numbers read as percentages (:func:`_scale`).
_SAY_BIOM_COUNTS = 'sample metadata abundance_unit = reads, or an integer matrix (BIOM 1.0 "matrix_element_type": "int")'
SAY_COUNTS = {
    "biom": _SAY_BIOM_COUNTS,
    "qza": _SAY_BIOM_COUNTS,  # a FeatureTable[Frequency] may hold anything; its table is a BIOM table
    "table": "a long table (sample, taxon, counts) whose value column is headed counts or reads",
}


def _scale(
    totals: np.ndarray, values: sp.csr_matrix, kind: str | None, path: Path, source_format: str = ""
) -> tuple[str, float]:
    """('relative', divisor) or ('counts', 0); ``kind="fraction"``: relative
    values known to be fractions (a table gutbalance wrote).

    A table that says nothing (``kind`` None) of whole numbers, some above 1,
    whose samples all add up to about 100 is read as percentages with a
    :class:`~gutbalance.errors.GutBalanceWarning`: it may as well hold 100
    reads a sample (rarefied), which its numbers cannot tell; the warning says
    how the format (``source_format``, :data:`SAY_COUNTS`) says counts."""
    if kind == "fraction":
        return "relative", 1.0
    present = totals[totals > 0]
    if kind == "counts" or present.size == 0:
        return ("counts", 0.0) if present.size else ("relative", 1.0)
    if np.all(np.abs(present - 1.0) <= RELATIVE_TOLERANCE) or present.max() <= 1.0 + RELATIVE_TOLERANCE:
        return "relative", 1.0
    integers = bool(np.all(np.abs(values.data - np.round(values.data)) <= 1e-6))
    if np.all(np.abs(present - 100.0) <= 100 * RELATIVE_TOLERANCE) or (
        not integers and present.max() <= 100.0 * (1 + RELATIVE_TOLERANCE)
    ):
        if kind is None and integers and float(values.data.max()) > 1.0:
            say = SAY_COUNTS.get(source_format, "a format or column that names them counts")
            warnings.warn(
                f"{path}: the table does not say what its numbers are, every value is a whole number and every "
                "sample adds up to about 100: read as percentages, but they may be read counts (a table rarefied "
                f"to 100 reads a sample), which the numbers cannot tell apart; if they are counts, say so in the "
                f"file: {say}",
                GutBalanceWarning,
                stacklevel=3,
            )
        return "relative", 100.0
    if kind == "relative":
        raise FormatError(
            f"relative abundances add up to as much as {present.max():g} in a sample (expected 1 or 100)", path=path
        )
    return "counts", 0.0


def profiles_from_matrix(
    lineages: Sequence[Lineage | None],
    values: sp.csr_matrix | np.ndarray,
    samples: Sequence[str],
    *,
    path: Path,
    source_format: str,
    counts: sp.csr_matrix | np.ndarray | None = None,
    kind: str | None = None,
    database: str = "",
    clades: bool = False,
    exclusive: bool = False,
) -> list[SampleProfile]:
    """Sample profiles from a features x samples matrix.

    Parameters
    ----------
    lineages
        One lineage per row; ``None`` marks an unassigned row.  Rows with the
        same lineage are summed.
    values
        Non-negative numbers, rows x samples (checked by the caller).
    samples
        Sample names, unique.
    counts
        Read counts beside relative ``values`` (a long table with both).
    kind
        ``"counts"`` or ``"relative"`` where the input says so (``"fraction"``:
        relative and known to be fractions); else decided from the sample
        totals (see the module docstring).
    clades
        The input says each row is a clade total (gutbalance's own long tables
        say so in their header): read them as given, even where a profiler
        reported a parent below the sum of its children (round-off, or a CAMI
        profile normalising each rank on its own), instead of deciding from
        the numbers whether the table is hierarchical.
    exclusive
        The input says each row is its own share, never a clade total
        (SingleM's unfilled coverage): a parent row is not compared with its
        children to decide, since a small profile's numbers can look nested.
    """
    V = sp.csr_matrix(values, dtype=np.float64)
    C = None if counts is None else sp.csr_matrix(counts, dtype=np.float64)
    n_rows, n_samples = V.shape
    lineages = _without_disputed_genera(lineages, path)
    unassigned_rows = np.array([i for i, lin in enumerate(lineages) if lin is None], dtype=np.int64)
    # Rows are grouped by the ids of their lineage, so one taxon spelt two
    # ways in one table is one row (the first spelling is kept).
    position: dict[tuple[str, ...], int] = {}
    unique: list[Lineage] = []
    group = np.empty(n_rows - len(unassigned_rows), dtype=np.int64)
    assigned_rows = np.empty_like(group)
    k = 0
    for i, lin in enumerate(lineages):
        if lin is None:
            continue
        ids = _id_path(lin)
        row = position.get(ids)
        if row is None:
            row = position[ids] = len(unique)
            unique.append(lin)
        group[k] = row
        assigned_rows[k] = i
        k += 1
    n_unique = len(unique)
    if n_unique == 0 and len(unassigned_rows) == 0:
        raise FormatError("the table has no taxon rows", path=path)
    collapse = sp.csr_matrix((np.ones(len(group)), (group, assigned_rows)), shape=(n_unique, n_rows))

    def unassigned_of(M: sp.csr_matrix) -> np.ndarray:
        if len(unassigned_rows) == 0:
            return np.zeros(n_samples)
        return np.asarray(M[unassigned_rows].sum(axis=0)).ravel()

    own = (collapse @ V).tocsr()
    own_counts = None if C is None else (collapse @ C).tocsr()
    # Nearest reported ancestor of each lineage, and all reported ancestors.
    ancestors: list[list[int]] = []
    for ids in position:
        ancestors.append([position[ids[:d]] for d in range(len(ids) - 1, 0, -1) if ids[:d] in position])
    nearest = [a[0] if a else -1 for a in ancestors]
    hierarchical = n_unique > 0 and not exclusive and (clades or _is_hierarchical(unique, nearest, own))
    top = np.array([k for k, p in enumerate(nearest) if p < 0], dtype=np.int64)

    def clades_and_totals(M: sp.csr_matrix, unassigned: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
        if n_unique == 0:
            return M, unassigned
        if hierarchical:
            return M, np.asarray(M[top].sum(axis=0)).ravel() + unassigned
        rows = [k for k, anc in enumerate(ancestors) for _ in anc]
        cols = [a for anc in ancestors for a in anc]
        tree = sp.identity(n_unique, format="csr") + sp.csr_matrix(
            (np.ones(len(rows)), (cols, rows)), shape=(n_unique, n_unique)
        )
        return (tree @ M).tocsr(), np.asarray(M.sum(axis=0)).ravel() + unassigned

    unassigned = unassigned_of(V)
    clade, totals = clades_and_totals(own, unassigned)
    mode, divisor = _scale(totals, V, kind, path, source_format)
    clade_counts = None
    if own_counts is not None and C is not None:
        clade_counts, _ = clades_and_totals(own_counts, unassigned_of(C))
    elif mode == "counts":
        clade_counts = clade
    by_sample = clade.tocsc()
    counts_by_sample = None if clade_counts is None else clade_counts.tocsc()
    out = []
    for j, sample in enumerate(samples):
        start, end = by_sample.indptr[j], by_sample.indptr[j + 1]
        rows = by_sample.indices[start:end]
        vals = by_sample.data[start:end]
        keep = vals > 0
        rows, vals = rows[keep], vals[keep]
        divide = totals[j] if mode == "counts" else divisor
        if divide <= 0:
            divide = 1.0  # an empty sample: nothing to scale
        sample_counts = None
        if counts_by_sample is not None:
            dense = np.zeros(n_unique)
            cs, ce = counts_by_sample.indptr[j], counts_by_sample.indptr[j + 1]
            dense[counts_by_sample.indices[cs:ce]] = counts_by_sample.data[cs:ce]
            sample_counts = dense[rows].tolist()
        out.append(
            SampleProfile(
                sample=str(sample),
                lineages=[unique[r] for r in rows],
                abundance=(vals / divide).tolist(),
                unassigned=float(unassigned[j] / divide),
                counts=sample_counts,
                source_file=str(path),
                source_format=source_format,
                database=database,
            )
        )
    return out


def _without_disputed_genera(lineages: Sequence[Lineage | None], path: Path) -> list[Lineage | None]:
    """The lineages with Greengenes' disowned bracketed genera cut at their
    family (:func:`disputed_genera`), and one warning for the file naming them."""
    out: list[Lineage | None] = []
    notes: dict[str, int] = {}
    for lin in lineages:
        if lin is None:
            out.append(None)
            continue
        cut, note = disputed_genera(lin)
        if note:
            notes[note] = notes.get(note, 0) + 1
        out.append(cut)
    if notes:
        named = "; ".join(f"{note}: {n} feature{'s' if n > 1 else ''}" for note, n in sorted(notes.items()))
        warnings.warn(
            f"{path}: Greengenes' bracketed genera placed in another family than the genus of that name are read "
            f"at their family, not as that genus ({named})",
            GutBalanceWarning,
            stacklevel=3,
        )
    return out


def unassigned_count(cohort, counts: sp.csr_matrix, i: int, unassigned: float) -> float:
    """Reads not assigned, from the assigned reads and the unassigned share.

    The assigned reads are those of the cohort's roots (taxa without a
    parent): the domains, and any taxon no input or the lineage table placed
    under one (an mOTUs species such as *Halobacterium hubeiense* the table
    does not know), whose reads the domains alone would leave out.
    """
    roots = np.flatnonzero((cohort.taxa["parent"].astype(str) == "").to_numpy())
    assigned = float(counts[i, roots].sum()) if len(roots) else 0.0
    estimate = assigned * unassigned / (1.0 - unassigned) if unassigned < 1 else 0.0
    if np.all(counts.data == np.round(counts.data)):
        estimate = float(round(estimate))  # reads are whole; keep the table an integer one
    return estimate
