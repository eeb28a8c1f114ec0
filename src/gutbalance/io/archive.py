"""QIIME 2 archives (``.qza``): zip files opened safely in memory, their
members streamed within limits, and written.

An artifact is a zip with one top folder named by its UUID::

    <uuid>/VERSION
    <uuid>/metadata.yaml          uuid, type, format
    <uuid>/data/feature-table.biom    FeatureTable[Frequency | RelativeFrequency] (BIOM 2.1)
    <uuid>/data/taxonomy.tsv          FeatureData[Taxonomy]
    <uuid>/provenance/...

Safety
------
Archives are opened in memory and refused (:class:`~gutbalance.errors.ArchiveError`)
when larger than :data:`MAX_ARCHIVE_BYTES`, with more than :data:`MAX_MEMBERS`
members, more than :data:`MAX_UNCOMPRESSED_BYTES` uncompressed, a member or the
whole expanding more than :data:`MAX_RATIO` times (a zip bomb), a member name
that is absolute or has ``..`` (path traversal), a symlink, an encrypted or
duplicated member.  Nothing is ever extracted to disk.

Used by the QIIME 2 format (:mod:`.formats.qza`), by taxonomy artifacts read
beside tables (:mod:`.taxonomy_file`) and by :func:`.source.expand_bytes`,
which checks an upload's zip directory before anything is decompressed.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid as uuidlib
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from .._version import __version__
from ..errors import ArchiveError, CorruptMemberError, FormatError, SizeLimitError
from .limits import CHUNK_BYTES, MAX_COMPRESSION_RATIO, MAX_INPUT_BYTES, InputLimits

#: Largest .qza accepted (compressed bytes).
MAX_ARCHIVE_BYTES = 2 * 1024**3
#: Most members accepted (QIIME 2 artifacts have tens; deep provenance a few thousand).
MAX_MEMBERS = 10_000
#: Most bytes all members may expand to.
MAX_UNCOMPRESSED_BYTES = MAX_INPUT_BYTES
#: Uncompressed / compressed ratio above which a member or the archive is a bomb.
MAX_RATIO = MAX_COMPRESSION_RATIO
#: Members smaller than this are never treated as bombs (a tiny file of zeros compresses well).
_RATIO_FLOOR = 1024**2

METADATA_MEMBER = re.compile(r"^([^/]+)/metadata\.yaml$")
#: The type of a QIIME 2 taxonomy artifact.
TAXONOMY_TYPE = "FeatureData[Taxonomy]"


@dataclass
class Artifact:
    """An opened, checked artifact."""

    path: Path
    zip: zipfile.ZipFile
    root: str
    type: str
    format: str
    limits: InputLimits | None = None

    def member(self, relative: str) -> bytes:
        """The bytes of ``<uuid>/<relative>`` (streamed within the limits)."""
        name = f"{self.root}/{relative}"
        try:
            info = self.zip.getinfo(name)
        except KeyError:
            raise FormatError(f"the {self.type} artifact has no {relative}", path=self.path) from None
        return read_member(self.zip, info, self.path, limits=self.limits)


def _unsafe_name(name: str) -> bool:
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
        return True
    return any(part == ".." for part in re.split(r"[/\\]", name))


def check_archive(
    zf: zipfile.ZipFile, size: int, path: Path, *, limits: InputLimits | None = None
) -> list[zipfile.ZipInfo]:
    """Refuse unsafe archives (see the module docstring); return the members.

    Sizes are the ones the archive declares; :func:`read_member` never reads
    more than a member declares, so these checks bound what unpacking costs.
    """
    max_total = min(MAX_UNCOMPRESSED_BYTES, limits.max_expanded_bytes) if limits else MAX_UNCOMPRESSED_BYTES
    max_ratio = min(MAX_RATIO, limits.max_ratio) if limits else MAX_RATIO
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(f"the archive has {len(infos):,} members, over the limit of {MAX_MEMBERS:,}", path=path)
    total = 0
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if _unsafe_name(name):
            raise ArchiveError(f"member {name!r} has an unsafe path (absolute or '..'); refusing the archive", path=path)
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise ArchiveError(f"member {name!r} is a symbolic link; refusing the archive", path=path)
        if info.flag_bits & 0x1:
            raise ArchiveError(f"member {name!r} is encrypted", path=path)
        if name in seen:
            raise ArchiveError(f"member {name!r} appears twice", path=path)
        seen.add(name)
        if info.file_size > _RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
            raise SizeLimitError(
                f"member {name!r} expands {info.file_size:,} bytes from {info.compress_size:,} "
                f"(ratio limit {max_ratio}:1); refusing a possible archive bomb",
                path=path,
            )
        total += info.file_size
    if total > max_total:
        # the whole directory's total (read above, nothing decompressed), not the sum at the member that passed the limit
        raise SizeLimitError(
            f"the archive expands to {total:,} bytes, over the limit of {max_total:,}; refusing it (a possible archive bomb)",
            path=path,
        )
    if total > _RATIO_FLOOR and total > max_ratio * max(size, 1):
        raise SizeLimitError(
            f"the archive expands {total:,} bytes from {size:,} (ratio limit {max_ratio}:1); "
            "refusing a possible archive bomb",
            path=path,
        )
    return infos


def check_zip_bytes(data: bytes, *, path: Path, limits: InputLimits) -> None:
    """Check a zip held in memory against ``limits`` from its directory alone
    (nothing is decompressed); an unreadable zip is left to the reader."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return
    with zf:
        check_archive(zf, len(data), path, limits=limits)


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, *, limits: InputLimits | None = None) -> bytes:
    """A member's bytes, streamed a chunk at a time, never more than it
    declares (which :func:`check_archive` has bounded) nor than ``limits``
    allow."""
    cap = info.file_size if limits is None else min(info.file_size, limits.max_expanded_bytes)
    out = io.BytesIO()
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(CHUNK_BYTES):
                if out.tell() + len(chunk) > cap:
                    if out.tell() + len(chunk) > info.file_size:
                        raise ArchiveError(f"member {info.filename!r} is larger than it declares", path=path)
                    raise SizeLimitError(
                        f"member {info.filename!r} expands beyond the limit of {cap:,} bytes", path=path
                    )
                out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        raise CorruptMemberError(f"member {info.filename!r} is corrupt or unsupported ({exc})", path=path) from None
    return out.getvalue()


def parse_metadata(text: str) -> dict[str, str]:
    """The ``key: value`` lines of an artifact's ``metadata.yaml`` (all it has; no YAML library needed)."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z_]+):\s*(.*?)\s*$", line)
        if m:
            out[m.group(1)] = m.group(2).strip("'\"")
    return out


def open_artifact(data: bytes, path: Path, *, limits: InputLimits | None = None) -> Artifact:
    """Open and check a .qza held in memory (within ``limits`` where given)."""
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ArchiveError(f"the archive is {len(data):,} bytes, over the limit of {MAX_ARCHIVE_BYTES:,}", path=path)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise ArchiveError(f"not a readable zip archive ({exc})", path=path) from None
    infos = check_archive(zf, len(data), path, limits=limits)
    roots = {m.group(1) for info in infos if (m := METADATA_MEMBER.match(info.filename))}
    if len(roots) != 1:
        raise FormatError(
            "not a QIIME 2 artifact (expected exactly one <uuid>/metadata.yaml)"
            if not roots
            else f"the archive holds {len(roots)} artifacts; expected one",
            path=path,
        )
    root = roots.pop()
    outside = [i.filename for i in infos if not i.filename.startswith(root + "/")]
    if outside:
        raise FormatError(f"member {outside[0]!r} is outside the artifact folder {root!r}", path=path)
    meta_bytes = read_member(zf, zf.getinfo(f"{root}/metadata.yaml"), path, limits=limits)
    meta = parse_metadata(meta_bytes.decode("utf-8", errors="replace"))
    if "type" not in meta:
        raise FormatError("metadata.yaml has no type", path=path)
    return Artifact(path, zf, root, meta["type"], meta.get("format", ""), limits)




def artifact_bytes(type_: str, format_: str, files: dict[str, bytes], *, uuid: str | None = None) -> bytes:
    """A .qza (zip) with VERSION, metadata.yaml, checksums.md5 and ``data/<name>`` members."""
    uuid = uuid or str(uuidlib.uuid4())
    members = {
        "VERSION": f"QIIME 2\narchive: 5\nframework: gutbalance {__version__}\n".encode(),
        "metadata.yaml": f"uuid: {uuid}\ntype: {type_}\nformat: {format_}\n".encode(),
    }
    members.update({f"data/{name}": data for name, data in files.items()})
    checksums = "".join(f"{hashlib.md5(data).hexdigest()}  {name}\n" for name, data in members.items())
    members["checksums.md5"] = checksums.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(f"{uuid}/{name}", data)
    return buffer.getvalue()
