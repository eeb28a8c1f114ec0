"""Taxonomy files given beside feature tables: a QIIME 2 ``FeatureData[Taxonomy]``
artifact (``.qza``), an exported ``taxonomy.tsv`` (``Feature ID``, ``Taxon``,
``Confidence``), or a DADA2 / phyloseq taxonomy table (``assignTaxonomy`` or
``tax_table`` written with ``write.csv``: an unnamed first column of ASV
sequences or ids, then one column per rank, ``Kingdom`` ... ``Genus`` and
perhaps ``Species`` holding the epithet, ``NA`` where unassigned; rank names
in any case, a rank block that starts below the kingdom, an unnamed sequence
column between the id and the ranks, and annotation columns after the ranks
that hold text, which are not read), or mothur's consensus taxonomy
(``classify.otu``'s ``.cons.taxonomy``: ``OTU``, ``Size``, ``Taxonomy``
with ``Bacteria(100);Firmicutes(100);...;`` names and bootstrap confidences,
one position per rank from the domain down, ``X_unclassified`` below the
deepest rank it could name).

A ``FeatureTable`` of ASV hashes cannot be scored alone.  When
:func:`gutbalance.io.read` or :func:`~gutbalance.io.read_batch` is given
taxonomy files beside tables, :func:`split_taxonomy` takes them out of the
list and merges them into one :class:`FeatureTaxonomy`, which every table
reader that takes one (``.qza``, BIOM, CSV/TSV: formats with
``takes_taxonomy``) gets as its ``taxonomy=`` argument; the readers look
feature ids up in it, and features with the same lineage are summed.  A
table of hashes without a taxonomy is refused with a
:class:`~gutbalance.errors.FormatError` that says so.  The web app finds the
taxonomy among the files of an uploaded zip with :func:`source_taxonomy_kind`
and reads it with :func:`read_taxonomy_source` (content in memory, within
the upload's limits).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from pathlib import Path
from typing import TypeVar

from ..errors import FormatError, GutBalanceError
from ..taxonomy import RANK_INDEX, RANK_PREFIX, standard_rank
from .archive import (
    MAX_ARCHIVE_BYTES,
    METADATA_MEMBER,
    TAXONOMY_TYPE,
    check_archive,
    open_artifact,
    parse_metadata,
    read_member,
)
from .source import ZIP_MAGIC, InputLimits, Source, is_number

K = TypeVar("K")


@dataclass
class FeatureTaxonomy:
    """Lineages for feature ids (ASV hashes, OTU ids), from a QIIME 2
    ``FeatureData[Taxonomy]`` artifact or a ``taxonomy.tsv`` read in the same call."""

    lineages: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    #: The files read with it by a reader that takes a taxonomy (feature tables).
    tables: list[str] = field(default_factory=list)

    def add(self, mapping: dict[str, str], source: str) -> None:
        """Add the lineages of one taxonomy file (``source`` names it in errors):
        all of them, or none when one conflicts.

        Raises
        ------
        FormatError
            A feature already has another lineage from an earlier file.
        """
        for feature, lineage in mapping.items():
            known = self.lineages.get(feature)
            if known is not None and known != lineage:
                raise FormatError(
                    f"feature {feature!r} is {lineage!r} here but {known!r} in {', '.join(self.sources)}", path=source
                )
        self.lineages.update(mapping)
        self.sources.append(source)


#: Of a taxonomy file given beside profiles of which none took it (MetaPhlAn
#: profiles name their taxa themselves): a warning of ``problems.tsv``, and of
#: the web app's zip of profiles, a file left out.
TAXONOMY_NOT_USED = (
    "not used: no feature table (a QIIME 2, BIOM or TSV table whose feature ids a taxonomy names) was read "
    "beside this taxonomy; the profiles read name their taxa themselves"
)


def merge_taxonomies(
    files: Iterable[tuple[K, str, Callable[[], Source]]],
) -> tuple[FeatureTaxonomy | None, list[tuple[K, GutBalanceError]]]:
    """The taxonomy files given together, each ``(key, name, open)``, read
    in order and merged into one :class:`FeatureTaxonomy` (None when none
    could be read), with the files that could not be read or that classify
    a feature otherwise than a file before them (each with its error; none of
    its lineages is used).  What :func:`split_taxonomy` does with the files
    of the command line, and the web app with those of an uploaded zip."""
    taxonomy: FeatureTaxonomy | None = None
    errors: list[tuple[K, GutBalanceError]] = []
    for key, name, opener in files:
        try:
            mapping = read_taxonomy_source(opener())
            taxonomy = taxonomy or FeatureTaxonomy()
            taxonomy.add(mapping, name)
        except GutBalanceError as exc:
            errors.append((key, exc))
    return taxonomy, errors


def parse_taxonomy_tsv(text: str, path: Path) -> dict[str, str]:
    """Feature id -> lineage from a QIIME 2 ``taxonomy.tsv`` (``Feature ID``, ``Taxon``, ``Confidence``)."""
    mapping: dict[str, str] = {}
    lines_seen: dict[str, int] = {}
    header: list[str] | None = None
    taxon_col = 1
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or (header is not None and line.startswith("#")):
            continue
        fields = line.split("\t")
        if header is None:
            header = [f.strip().lstrip("#").strip().lower() for f in fields]
            taxon_col = next((i for i, h in enumerate(header) if h in {"taxon", "taxonomy"}), 1)
            if len(header) <= taxon_col:
                raise FormatError("a taxonomy table needs a feature id and a taxon column", path=path, line=lineno)
            continue
        if len(fields) <= taxon_col:
            raise FormatError(f"expected at least {taxon_col + 1} fields, found {len(fields)}", path=path, line=lineno)
        feature = fields[0].strip()
        if feature in lines_seen:
            raise FormatError(f"feature {feature!r} repeats line {lines_seen[feature]}", path=path, line=lineno)
        lines_seen[feature] = lineno
        mapping[feature] = fields[taxon_col].strip()
    if not mapping:
        raise FormatError("the taxonomy table has no rows", path=path)
    return mapping


#: First header cells of a DADA2 / phyloseq taxonomy table (R's write.csv leaves it empty).
_RANK_TABLE_ID_CELLS = {"", "taxonomy", "asv", "asv_id", "sequence", "feature id", "featureid", "otu", "otu id", "id"}


def _split(line: str, delimiter: str) -> list[str] | None:
    try:
        row = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):  # binary or broken text: not a taxonomy table (a peek never raises)
        return None
    return [c.strip().strip('"').strip() for c in row]


def _rank_table_header(line: str, data_line: str | None = None) -> tuple[str, list[str], int, int] | None:
    """The delimiter, cells, first rank column and number of rank columns of a
    DADA2 / phyloseq taxonomy table's header, else None.

    The header is an id cell, then rank names (at least two, each once). The
    ranks may be preceded by one unnamed column (the ASV sequence beside an
    ``ASV_1`` id, as MDSINE2's ``silva_species.tsv`` has it) and followed by
    annotation columns that name no rank (``purported_species``, ``bin``, as a
    paper's supplementary table has them) only when ``data_line`` shows those
    columns holding text: a phyloseq export with rank columns followed by
    *sample* columns holds numbers there, and is a feature table.
    """
    for delimiter in ("\t", ","):
        if delimiter not in line:
            continue
        split = _split(line, delimiter)
        if split is None:
            return None
        cells = [c.lstrip("#").strip() for c in split]
        if len(cells) < 3 or cells[0].lower() not in _RANK_TABLE_ID_CELLS:
            continue
        start = 2 if cells[1] == "" and len(cells) >= 4 else 1
        ranks = [standard_rank(c) for c in cells[start:]]
        n_ranks = next((i for i, r in enumerate(ranks) if r is None), len(ranks))
        named = [r for r in ranks if r is not None]
        if n_ranks < 2 or len(set(named)) != len(named) or len(named) != n_ranks:
            continue
        others = [i for i in range(1, len(cells)) if not start <= i < start + n_ranks]
        if others:
            data = None if data_line is None else _split(data_line, delimiter)
            if data is None or len(data) != len(cells):
                continue
            # the row's id again under an id header (phyloseq's tax_table of a kraken-biom
            # table ends with an 'OTU' column of the NCBI taxids that name the rows)
            others = [i for i in others if not (cells[i].lower() in _RANK_TABLE_ID_CELLS - {""}
                                                and data[i] == data[0])]
            extra = [data[i] for i in others if data[i] and data[i].upper() not in {"NA", "NAN", "NONE"}]
            if others and (not extra or any(is_number(c) for c in extra)):
                continue
        return delimiter, cells, start, n_ranks
    return None


def _first_two_lines(lines: list[str]) -> tuple[int | None, str, str | None]:
    """Index of the first non-empty line, that line, and the next non-empty one."""
    found = list(islice((i for i, ln in enumerate(lines) if ln.strip()), 2))
    if not found:
        return None, "", None
    return found[0], lines[found[0]], (lines[found[1]] if len(found) > 1 else None)


def parse_rank_table(text: str, path: Path) -> dict[str, str]:
    """Feature id -> lineage from a DADA2 / phyloseq taxonomy table (one column
    per rank; an empty or ``NA`` rank is left out of the lineage; a
    ``Species`` epithet becomes a binomial with its genus when the lineage is
    parsed; annotation columns after the ranks are not read)."""
    lines = text.lstrip("\ufeff").splitlines()
    first, first_line, second_line = _first_two_lines(lines)
    header = None if first is None else _rank_table_header(first_line, second_line)
    if header is None or first is None:
        raise FormatError("not a taxonomy table: expected an id column then one column per rank", path=path, line=1)
    delimiter, cells, start, n_ranks = header
    ranks = [standard_rank(c) for c in cells[start : start + n_ranks]]
    order = sorted(range(len(ranks)), key=lambda k: RANK_INDEX[ranks[k]])  # type: ignore[index]
    mapping: dict[str, str] = {}
    lines_seen: dict[str, int] = {}
    reader = csv.reader(io.StringIO("\n".join(lines[first + 1 :])), delimiter=delimiter)
    for lineno, fields in enumerate(reader, start=first + 2):
        if not fields or not any(f.strip() for f in fields):
            continue
        if len(fields) != len(cells):
            raise FormatError(f"expected {len(cells)} fields like the header, found {len(fields)}", path=path,
                              line=lineno)
        feature = fields[0].strip()
        if feature in lines_seen:
            raise FormatError(f"feature {feature!r} repeats line {lines_seen[feature]}", path=path, line=lineno)
        lines_seen[feature] = lineno
        parts = []
        for k in order:
            name = fields[start + k].strip()
            rank = ranks[k]
            assert rank is not None
            if not name or name.upper() in {"NA", "NAN", "NONE"}:
                # a rank left empty above named ones (NCBI has no class for Synechococcales,
                # no genus for some phages); a Species epithet without its genus is left
                # out when the lineage is parsed
                continue
            parts.append(f"{RANK_PREFIX[rank]}__{name}")
        mapping[feature] = "; ".join(parts) if parts else "Unassigned"
    if not mapping:
        raise FormatError("the taxonomy table has no rows", path=path)
    return mapping


#: The header of mothur's consensus taxonomy (classify.otu), lower case.
_MOTHUR_HEADER = ["otu", "size", "taxonomy"]
#: The ranks of a mothur taxonomy string, by position (its RDP and SILVA
#: reference taxonomies give six levels, kingdom to genus; a seventh, where
#: a reference has one, is the species).
_MOTHUR_RANKS = ("domain", "phylum", "class", "order", "family", "genus", "species")
_MOTHUR_CONFIDENCE = re.compile(r"\(\d+(?:\.\d+)?\)$")
_PREFIXED = re.compile(r"^[a-z]__")


def _mothur_name(part: str) -> str:
    """A taxon of a mothur taxonomy string without its bootstrap confidence
    (``Faecalibacterium(100)``) and quotes; "" for mothur's placeholders
    below the deepest rank it named (``Lachnospiraceae_unclassified``,
    ``Muribaculaceae_ge``, ``unclassified``, ``unknown``)."""
    name = _MOTHUR_CONFIDENCE.sub("", part.strip()).strip().strip('"').strip()
    low = name.lower()
    # mothur's SILVA references name a rank SILVA leaves unnamed after its
    # parent with a rank suffix (``Muribaculaceae_ge``, ``Clostridia_or``):
    # a placeholder, not a taxon.
    if low in {"", "unclassified", "unknown", "unknown_unclassified"} or low.endswith(
            ("_unclassified", "_ph", "_cl", "_or", "_fa", "_ge")):
        return ""
    return name


def mothur_lineage(text: str) -> str:
    """A mothur taxonomy string as a lineage gutbalance reads
    (``k__Bacteria; p__Firmicutes; ...``), stopping at its first placeholder;
    "Unassigned" when not even the domain is named.  Names that carry their
    own rank prefix (mothur run with a Greengenes reference) keep it.

    >>> mothur_lineage("Bacteria(100);Firmicutes(100);Clostridia(100);Clostridiales(100);"
    ...                "Lachnospiraceae(100);Lachnospiraceae_unclassified(100);")
    'k__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; f__Lachnospiraceae'
    >>> mothur_lineage("unknown(100);unknown_unclassified(100);")
    'Unassigned'
    """
    parts = [p for p in text.strip().split(";")]
    if parts and not parts[-1].strip():
        parts = parts[:-1]  # mothur ends every taxonomy with ';'
    out = []
    for rank, part in zip(_MOTHUR_RANKS, parts, strict=False):
        name = _mothur_name(part)
        if not name:
            break
        out.append(name if _PREFIXED.match(name) else f"{RANK_PREFIX[rank]}__{name}")
    return "; ".join(out) if out else "Unassigned"


def parse_mothur_taxonomy(text: str, path: Path) -> dict[str, str]:
    """OTU id -> lineage from mothur's consensus taxonomy (``OTU``, ``Size``, ``Taxonomy``).

    Raises
    ------
    FormatError
        A row without its three fields, a repeated OTU, a ``Size`` that is
        not a whole number, more levels than a mothur taxonomy has, or no rows.
    """
    mapping: dict[str, str] = {}
    lines_seen: dict[str, int] = {}
    for lineno, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if lineno == 1 or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise FormatError(f"expected 3 tab-separated fields (OTU, Size, Taxonomy), found {len(fields)}",
                              path=path, line=lineno)
        otu, size, lineage = (f.strip() for f in fields)
        if not otu:
            raise FormatError("empty OTU id", path=path, line=lineno, field="OTU")
        if otu in lines_seen:
            raise FormatError(f"OTU {otu!r} repeats line {lines_seen[otu]}", path=path, line=lineno, field="OTU")
        lines_seen[otu] = lineno
        if not size.isdigit():
            raise FormatError(f"size {size!r} is not a whole number of reads", path=path, line=lineno, field="Size")
        if len([p for p in lineage.split(";") if p.strip()]) > len(_MOTHUR_RANKS):
            raise FormatError(f"{lineage!r} has more levels than mothur's kingdom-to-species taxonomy",
                              path=path, line=lineno, field="Taxonomy")
        mapping[otu] = mothur_lineage(lineage)
    if not mapping:
        raise FormatError("the taxonomy table has no rows", path=path)
    return mapping


def _is_mothur_header(first_line: str) -> bool:
    return [c.strip().lower() for c in first_line.split("\t")] == _MOTHUR_HEADER


def _is_taxonomy_artifact(zf: zipfile.ZipFile, size: int, path: Path, limits: InputLimits | None = None) -> bool:
    """Whether an opened zip is a FeatureData[Taxonomy] artifact (its
    directory checked within ``limits``); raises on an unsafe or broken zip."""
    infos = check_archive(zf, size, path, limits=limits)
    metas = [i for i in infos if METADATA_MEMBER.match(i.filename)]
    if len(metas) != 1:
        return False
    meta = parse_metadata(read_member(zf, metas[0], path, limits=limits).decode("utf-8", errors="replace"))
    return meta.get("type", "").replace(" ", "") == TAXONOMY_TYPE


def _text_taxonomy_kind(head: bytes) -> str | None:
    """'tsv', 'ranks' or 'mothur' when the first bytes of a text file are a
    taxonomy.tsv's, a DADA2 / phyloseq taxonomy table's or mothur's consensus taxonomy's."""
    first = head.decode("utf-8", errors="replace").lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    if _is_mothur_header(first):
        return "mothur"
    cells = [c.strip().lstrip("#").strip().lower() for c in first.split("\t")]
    if (
        len(cells) >= 2
        and cells[0] in {"feature id", "featureid", "feature-id", "otu id", "otuid", "id"}
        and cells[1] in {"taxon", "taxonomy"}
        and all(c in {"confidence", "consensus"} for c in cells[2:])
    ):
        return "tsv"
    _, _, second = _first_two_lines(head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines())
    if _rank_table_header(first, second) is not None:
        return "ranks"
    return None


def taxonomy_file_kind(path: Path) -> str | None:
    """'qza', 'tsv', 'ranks' or 'mothur' when ``path`` is a taxonomy
    artifact, a taxonomy.tsv, a DADA2 / phyloseq taxonomy table or mothur's
    consensus taxonomy, else None.

    Only peeks (the zip directory and metadata.yaml, or the first line); any
    problem means "not a taxonomy file", and the normal reader reports it."""
    if not path.is_file():
        # a named pipe would block here for a writer, and the peek would eat its content
        return None
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    if head.startswith(ZIP_MAGIC):
        try:
            if path.stat().st_size > MAX_ARCHIVE_BYTES:
                return None
            with zipfile.ZipFile(path) as zf:
                return "qza" if _is_taxonomy_artifact(zf, path.stat().st_size, path) else None
        except Exception:  # a peek never raises
            return None
    return _text_taxonomy_kind(head)


def source_taxonomy_kind(source: Source) -> str | None:
    """:func:`taxonomy_file_kind` of content already in memory (a member of
    an uploaded zip), its zip directory checked within the source's limits;
    any problem means "not a taxonomy file"."""
    if source.is_zip:
        try:
            with zipfile.ZipFile(io.BytesIO(source.data)) as zf:
                return "qza" if _is_taxonomy_artifact(zf, len(source.data), source.path, source.limits) else None
        except Exception:  # a peek never raises
            return None
    return _text_taxonomy_kind(source.data[:4096])


def read_taxonomy(path: Path) -> dict[str, str]:
    """Feature id -> lineage from a FeatureData[Taxonomy] .qza, a taxonomy.tsv, a DADA2 / phyloseq taxonomy table
    or mothur's consensus taxonomy."""
    return read_taxonomy_source(Source.open(path))


def read_taxonomy_source(source: Source) -> dict[str, str]:
    """:func:`read_taxonomy` of an opened source (a file, or a member of an
    uploaded zip), a .qza read within the source's limits."""
    path = source.path
    if source.is_zip:
        artifact = open_artifact(source.data, path, limits=source.limits)
        if artifact.type.replace(" ", "") != TAXONOMY_TYPE:
            raise FormatError(f"expected a {TAXONOMY_TYPE} artifact, found {artifact.type}", path=path)
        text = artifact.member("data/taxonomy.tsv").decode("utf-8-sig", errors="replace")
    else:
        text = source.text
        _, first, second = _first_two_lines(text.lstrip("\ufeff").splitlines())
        if _is_mothur_header(first.rstrip("\r")):
            return parse_mothur_taxonomy(text, path)
        if _rank_table_header(first, second) is not None:
            return parse_rank_table(text, path)
    return parse_taxonomy_tsv(text, path)


def split_taxonomy(paths: list[Path]) -> tuple[list[Path], FeatureTaxonomy | None, list[tuple[Path, GutBalanceError]]]:
    """Separate taxonomy files from table files.

    Returns
    -------
    tables
        The paths that are not taxonomy files, in order.
    taxonomy
        The merged feature taxonomy, or None when no taxonomy file was given.
    errors
        Taxonomy files that could not be read, or that classify a feature
        otherwise than a file before them, with the error (:func:`merge_taxonomies`).
    """
    tables: list[Path] = []
    found: list[tuple[Path, str, Callable[[], Source]]] = []
    for path in paths:
        if taxonomy_file_kind(Path(path)) is None:
            tables.append(path)
        else:
            found.append((path, str(path), partial(Source.open, Path(path))))
    taxonomy, errors = merge_taxonomies(found)
    return tables, taxonomy, errors
