"""Opening input files safely: size limits, transparent decompression, text
decoding that survives spreadsheets (BOM, CRLF, Latin-1), and the head of a
file that sniffers look at."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import math
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..errors import ArchiveError, FormatError

#: Largest input accepted, before and after decompression (bytes).  A stool
#: profile is kilobytes; a merged table of 100,000 samples is a few GB at most.
MAX_INPUT_BYTES = 4 * 1024**3
#: Decompressed / compressed ratio above which a file is treated as a bomb.
MAX_COMPRESSION_RATIO = 1000
#: Bytes sniffers see.
HEAD_BYTES = 64 * 1024
#: How far the head reaches to hold whole lines when the first lines are
#: longer than HEAD_BYTES (a wide table's lineage header, BIOM JSON on one line).
MAX_HEAD_BYTES = 256 * 1024**2
#: Whole lines the head holds at least, however long they are.
HEAD_MIN_LINES = 3

_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
}
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
ZIP_MAGIC = b"PK\x03\x04"


def compression_of(head: bytes) -> str | None:
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    return None


def _decompress(path: Path, kind: str, limit: int) -> bytes:
    opener = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}[kind]
    compressed = path.stat().st_size
    cap = min(limit, max(compressed, 1) * MAX_COMPRESSION_RATIO)
    try:
        with opener(path, "rb") as fh:
            data = fh.read(cap + 1)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise FormatError(f"corrupt or truncated {kind} file ({exc})", path=path) from None
    if len(data) > cap:
        raise ArchiveError(
            f"{kind} file expands beyond {cap:,} bytes (ratio limit {MAX_COMPRESSION_RATIO}:1); refusing a possible archive bomb",
            path=path,
        )
    return data


def read_bytes(path: str | Path, *, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The file's content, decompressed if it is gzip/bz2/xz, within limits."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > limit:
            raise ArchiveError(f"file is {size:,} bytes, over the limit of {limit:,}", path=path)
        with path.open("rb") as fh:
            head = fh.read(8)
        kind = compression_of(head)
        if kind:
            return _decompress(path, kind, limit)
        return path.read_bytes()
    except FileNotFoundError:
        raise FormatError("no such file", path=path) from None
    except IsADirectoryError:
        raise FormatError("is a directory, not a file", path=path) from None
    except PermissionError:
        raise FormatError("permission denied", path=path) from None


# Control bytes that text files do not contain (tab, newlines, form feed and
# escape are allowed).
_BINARY_CONTROL = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])


def decode_text(data: bytes, *, path: str | Path | None = None) -> str:
    """Decode bytes as text: UTF-8 (with or without BOM), UTF-16 with BOM,
    else Latin-1 (what old spreadsheets write).  Binary data is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise FormatError("invalid UTF-16 text", path=path) from None
    sample = data[:HEAD_BYTES]
    controls = len(sample) - len(sample.translate(None, _BINARY_CONTROL))
    if b"\x00" in sample or controls > max(8, len(sample) // 100):
        raise FormatError("binary content, not a text profile", path=path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text


@dataclass
class Source:
    """A file as the readers see it: its path, raw bytes and (lazily) text."""

    path: Path
    data: bytes

    @classmethod
    def open(cls, path: str | Path) -> Source:
        return cls(Path(path), read_bytes(path))

    @classmethod
    def from_bytes(cls, data: bytes, name: str = "<upload>") -> Source:
        """A source for content already in memory (uploads); compressed content is expanded."""
        kind = compression_of(data[:8])
        if kind:
            opener = {"gzip": gzip.GzipFile, "bz2": bz2.BZ2File, "xz": lzma.LZMAFile}[kind]
            cap = min(MAX_INPUT_BYTES, max(len(data), 1) * MAX_COMPRESSION_RATIO)
            try:
                with opener(fileobj=io.BytesIO(data)) as fh:  # type: ignore[call-arg]
                    expanded = fh.read(cap + 1)
            except (OSError, EOFError, lzma.LZMAError) as exc:
                raise FormatError(f"corrupt or truncated {kind} data ({exc})", path=name) from None
            if len(expanded) > cap:
                raise ArchiveError("compressed upload expands too far; refusing a possible archive bomb", path=name)
            data = expanded
        return cls(Path(name), data)

    @property
    def head(self) -> bytes:
        return self.data[:HEAD_BYTES]

    @property
    def is_hdf5(self) -> bool:
        return self.data.startswith(HDF5_MAGIC)

    @property
    def is_zip(self) -> bool:
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
        return list(self.all_lines)


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
        raise FormatError(f"{token.strip()!r} is not a number", path=path, line=line, field=field) from None
    if math.isnan(value):
        raise FormatError(f"{what} is NaN", path=path, line=line, field=field)
    if math.isinf(value):
        raise FormatError(f"{what} is infinite", path=path, line=line, field=field)
    if value < 0:
        raise FormatError(f"negative {what} {value}", path=path, line=line, field=field)
    if maximum is not None and value > maximum:
        raise FormatError(f"{what} {value} is above {maximum:g}", path=path, line=line, field=field)
    return value


_SAMPLE_SUFFIX = re.compile(
    r"[._-](metaphlan\d*|mpa\d*|profiled?|profiled_metagenome|kraken\d*|kreport\d*|bracken|report|"
    r"abundance|abundances|new|txt|tsv|csv|gz|bz2|xz|biom|qza)$",
    re.IGNORECASE,
)


def sample_name_from_path(path: str | Path) -> str:
    """A sample name from a file name, without the extensions and the
    suffixes profilers add (``S1_metaphlan3.txt`` -> ``S1``)."""
    name = Path(path).name
    while True:
        shorter = _SAMPLE_SUFFIX.sub("", name)
        if shorter == name or not shorter:
            return name
        name = shorter
