"""Opening input files safely: size limits, transparent decompression, text
decoding that survives spreadsheets (BOM, CRLF, Latin-1), and the head of a
file that sniffers look at."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import math
import os
import re
import stat
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO

from ..errors import ContentLimitError, FormatError, GutBalanceWarning, SampleLeftOutWarning, SizeLimitError
from .archive import check_zip_bytes
from .limits import (
    CHUNK_BYTES,
    InputLimits,
    default_limits,
)

#: Bytes sniffers see.
HEAD_BYTES = 64 * 1024
#: How far the head reaches to hold whole lines when the first lines are
#: longer than HEAD_BYTES (a wide table's lineage header, BIOM JSON on one line).
MAX_HEAD_BYTES = 256 * 1024**2
#: Whole lines the head holds at least, however long they are.
HEAD_MIN_LINES = 3
#: Past this many expanded bytes, the ratio is also checked against the
#: compressed bytes read so far, so a bomb is caught where it starts rather
#: than at the end of the file (a small file may start with a long run).
RATIO_CHECK_FROM_BYTES = 4 * 1024**2
#: Ratio limit for compressed binary content (HDF5 for BIOM 2.1, zip): these
#: formats compress their own data, so gzip gains them little; a BIOM file
#: expanding 100 times is zeros, not a table.
BINARY_MAX_RATIO = 100

_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
}
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
ZIP_MAGIC = b"PK\x03\x04"
_OPENERS = {"gzip": gzip.GzipFile, "bz2": bz2.BZ2File, "xz": lzma.LZMAFile}

def compression_of(head: bytes) -> str | None:
    """``gzip``, ``bz2`` or ``xz`` from the magic bytes at the start of a file, else None."""
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    return None


# Control bytes that text files do not contain (tab, newlines, form feed and
# escape are allowed).
_BINARY_CONTROL = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])


#: Any one of them.
_BINARY_BYTE = re.compile(b"[" + re.escape(_BINARY_CONTROL) + b"]")


def looks_binary(head: bytes) -> bool:
    """True for content that is neither text nor a binary profile format
    (HDF5 for BIOM 2.1, zip for ``.qza``): what :func:`decode_text` refuses."""
    if head.startswith((HDF5_MAGIC, ZIP_MAGIC, b"\xff\xfe", b"\xfe\xff")):
        return False
    sample = head[:HEAD_BYTES]
    controls = len(sample) - len(sample.translate(None, _BINARY_CONTROL))
    return b"\x00" in sample or controls > max(8, len(sample) // 100)


def first_binary_byte(data: bytes) -> str:
    """Where the first byte no text file holds is, for the error that refuses
    the file (a NUL-damaged profile was refused without a place: an outside
    check): ``" (a NUL byte at line 3, byte 120 of the file)"``, or "" when the
    head holds none (many control bytes, not one)."""
    sample = data[:HEAD_BYTES]
    found = _BINARY_BYTE.search(sample)
    if found is None:
        return ""
    at = found.start()
    what = "a NUL byte" if sample[at] == 0 else f"a control byte 0x{sample[at]:02x}"
    line = sample[:at].count(b"\n") + 1
    return f" ({what} at line {line}, byte {at + 1} of the file: a damaged or non-text file)"


def _line_count(chunk: bytes) -> int:
    # Old Mac files end lines with a bare CR; count whichever ending the chunk uses.
    return max(chunk.count(b"\n"), chunk.count(b"\r"))


class _Budget:
    """Counts expanded bytes and lines against the limits as chunks arrive."""

    def __init__(
        self,
        limits: InputLimits,
        *,
        path: str | Path | None,
        what: str,
        compressed: int | None,
        consumed: Callable[[], int] | None = None,
    ) -> None:
        self.limits = limits
        self.path = path
        self.what = what
        self.compressed = compressed
        self.consumed = consumed
        self.max_ratio = limits.max_ratio
        self.bytes = 0
        self.lines = 0

    def add(self, chunk: bytes) -> None:
        limits = self.limits
        self.bytes += len(chunk)
        if self.bytes > limits.max_expanded_bytes:
            raise SizeLimitError(
                f"{self.what} expands beyond the limit of {limits.max_expanded_bytes:,} bytes; "
                "refusing it (a possible archive bomb)",
                path=self.path,
            )
        if self.compressed is not None and self.bytes > max(self.compressed, 1) * self.max_ratio:
            raise SizeLimitError(
                f"{self.what} expands more than {self.max_ratio}:1 (over {self.bytes:,} bytes from "
                f"{self.compressed:,}); refusing a possible archive bomb",
                path=self.path,
            )
        if self.consumed is not None and self.bytes > RATIO_CHECK_FROM_BYTES:
            read = max(self.consumed(), 1)
            if self.bytes > read * self.max_ratio:
                raise SizeLimitError(
                    f"{self.what} expands more than {self.max_ratio}:1 ({self.bytes:,} bytes from the first "
                    f"{read:,}); refusing a possible archive bomb",
                    path=self.path,
                )
        if limits.max_lines is not None:
            self.lines += _line_count(chunk)
            if self.lines > limits.max_lines:
                raise ContentLimitError(
                    f"the file has more than {limits.max_lines:,} lines, over the limit", path=self.path
                )


def _stream(
    raw: IO[bytes], kind: str, *, compressed: int, limits: InputLimits, path: str | Path | None, keep: bool
) -> bytes:
    """Decompress ``raw`` a chunk at a time within ``limits``; the content if
    ``keep``, else only checked (``b""``)."""
    start = raw.tell()
    budget = _Budget(
        limits, path=path, what=f"the {kind} content", compressed=compressed, consumed=lambda: raw.tell() - start
    )
    out = io.BytesIO() if keep else None
    first = True
    try:
        with (gzip.GzipFile(fileobj=raw) if kind == "gzip" else _OPENERS[kind](raw)) as fh:
            while chunk := fh.read(CHUNK_BYTES):
                if first:
                    first = False
                    if looks_binary(chunk):
                        raise FormatError(f"binary content inside the {kind} file, not a profile", path=path)
                    if chunk.startswith((HDF5_MAGIC, ZIP_MAGIC)):
                        budget.max_ratio = min(limits.max_ratio, BINARY_MAX_RATIO)
                budget.add(chunk)
                if out is not None:
                    out.write(chunk)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise FormatError(f"corrupt or truncated {kind} data ({exc})", path=path) from None
    return out.getvalue() if out is not None else b""


def _check_plain(data: bytes, *, limits: InputLimits, path: str | Path | None) -> None:
    budget = _Budget(limits, path=path, what="the file", compressed=None)
    budget.add(data)


def read_bytes(path: str | os.PathLike[str], *, limits: InputLimits | None = None) -> bytes:
    """The file's content, decompressed if it is gzip/bz2/xz, within ``limits``
    (default :func:`default_limits`).  Decompression streams: a bomb costs
    at most its limit in memory and time."""
    path = Path(path)
    limits = limits or default_limits()
    try:
        status = path.stat()
        if stat.S_ISDIR(status.st_mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(status.st_mode):
            # A pipe (a shell's <(zcat ...)) cannot be read again, nor sought back to its start after
            # its first bytes are sniffed; a named one that is opened twice waits for a writer for good.
            raise FormatError("is a pipe, socket or device, not a file: save its content to a file and give that",
                              path=path)
        size = status.st_size
        if size > limits.max_bytes:
            raise SizeLimitError(f"file is {size:,} bytes, over the limit of {limits.max_bytes:,}", path=path)
        with path.open("rb") as fh:
            kind = compression_of(fh.read(8))
            fh.seek(0)
            if kind:
                return _stream(fh, kind, compressed=size, limits=limits, path=path, keep=True)
            data = fh.read()
        _check_plain(data, limits=limits, path=path)
        return data
    except FileNotFoundError:
        raise FormatError("no such file", path=path) from None
    except IsADirectoryError:
        raise FormatError("is a directory, not a file", path=path) from None
    except PermissionError:
        raise FormatError("permission denied", path=path) from None


def expand_bytes(data: bytes, *, name: str = "<upload>", limits: InputLimits | None = None, keep: bool = True) -> bytes:
    """Content already in memory (an upload), decompressed if it is
    gzip/bz2/xz, within ``limits``; with ``keep=False`` only checked, holding
    one chunk at a time.  A zip archive's declared member sizes are checked
    against the limits too (its members stream later, see :mod:`.formats.qza`)."""
    limits = limits or default_limits()
    if len(data) > limits.max_bytes:
        raise SizeLimitError(f"the file is {len(data):,} bytes, over the limit of {limits.max_bytes:,}", path=name)
    kind = compression_of(data[:8])
    if kind:
        return _stream(io.BytesIO(data), kind, compressed=len(data), limits=limits, path=name, keep=keep)
    if data.startswith(ZIP_MAGIC):
        check_zip_bytes(data, path=Path(name), limits=limits)
    elif not data.startswith(HDF5_MAGIC):
        _check_plain(data, limits=limits, path=name)
    return data


def decode_text(data: bytes, *, path: str | Path | None = None) -> str:
    """Decode bytes as text: UTF-8 (with or without BOM), UTF-16 with BOM,
    else Latin-1 (what old spreadsheets write).  Binary data is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise FormatError("invalid UTF-16 text", path=path) from None
    if looks_binary(data[:HEAD_BYTES]):
        raise FormatError("binary content, not a text profile", path=path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text


@dataclass
class Source:
    """A file as the readers see it: its path, raw bytes, (lazily) text, and
    the limits it was opened with (readers of containers, such as ``.qza``,
    apply them to what they unpack)."""

    path: Path
    data: bytes
    limits: InputLimits = field(default_factory=InputLimits)

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, limits: InputLimits | None = None) -> Source:
        """A file on disk, decompressed if it is gzip/bz2/xz, within ``limits``
        (else the command line's, :func:`~.limits.default_limits`)."""
        limits = limits or default_limits()
        return cls(Path(path), read_bytes(path, limits=limits), limits)

    @classmethod
    def from_bytes(cls, data: bytes, name: str = "<upload>", *, limits: InputLimits | None = None) -> Source:
        """A source for content already in memory (uploads); compressed content is expanded."""
        limits = limits or default_limits()
        return cls(Path(name), expand_bytes(data, name=name, limits=limits), limits)

    @property
    def head(self) -> bytes:
        """The first bytes, what a sniffer looks at."""
        return self.data[:HEAD_BYTES]

    @property
    def is_hdf5(self) -> bool:
        """Whether the content is HDF5 (BIOM 2.1, h5ad)."""
        return self.data.startswith(HDF5_MAGIC)

    @property
    def is_zip(self) -> bool:
        """Whether the content is a zip archive (QIIME 2 ``.qza``)."""
        return self.data.startswith(ZIP_MAGIC)

    @cached_property
    def text(self) -> str:
        """The whole file as text (raises FormatError for binary content)."""
        return decode_text(self.data, path=self.path)

    @cached_property
    def head_lines(self) -> list[str] | None:
        """Up to 200 lines of the start of the file, or None if it is not text."""
        if self.is_hdf5 or self.is_zip:
            return None
        if len(self.data) <= HEAD_BYTES:
            try:
                return self.all_lines[:200]
            except FormatError:
                return None
        end = HEAD_BYTES
        if self.data.count(b"\n", 0, HEAD_BYTES) < HEAD_MIN_LINES:
            # Lines longer than the head: read on to the end of the third line,
            # so a sniffer sees a wide table's header and its first rows whole.
            pos = -1
            for _ in range(HEAD_MIN_LINES):
                found = self.data.find(b"\n", pos + 1, MAX_HEAD_BYTES)
                if found < 0:
                    break
                pos = found
            end = max(HEAD_BYTES, pos + 1) if pos >= 0 else min(len(self.data), MAX_HEAD_BYTES)
        chunk = self.data[:end]
        try:
            text = decode_text(chunk, path=self.path)
        except FormatError:
            return None
        lines = text.splitlines()
        if end < len(self.data) and not chunk.endswith(b"\n") and len(lines) > 1:
            lines = lines[:-1]  # the last line may be cut mid-way
        return lines[:200]

    @cached_property
    def all_lines(self) -> list[str]:
        """Every line of the text, split once and shared by sniffers and readers."""
        return self.text.splitlines()

    def lines(self) -> list[str]:
        """A copy of :attr:`all_lines` that the caller may change."""
        return list(self.all_lines)


def tab_rows(
    lines: Sequence[str], columns: Sequence[str], *, path: str | Path | None, start: int = 1
) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` of each non-empty line of a tab-separated
    layout with a fixed set of ``columns`` (``lines`` numbered from
    ``start``); a line of another width is refused naming it and the
    columns, as a cut or hand-edited file is."""
    for lineno, ln in enumerate(lines, start=start):
        if not ln.strip():
            continue
        fields = ln.rstrip("\r\n").split("\t")
        if len(fields) != len(columns):
            raise FormatError(f"expected {len(columns)} tab-separated columns ({', '.join(columns)}), "
                              f"found {len(fields)}", path=path, line=lineno)
        yield lineno, fields


def is_number(text: str) -> bool:
    """Whether ``text`` reads as a number (``float``: NaN and infinity
    included), for sniffers telling a column of numbers from one of names.

    >>> is_number(" 1e-3"), is_number("Bacteroides")
    (True, False)
    """
    try:
        float(text)
    except ValueError:
        return False
    return True


#: What to do about a missing value in a profile (a merge in R or pandas
#: writes NA or NaN for a taxon one sample lacks): the reader refuses it
#: rather than guess whether it means "not seen" or "not measured".
MISSING_VALUE_HINT = ("write 0 for a taxon a sample does not have (a merge of tables writes NA or NaN there), and "
                      "leave out a sample that was not measured")


def parse_number(
    token: str,
    *,
    path: str | Path | None,
    line: int | None,
    field: str | None,
    what: str = "value",
    maximum: float | None = None,
) -> float:
    """A non-negative, finite number from one field, or a :class:`FormatError`
    that names the file, line and field (``what`` names the quantity in the
    message: "abundance", "percentage" ...)."""
    try:
        value = float(token)
    except ValueError:
        hint = f": {MISSING_VALUE_HINT}" if token.strip().lower() in ("na", "n/a", "null", "none", "-") else ""
        raise FormatError(f"{token.strip()!r} is not a number{hint}", path=path, line=line, field=field) from None
    if math.isnan(value):
        raise FormatError(f"{what} is NaN: {MISSING_VALUE_HINT}", path=path, line=line, field=field)
    if math.isinf(value):
        raise FormatError(f"{what} is infinite", path=path, line=line, field=field)
    if value < 0:
        raise FormatError(f"negative {what} {value}", path=path, line=line, field=field)
    if maximum is not None and value > maximum:
        raise FormatError(f"{what} {value} is above {maximum:g}", path=path, line=line, field=field)
    return value


def warn_empty_cells(path: str | Path | None, first: tuple[int, str], count: int) -> None:
    """Warn that ``count`` empty value cells of a table were read as 0,
    naming the first (line, field).

    An empty cell is 0 as a spreadsheet or an outer join in pandas (which
    writes a missing value as an empty cell) leaves a taxon a sample does not
    have; but a cell emptied by mistake moves the scores too, so the file gets
    one warning (the same in every format that reads empty cells)."""
    warnings.warn(
        f"{path}, line {first[0]}, field {first[1]!r}: {count:,} empty value cell{'s' if count > 1 else ''} read "
        "as 0 (this is the first); write 0 where a taxon was not seen, so that a cell emptied by mistake stands out",
        GutBalanceWarning,
        stacklevel=3,
    )


_SAMPLE_SUFFIX = re.compile(
    r"[._-](metaphlan\d*|mpa\d*|profiled?|profiled_metagenome|kraken\d*|kreport\d*|bracken|report|"
    r"abundance|abundances|new|txt|tsv|csv|gz|bz2|xz|biom|qza)$",
    re.IGNORECASE,
)


def sample_name_from_path(path: str | Path) -> str:
    """A sample name from a file name, without the extensions and the
    suffixes profilers add (``S1_metaphlan3.txt`` -> ``S1``)."""
    name = path.name if isinstance(path, Path) else Path(path).name
    while True:
        shorter = _SAMPLE_SUFFIX.sub("", name)
        if shorter == name or not shorter:
            return name
        name = shorter


def motus_version(comments: list[str]) -> str:
    """The mOTUs version and taxonomy its header comment names
    (``# git tag version 3.0.3 | motus version 3.0.3 | ... | taxonomy: ...``),
    or "" (read from CAMI files, which ``motus profile -C`` writes, and from the
    profiler's own layout: both formats' modules use it)."""
    for comment in comments:
        parts = [p.strip() for p in comment.lstrip("#").split("|")]
        version = next((p for p in parts if re.search(r"\bmotus version\b", p, re.IGNORECASE)), None)
        if version:
            taxonomy = next((p for p in parts if p.lower().startswith("taxonomy:")), None)
            return "; ".join(p for p in (version, taxonomy) if p)
    return ""


def warn_duplicate_samples(names: list[str], path: str | Path | None, line: int, *, what: str = "column") -> set[str]:
    """Warn, once per name, about sample names a table repeats, and return
    them: which of the repeated columns is that sample cannot be told, so all
    of them are left out and the table's other samples read (refused when
    there are none) (a merged table
    of MetAML headed by its sampleID row, 243 names repeated, was refused
    whole: none of its 3,367 other samples scored; an outside check)."""
    seen: dict[str, list[int]] = {}
    for position, name in enumerate(names, start=1):
        seen.setdefault(name, []).append(position)
    repeated = {name: at for name, at in seen.items() if len(at) > 1}
    others = len(names) - sum(len(at) for at in repeated.values())
    if repeated and not others:
        raise FormatError(f"every sample {what}'s name repeats: {', '.join(sorted(repeated))}", path=path, line=line)
    for name, at in repeated.items():
        where = ", ".join(map(str, at[:5])) + (" ..." if len(at) > 5 else "")
        warnings.warn(
            SampleLeftOutWarning(
                f"{path}, line {line}: sample {what} {name!r} appears {len(at)} times (sample {what}s {where}): "
                f"which is {name!r} cannot be told, so all {len(at)} are left out and the table's "
                f"{others} other sample{'s are' if others != 1 else ' is'} read (give each its own name to score "
                "them)",
                name,
            ),
            stacklevel=3,
        )
    return set(repeated)


def safe_file_name(sample: str) -> str:
    """``sample`` as the name of a file in the writer's folder: no path
    separator or NUL, so a sample named ``../escaped`` cannot write outside it
    (the per-sample MetaPhlAn writer let it; an outside check)."""
    return re.sub(r"[/\\\x00]", "_", sample) or "sample"


def safe_file_names(samples: list[str], path: str | Path | None = None) -> list[str]:
    """:func:`safe_file_name` of each sample, refused when two come out the same
    (``a/b`` and ``a_b``: one file was silently written over the other; an
    outside review)."""
    names = [safe_file_name(s) for s in samples]
    seen: dict[str, str] = {}
    for sample, name in zip(samples, names, strict=True):
        if name in seen:
            raise FormatError(f"samples {seen[name]!r} and {sample!r} would both be written to the file {name!r}: "
                              "rename one of them", path=path)
        seen[name] = sample
    return names
