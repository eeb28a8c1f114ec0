"""The registry of formats.  Each format module registers a sniffer (looks at
a :class:`~.source.Source`, returns True or False, never raises), a reader
(returns :class:`~gutbalance.cohort.SampleProfile` records or raises
:class:`~gutbalance.errors.FormatError`) and optionally a writer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FormatError, GutBalanceError, UnrecognizedFormatError

if TYPE_CHECKING:
    from ..cohort import Cohort, SampleProfile
    from .source import Source

Sniffer = Callable[["Source"], bool]
Reader = Callable[["Source"], "list[SampleProfile]"]
Writer = Callable[["Cohort", Path], None]


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    sniff: Sniffer
    read: Reader | None = None
    write: Writer | None = None
    extensions: tuple[str, ...] = ()
    #: When two sniffers accept a file, the higher priority wins (a specific
    #: format over the generic table).  Equal priorities are ambiguous.
    priority: int = 10
    #: The reader takes ``taxonomy=`` (a :class:`~.formats.table.FeatureTaxonomy`
    #: read beside feature tables: QIIME 2 taxonomy .qza or taxonomy.tsv).
    takes_taxonomy: bool = False


_FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    if fmt.name in _FORMATS:
        raise ValueError(f"format {fmt.name!r} registered twice")
    _FORMATS[fmt.name] = fmt
    return fmt


def formats() -> dict[str, Format]:
    """All registered formats by name."""
    _load_builtin()
    return dict(_FORMATS)


def get_format(name: str) -> Format:
    fmts = formats()
    key = name.strip().lower().replace("_", "-")
    aliases = {"biom-json": "biom", "biom-hdf5": "biom", "qiime2": "qza", "csv": "table", "tsv": "table"}
    key = aliases.get(key, key)
    if key not in fmts:
        raise UnrecognizedFormatError(f"unknown format {name!r}; known: {', '.join(sorted(fmts))}")
    return fmts[key]


def _safe_sniff(fmt: Format, source: Source) -> bool:
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
        When no readable format, or more than one of the same priority, accepts it.
    """
    # In a batch, the format of the previous file is asked first: a folder of
    # MetaPhlAn profiles is then recognised at the cost of one sniffer per
    # file.  Only for the specific formats, whose sniffers are precise (the
    # generic table's is not).
    generic = min(f.priority for f in formats().values())
    if prefer is not None and prefer.priority > generic and prefer.read is not None and _safe_sniff(prefer, source):
        return prefer
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
        if source.head_lines is None and not (source.is_hdf5 or source.is_zip):
            raise UnrecognizedFormatError("binary content that is not a known profile format", path=source.path)
        if not source.data.strip():
            raise UnrecognizedFormatError("the file is empty", path=source.path)
        raise UnrecognizedFormatError(
            "not a recognised profile format (MetaPhlAn, Kraken2/Bracken, CAMI, BIOM, QIIME 2 .qza, CSV/TSV table); "
            "use --format to force one",
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


_loaded = False
# Threads (the web app's upload workers) may ask for the formats at the same
# time: without the lock a second thread saw ``_loaded`` already True while
# the first was still importing, and found no format for a valid file.
_load_lock = threading.RLock()


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if _loaded:
            return
        # Importing a format module registers it.  (By name: the package
        # attribute ``formats`` is this module's function, not the subpackage.)
        import importlib

        importlib.import_module("gutbalance.io.formats")
        _loaded = True
