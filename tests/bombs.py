"""Decompression bombs, built byte by byte in a moment (never shipped).

A gzip or zip member holding gigabytes of one repeated byte is made from one
deflated megabyte repeated: each megabyte is compressed with a full flush,
which makes its compressed form independent of what came before, so the
same bytes can be written again and again.  The results are valid files
(correct CRC-32 and sizes) that decompress to the full size, like the ones
issue 15 used: a 2.1 MB gzip of ~2.1 GB of zeros (ratio ~990) and a ~1.1 MB
``.qza`` whose table expands ~980 times.
"""

from __future__ import annotations

import struct
import zlib

MB = 1 << 20


def _deflated_megabyte(byte: bytes, level: int) -> tuple[bytes, bytes]:
    """(the raw-deflate form of one megabyte of ``byte`` that can be repeated, the final empty block)."""
    unit = byte * MB
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    first = compressor.compress(unit) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(unit) + compressor.flush(zlib.Z_FULL_FLUSH)
    if first != again:  # pragma: no cover - a full flush resets the window
        raise AssertionError("deflate output of a repeated megabyte is not repeatable")
    return first, compressor.flush(zlib.Z_FINISH)


def _crc_of_repeats(byte: bytes, megabytes: int) -> int:
    unit = byte * MB
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(unit, crc)
    return crc


def _padded(block: bytes, megabytes: int, ratio: float | None) -> tuple[bytes, int]:
    """``block`` repeated, each followed by stored zero-length blocks so that
    the ratio is ``ratio`` all along the stream, not only overall (a deflate
    stream may hold empty stored blocks: 5 bytes each, 00 00 00 ff ff)."""
    if ratio is None:
        return block * megabytes, 0
    pad = max(0, round((MB / ratio - len(block)) / 5))
    return (block + b"\x00\x00\x00\xff\xff" * pad) * megabytes, pad


def gzip_bomb(megabytes: int = 2100, *, byte: bytes = b"\x00", ratio: float | None = 990, prefix: bytes = b"") -> bytes:
    """A gzip file that expands to ``prefix`` and ``megabytes`` MiB of ``byte``
    (a prefix such as the HDF5 signature makes the zeros look like a BIOM file)."""
    block, final = _deflated_megabyte(byte, 9)
    body, _ = _padded(block, megabytes, ratio)
    head = b""
    crc = 0
    if prefix:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
        crc = zlib.crc32(prefix)
    unit = byte * MB
    for _ in range(megabytes):
        crc = zlib.crc32(unit, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    size = (len(prefix) + megabytes * MB) & 0xFFFFFFFF
    return header + head + body + final + struct.pack("<II", crc, size)


def _zip(members: list[tuple[str, int, bytes, int, int]]) -> bytes:
    """A zip from (name, method, data, crc, uncompressed size) members."""
    out = bytearray()
    central = bytearray()
    for name, method, data, crc, size in members:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), size, len(encoded), 0)
        out += encoded + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(data), size, len(encoded), 0, 0, 0, 0, 0, offset
        )
        central += encoded
    start = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), start, 0)
    return bytes(out)


def qza_bomb(megabytes: int = 1070, *, ratio: float | None = 982) -> bytes:
    """A FeatureTable[Frequency] ``.qza`` whose ``feature-table.biom`` member
    expands to ``megabytes`` MiB of zeros (the member sizes are declared
    truthfully: only the ratio gives it away)."""
    uuid = "0f0e0d0c-0b0a-4908-8706-050403020100"
    meta = f"uuid: {uuid}\ntype: FeatureTable[Frequency]\nformat: BIOMV210DirFmt\n".encode()
    block, final = _deflated_megabyte(b"\x00", 9)
    body, _ = _padded(block, megabytes, ratio)
    data = body + final
    return _zip(
        [
            (f"{uuid}/metadata.yaml", 0, meta, zlib.crc32(meta), len(meta)),
            (f"{uuid}/data/feature-table.biom", 8, data, _crc_of_repeats(b"\x00", megabytes), megabytes * MB),
        ]
    )
