"""The registry of formats.  Each format module registers a sniffer (looks at
a :class:`~.source.Source`, returns True or False, never raises), a reader
(returns :class:`~gutbalance.cohort.SampleProfile` records or raises
:class:`~gutbalance.errors.FormatError`) and optionally a writer with the
file name endings it writes (:attr:`Format.extensions`).

Reading picks a format by content (:func:`sniff`), writing by the output's
suffix (:func:`format_for_path`); both ask only this registry.  The built-in
formats register when :mod:`gutbalance.io` imports :mod:`gutbalance.io.formats`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..cohort import Cohort, SampleProfile
from ..errors import FormatError, GutBalanceError, UnrecognizedFormatError
from .source import Source, first_binary_byte

Sniffer = Callable[["Source"], bool]
Diagnose = Callable[["Source"], "FormatError | None"]
Reader = Callable[["Source"], "list[SampleProfile]"]
Writer = Callable[["Cohort", Path], None]


@dataclass(frozen=True)
class Format:
    """One file format: how to recognise it, read it and (optionally) write it."""

    name: str
    description: str
    sniff: Sniffer
    read: Reader | None = None
    write: Writer | None = None
    #: The file name endings (lower case, with the dot) :func:`gutbalance.io.write`
    #: writes this format for, the usual one first.  No two formats with a
    #: writer may list the same ending; reading never looks at them (a file
    #: is recognised by its content).
    extensions: tuple[str, ...] = ()
    #: When two sniffers accept a file, the higher priority wins (a specific
    #: format over the generic table).  Equal priorities are ambiguous.
    priority: int = 10
    #: The reader takes ``taxonomy=`` (a :class:`~.formats.table.FeatureTaxonomy`
    #: read beside feature tables: QIIME 2 taxonomy .qza or taxonomy.tsv).
    takes_taxonomy: bool = False
    #: The reader takes ``feature_rank=``: the standard rank of bare taxon
    #: names the file does not give a rank for (a samples x genera table
    #: headed ``SampleID, Lysinibacillus, UCG-002``), declared by the user.
    takes_feature_rank: bool = False
    #: Asked when no sniffer accepted a file: the error saying why a file that
    #: is plainly meant as this format (HDF5 for BIOM) is corrupt, or None.
    diagnose: Diagnose | None = None
    #: Why the counts this format's reader gives are a profiler's estimates,
    #: not reads counted (MetaPhlAn's ``estimated_number_of_reads_from_the_clade``,
    #: Bracken's ``new_est_reads``, mOTUs' scaled insert counts), with the
    #: source; "" for a format whose counts are reads counted.  The one place
    #: this is said: writers do not write such counts as read counts
    #: (:func:`observed_count_samples`), and it is the reason Chao1 is missing
    #: (``chao1_missing``, :func:`estimated_counts_reason`) for such a sample
    #: and for one read back from a file written from it.
    estimated_counts: str = ""
    #: A text format of lines that every tool writing it ends with a newline,
    #: the last line included: a file that stops mid-line may have been cut
    #: short inside its last value, which still parses.  The reading layer
    #: reads it with a warning (:func:`gutbalance.io._warn_if_cut`).  False
    #: for binary and JSON formats, and for MetaPhlAn's, whose readers judge
    #: it themselves (a profile's free-text last field is refused).
    ends_with_newline: bool = False


@dataclass(frozen=True)
class NotAProfile:
    """A kind of file that sits beside profiles and is not one (a tool's
    score or model file), recognised so that it is reported as what it is
    rather than read as an abundance table or refused as unknown."""

    name: str
    #: What the file is, said to the user ("the GMWI2 tool's list of ...").
    description: str
    #: Precise: True only for this kind of file; never raises.
    sniff: Sniffer


_FORMATS: dict[str, Format] = {}
_NOT_PROFILES: dict[str, NotAProfile] = {}
#: Output file name ending -> the format written for it (from ``Format.extensions``).
_WRITTEN_AS: dict[str, Format] = {}


#: Where the refusal of an unknown file sends a command-line user for the
#: full list (the web app, which has no such command, drops it).
FORMATS_LIST_HINT = " and the others `gutbalance formats` lists"

#: The end-of-archive record that opens a zip holding no file (``PK\x05\x06``).
_EMPTY_ZIP = b"PK\x05\x06"

def register(fmt: Format) -> Format:
    """Add a format to the registry (each format module calls this once on import).

    Raises
    ------
    ValueError
        A format of that name is registered already, or a format with a
        writer claims a file name ending another writer has.
    """
    if fmt.name in _FORMATS:
        raise ValueError(f"format {fmt.name!r} registered twice")
    if fmt.write is not None:
        for extension in fmt.extensions:
            if extension != extension.lower() or not extension.startswith("."):
                raise ValueError(f"format {fmt.name!r}: extension {extension!r} must be lower case and start with '.'")
            if extension in _WRITTEN_AS:
                raise ValueError(f"formats {_WRITTEN_AS[extension].name!r} and {fmt.name!r} both write {extension!r}")
    _FORMATS[fmt.name] = fmt
    if fmt.write is not None:
        for extension in fmt.extensions:
            _WRITTEN_AS[extension] = fmt
    return fmt


def register_not_a_profile(kind: NotAProfile) -> NotAProfile:
    """Add a kind of non-profile file that :func:`sniff` names instead of reading.

    Raises
    ------
    ValueError
        A kind of that name is registered already.
    """
    if kind.name in _NOT_PROFILES:
        raise ValueError(f"non-profile kind {kind.name!r} registered twice")
    _NOT_PROFILES[kind.name] = kind
    return kind


def not_profiles() -> dict[str, NotAProfile]:
    """The registered kinds of files that are not profiles, by name."""
    return dict(_NOT_PROFILES)


def formats() -> dict[str, Format]:
    """All registered formats by name."""
    return dict(_FORMATS)


def estimated_counts_reason(name: str) -> str:
    """Why the counts of a sample from the format called ``name`` are not
    reads counted (:attr:`Format.estimated_counts`); "" for a format whose
    counts are.  A name no registered format has (a file written elsewhere
    naming another profiler) gets a reason that names it."""
    fmt = _FORMATS.get(name)
    if fmt is not None:
        return fmt.estimated_counts
    if not name:
        return ""
    return f"the reads were estimated by {name}, not counted: Chao1 needs observed singletons and doubletons"


def counts_estimated_by(cohort: Cohort) -> np.ndarray:
    """Per sample, the format whose reader gave its read counts as a
    profiler's estimates, or "" (object array).

    That is the sample's own ``source_format`` when the sample has counts and
    the format has :attr:`Format.estimated_counts`, else what a file written
    from such a sample carries (``samples["counts_estimated_by"]``: the
    writers write relative abundances for estimates, and say whose estimates
    they were where the format has room, so that the reason Chao1 is missing
    survives a conversion).  Each sample is judged on its own row."""
    n = cohort.n_samples
    samples = cohort.samples
    formats_ = (samples["source_format"].fillna("").astype(str).to_numpy(dtype=object) if "source_format" in samples
                else np.full(n, "", dtype=object))
    estimating = np.array([bool(_FORMATS[f].estimated_counts) if f in _FORMATS else False for f in formats_.tolist()],
                          dtype=bool)
    out = np.where(cohort.counted_samples() & estimating, formats_, "").astype(object)
    if "counts_estimated_by" in samples:
        carried = samples["counts_estimated_by"].fillna("").astype(str).to_numpy(dtype=object)
        out = np.where(out == "", carried, out).astype(object)
    return out


def observed_count_samples(cohort: Cohort) -> np.ndarray:
    """Per sample: the cohort holds read counts for it that were counted, not
    estimated (its input gave counts and :func:`counts_estimated_by` names no
    format for it).

    A writer writes counts only for these: a file of read counts made from a
    profiler's estimates would pass them as reads to whoever reads it (Chao1
    from estimates), and would replace the profiler's relative abundances,
    which estimated reads need not be proportional to (MetaPhlAn's follow
    coverage times genome length, its abundances coverage alone)."""
    if cohort.counts is None:
        return np.zeros(cohort.n_samples, dtype=bool)
    return cohort.counted_samples() & (counts_estimated_by(cohort) == "")


def writes_counts(cohort: Cohort) -> bool:
    """Whether a writer of one table for the whole cohort (BIOM, QIIME 2, long
    CSV) writes read counts: only when every sample has observed counts
    (:func:`observed_count_samples`), else relative abundances."""
    return cohort.counts is not None and bool(observed_count_samples(cohort).all())


def format_for_path(path: Path) -> Format:
    """The format written for a file named ``path``: the one whose
    :attr:`Format.extensions` list its suffix.

    Raises
    ------
    FormatError
        No format is written with that suffix.
    """
    suffix = path.suffix.lower()
    if suffix not in _WRITTEN_AS:
        raise FormatError(f"cannot tell the output format from {suffix!r}; use --to", path=path)
    return _WRITTEN_AS[suffix]


def get_format(name: str) -> Format:
    """The format called ``name`` (case, ``_`` for ``-`` and a few aliases forgiven).

    Raises
    ------
    UnrecognizedFormatError
        No format has that name.
    """
    fmts = formats()
    key = name.strip().lower().replace("_", "-")
    aliases = {"biom-json": "biom", "biom-hdf5": "biom", "qiime2": "qza", "csv": "table", "tsv": "table"}
    key = aliases.get(key, key)
    if key not in fmts:
        raise UnrecognizedFormatError(f"unknown format {name!r}; known: {', '.join(sorted(fmts))}")
    return fmts[key]


def _safe_sniff(fmt: Format | NotAProfile, source: Source) -> bool:
    try:
        return bool(fmt.sniff(source))
    except GutBalanceError:
        return False
    except Exception:  # a sniffer must never raise; treat a crash as "no"
        return False


def sniff(source: Source, *, prefer: Format | None = None) -> Format:
    """The one format that recognises ``source``.

    Raises
    ------
    UnrecognizedFormatError
        When no readable format, or more than one of the same priority, accepts
        it, or when the file is of a kind known not to be a profile
        (:func:`register_not_a_profile`; the message says what it is).
    """
    # In a batch, the format of the previous file is asked first: a folder of
    # MetaPhlAn profiles is then recognised at the cost of one sniffer per
    # file.  Only for the specific formats, whose sniffers are precise (the
    # generic table's is not).
    generic = min(f.priority for f in formats().values())
    if prefer is not None and prefer.priority > generic and prefer.read is not None and _safe_sniff(prefer, source):
        return prefer
    # Before the formats: the generic table would read a tool's table of
    # coefficients as a sample named "coefficient".
    for kind in _NOT_PROFILES.values():
        if _safe_sniff(kind, source):
            raise UnrecognizedFormatError(f"not a profile: {kind.description}", path=source.path)
    # Sniff the most specific formats first: a lower-priority format (the
    # generic table) is only asked when no higher one recognised the file.
    by_priority: dict[int, list[Format]] = {}
    for f in formats().values():
        if f.read is not None:
            by_priority.setdefault(f.priority, []).append(f)
    top: list[Format] = []
    for priority in sorted(by_priority, reverse=True):
        top = [f for f in by_priority[priority] if _safe_sniff(f, source)]
        if top:
            break
    if not top:
        for f in formats().values():
            if f.diagnose is not None and (problem := f.diagnose(source)) is not None:
                raise problem
        if source.data.startswith(_EMPTY_ZIP):
            raise UnrecognizedFormatError("an empty zip archive: it holds no file", path=source.path)
        if source.is_zip:
            # a QIIME 2 artifact is a zip that a format above recognised; any other zip is a folder packed
            raise UnrecognizedFormatError(
                "a zip archive that is not a QIIME 2 artifact (.qza): unpack it and give the folder (the web app "
                "reads a zip of profiles as it is)", path=source.path)
        if source.head_lines is None and not source.is_hdf5:
            raise UnrecognizedFormatError("binary content that is not a known profile format"
                                          + first_binary_byte(source.data), path=source.path)
        if not source.data.strip():
            raise UnrecognizedFormatError("the file is empty", path=source.path)
        raise UnrecognizedFormatError(
            "not a recognised profile format (MetaPhlAn, Kraken 2/Bracken, mOTUs, CAMI, BIOM, QIIME 2 .qza, mothur, "
            f"CSV/TSV table{FORMATS_LIST_HINT}); use --format to force one",
            path=source.path,
        )
    if len(top) > 1:
        raise UnrecognizedFormatError(
            f"ambiguous: looks like {', '.join(f.name for f in top)}; use --format to choose", path=source.path
        )
    return top[0]


def verify(fmt: Format, source: Source) -> None:
    """An explicit ``format=`` is still checked by its sniffer."""
    if not _safe_sniff(fmt, source):
        if not source.data.strip():
            raise FormatError("the file is empty", path=source.path)
        raise FormatError(f"does not look like {fmt.description} ({fmt.name})", path=source.path)
