"""QIIME 2 artifacts (``.qza``), read straight from the zip (no QIIME 2 install).

An artifact is a zip with one top folder named by its UUID::

    <uuid>/VERSION
    <uuid>/metadata.yaml          uuid, type, format
    <uuid>/data/feature-table.biom    FeatureTable[Frequency | RelativeFrequency] (BIOM 2.1)
    <uuid>/data/taxonomy.tsv          FeatureData[Taxonomy]
    <uuid>/provenance/...

Feature tables are read with the BIOM reader (:mod:`.biom`), so their feature
ids must be lineages (a table made with ``qiime taxa collapse``) unless the
taxonomy is given too.

Pairing a table with its taxonomy
---------------------------------
A ``FeatureTable`` of ASV hashes cannot be scored alone.  When
:func:`gutbalance.io.read` or :func:`~gutbalance.io.read_batch` is given a
``FeatureData[Taxonomy]`` artifact (or an exported ``taxonomy.tsv``) beside
tables, :func:`split_taxonomy` takes the taxonomy files out of the list, and
each table reader (``.qza``, BIOM, CSV/TSV; formats with ``takes_taxonomy``)
is given it as its ``taxonomy=`` argument and looks feature ids up in it
(issue 13: an argument, not a context variable), and features with
the same lineage are summed.  A table of hashes without a taxonomy is refused
with a :class:`~gutbalance.errors.FormatError` that says so.

Safety
------
Archives are opened in memory and refused (:class:`~gutbalance.errors.ArchiveError`)
when larger than :data:`MAX_ARCHIVE_BYTES`, with more than :data:`MAX_MEMBERS`
members, more than :data:`MAX_UNCOMPRESSED_BYTES` uncompressed, a member or the
whole expanding more than :data:`MAX_RATIO` times (a zip bomb), a member name
that is absolute or has ``..`` (path traversal), a symlink, an encrypted or
duplicated member.  Nothing is ever extracted to disk.

Writing
-------
:func:`write` writes a ``FeatureTable[Frequency]`` (cohort counts) or
``FeatureTable[RelativeFrequency]`` artifact whose feature ids are the leaf
lineages, so the single file reads back on its own; :func:`write_artifacts`
can instead write hashed feature ids plus a ``FeatureData[Taxonomy]``
artifact, the way QIIME 2 pipelines keep them.  The artifacts carry no
provenance folder, so QIIME 2 itself may decline to load them.
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

from ...atomic import write_bytes_atomic
from ...cohort import SampleProfile
from ...errors import ArchiveError, FormatError, GutBalanceError, SizeLimitError
from ..registry import Format, register
from ..source import CHUNK_BYTES, MAX_COMPRESSION_RATIO, MAX_INPUT_BYTES, ZIP_MAGIC, InputLimits, Source
from . import biom as biom_format
from .table import FeatureTaxonomy

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

_META_NAME = re.compile(r"^([^/]+)/metadata\.yaml$")
_TABLE_TYPES = {"FeatureTable[Frequency]": None, "FeatureTable[RelativeFrequency]": "relative"}
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
            raise SizeLimitError(
                f"the archive expands to more than {total:,} bytes, over the limit of {max_total:,}; "
                "refusing it (a possible archive bomb)",
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
        raise ArchiveError(f"member {info.filename!r} is corrupt or unsupported ({exc})", path=path) from None
    return out.getvalue()


def _parse_metadata(text: str) -> dict[str, str]:
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
    roots = {m.group(1) for info in infos if (m := _META_NAME.match(info.filename))}
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
    meta = _parse_metadata(meta_bytes.decode("utf-8", errors="replace"))
    if "type" not in meta:
        raise FormatError("metadata.yaml has no type", path=path)
    return Artifact(path, zf, root, meta["type"], meta.get("format", ""), limits)


def sniff(source: Source) -> bool:
    if not source.is_zip:
        return False
    if source.path.suffix.lower() == ".qza":
        return True  # even a broken one: the reader says what is wrong with it
    try:
        zf = zipfile.ZipFile(io.BytesIO(source.data))
        return any(_META_NAME.match(name) for name in zf.namelist()[:MAX_MEMBERS])
    except Exception:  # a sniffer never raises
        return False


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


def read(source: Source, *, taxonomy: FeatureTaxonomy | None = None) -> list[SampleProfile]:
    artifact = open_artifact(source.data, source.path, limits=source.limits)
    kind_of = artifact.type.replace(" ", "")
    if kind_of == TAXONOMY_TYPE:
        raise FormatError(
            "a FeatureData[Taxonomy] artifact holds lineages, not abundances; read it together with its "
            "FeatureTable artifact (for example gutbalance.read([table.qza, taxonomy.qza]))",
            path=source.path,
        )
    if kind_of not in _TABLE_TYPES:
        if kind_of.startswith("FeatureTable["):
            raise FormatError(
                f"a {artifact.type} artifact holds no usable abundances (gutbalance reads "
                "FeatureTable[Frequency] and FeatureTable[RelativeFrequency])",
                path=source.path,
            )
        raise FormatError(f"a QIIME 2 {artifact.type} artifact is not a taxonomic profile", path=source.path)
    data = artifact.member("data/feature-table.biom")
    table = biom_format.load_table(Source(source.path, data, source.limits))
    return biom_format.profiles_from_table(
        table, path=source.path, source_format="qza", kind=_TABLE_TYPES[kind_of], taxonomy=taxonomy
    )


# --- taxonomy beside tables (used by gutbalance.io.read / read_batch) --------


def _taxonomy_file(path: Path) -> str | None:
    """'qza' or 'tsv' when ``path`` is a taxonomy artifact or taxonomy.tsv, else None.

    Only peeks (the zip directory and metadata.yaml, or the first line); any
    problem means "not a taxonomy file", and the normal reader reports it."""
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
                infos = check_archive(zf, path.stat().st_size, path)
                metas = [i for i in infos if _META_NAME.match(i.filename)]
                if len(metas) != 1:
                    return None
                meta = _parse_metadata(read_member(zf, metas[0], path).decode("utf-8", errors="replace"))
        except Exception:  # a peek never raises
            return None
        return "qza" if meta.get("type", "").replace(" ", "") == TAXONOMY_TYPE else None
    first = head.decode("utf-8", errors="replace").lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    cells = [c.strip().lstrip("#").strip().lower() for c in first.split("\t")]
    if (
        len(cells) >= 2
        and cells[0] in {"feature id", "featureid", "feature-id", "otu id", "otuid", "id"}
        and cells[1] in {"taxon", "taxonomy"}
        and all(c in {"confidence", "consensus"} for c in cells[2:])
    ):
        return "tsv"
    return None


def read_taxonomy(path: Path) -> dict[str, str]:
    """Feature id -> lineage from a FeatureData[Taxonomy] .qza or a taxonomy.tsv."""
    source = Source.open(path)
    if source.is_zip:
        artifact = open_artifact(source.data, path, limits=source.limits)
        if artifact.type.replace(" ", "") != TAXONOMY_TYPE:
            raise FormatError(f"expected a {TAXONOMY_TYPE} artifact, found {artifact.type}", path=path)
        text = artifact.member("data/taxonomy.tsv").decode("utf-8-sig", errors="replace")
    else:
        text = source.text
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
        Taxonomy files that could not be read, with the error.
    """
    tables: list[Path] = []
    taxonomy: FeatureTaxonomy | None = None
    errors: list[tuple[Path, GutBalanceError]] = []
    for path in paths:
        if _taxonomy_file(Path(path)) is None:
            tables.append(path)
            continue
        try:
            mapping = read_taxonomy(Path(path))
            taxonomy = taxonomy or FeatureTaxonomy()
            taxonomy.add(mapping, str(path))
        except GutBalanceError as exc:
            errors.append((path, exc))
    return tables, taxonomy, errors


# --- writing -----------------------------------------------------------------


def artifact_bytes(type_: str, format_: str, files: dict[str, bytes], *, uuid: str | None = None) -> bytes:
    """A .qza (zip) with VERSION, metadata.yaml, checksums.md5 and ``data/<name>`` members."""
    from ... import __version__

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


def _hashed(cohort):
    """The cohort's BIOM table with md5 feature ids, and id -> lineage."""
    table = biom_format.build_table(cohort)
    ids = [str(i) for i in table.ids(axis="observation")]
    mapping = {i: hashlib.md5(i.encode()).hexdigest() for i in ids}
    table.update_ids(mapping, axis="observation", inplace=True)
    table.del_metadata(keys=["taxonomy"], axis="observation")
    return table, {mapping[i]: i.replace(";", "; ") for i in ids}


def write_artifacts(cohort, table_path: Path, taxonomy_path: Path | None = None) -> None:
    """Write the cohort as a FeatureTable artifact; with ``taxonomy_path``, the
    feature ids are hashes and the lineages go into a FeatureData[Taxonomy] artifact."""
    import h5py

    type_ = "FeatureTable[Frequency]" if cohort.counts is not None else "FeatureTable[RelativeFrequency]"
    if taxonomy_path is None:
        table_bytes = biom_format.hdf5_bytes(cohort)
    else:
        table, mapping = _hashed(cohort)
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as f:
            table.to_hdf5(f, "gutbalance")
        table_bytes = buffer.getvalue()
        tsv = "Feature ID\tTaxon\n" + "".join(f"{k}\t{v}\n" for k, v in mapping.items())
        write_bytes_atomic(
            artifact_bytes(TAXONOMY_TYPE, "TSVTaxonomyDirectoryFormat", {"taxonomy.tsv": tsv.encode()}),
            Path(taxonomy_path),
        )
    write_bytes_atomic(
        artifact_bytes(type_, "BIOMV210DirFmt", {"feature-table.biom": table_bytes}), Path(table_path)
    )


def write(cohort, path: Path) -> None:
    write_artifacts(cohort, Path(path))


register(
    Format(
        "qza",
        "a QIIME 2 artifact (.qza): FeatureTable[Frequency|RelativeFrequency]",
        sniff,
        read,
        write,
        extensions=(".qza",),
        priority=40,
        takes_taxonomy=True,
    )
)
