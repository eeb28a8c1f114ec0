"""From an uploaded file to rows to store, through the library only.

Parsing is :func:`gutbalance.io.read_source`, harmonising
:func:`gutbalance.build_cohort`, scoring :func:`gutbalance.scores.score` and
the percentiles :func:`gutbalance.reference.with_percentiles`;
this module only moves their results in and out of the database.

A person's scores must not change with whatever else happened to be in the
same file or the same batch of uploads: every row of the scores table depends
on its own sample only, which is what lets the samples of a file, and of
several uploads, be scored together (:func:`score_uploads`).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .. import scores as _scores
from ..cohort import Cohort, SampleProfile, build_cohort, validate_profile
from ..errors import (
    ArchiveError,
    ContentLimitError,
    CorruptMemberError,
    DataError,
    FormatError,
    GutBalanceError,
    GutBalanceWarning,
    SizeLimitError,
)
from ..io import read_source
from ..io.archive import check_archive, read_member
from ..io.biom_table import TAXONOMY_PAIR_HINT
from ..io.feature_table import FEATURE_RANK_HINT
from ..io.formats.qza import TAXONOMY_ARTIFACT_HINT
from ..io.formats.qza import sniff as is_qiime2_artifact
from ..io.formats.table import METADATA_HINT
from ..io.limits import CHUNK_BYTES
from ..io.registry import FORMATS_LIST_HINT
from ..io.source import ZIP_MAGIC, InputLimits, Source, compression_of, decode_text
from ..io.taxonomy_file import TAXONOMY_NOT_USED, FeatureTaxonomy, merge_taxonomies, source_taxonomy_kind
from ..reference import with_percentiles, with_percentiles_explained
from ..reference.age import AGE_UNITS, age_in_years
from ..taxonomy import lineage_string, parse_lineage

PROFILE_VERSION = 1


class Upload(NamedTuple):
    """One upload as the workers take it: the bytes, the file name, the limits
    to read it within (:attr:`Settings.upload_limits`) and the rank declared
    for its bare taxon names (``feature_rank`` of :func:`gutbalance.read`)."""

    data: bytes
    filename: str
    limits: InputLimits | None = None
    feature_rank: str | None = None


#: How the web app's user declares the rank of a table's bare names: said in
#: place of the command line's option when such a table is refused.
FEATURE_RANK_FIELD_HINT = (
    "choose their rank under 'Rank of bare taxon names' on the upload form (feature_rank=genus "
    "with the API's upload) and upload the file again"
)

#: How the web app reads a QIIME 2 table of ASV ids: zipped with its taxonomy (:func:`_read_zip_of_profiles`).
WEB_PAIR_WAY = ("upload one zip holding the table and its FeatureData[Taxonomy] (taxonomy.qza or taxonomy.tsv), "
                "which are read together as gutbalance analyze table.qza taxonomy.qza reads them")
#: What else a clinic can do with a table of ASV ids uploaded alone.
WEB_TAXONOMY_WAYS = ("collapse the table to taxa (qiime taxa collapse, to genus or species level) and upload that "
                     "artifact, or score the pair on the command line (gutbalance analyze table.qza taxonomy.qza)")

#: The library's refusals end with the command line's way out; the web app
#: says its own instead (or nothing, where it has none): (command line, web).
_WEB_WORDING = (
    ("; use --format to force one", ""),
    ("; use --format to choose", "; the web app cannot tell which"),
    (FORMATS_LIST_HINT, " and others"),
    # a metadata sheet: subjects and dates come from a zip's sample sheet here
    (METADATA_HINT, "upload the profiles it describes (subjects and dates go in the sample sheet of a zip of profiles)"),
    # a table of bare names: the rank is the upload form's field, not --feature-rank
    (FEATURE_RANK_HINT, FEATURE_RANK_FIELD_HINT),
    # a QIIME 2 table of ASV ids and its taxonomy: the library's pairing is of files read together
    (TAXONOMY_PAIR_HINT, f"{WEB_PAIR_WAY}; or {WEB_TAXONOMY_WAYS}"),
    (TAXONOMY_ARTIFACT_HINT, "upload it in one zip with the FeatureTable it describes (table.qza, a BIOM or TSV "
                             "feature table), which are read together as gutbalance analyze table.qza taxonomy.qza reads them"),
)


def read_upload(
    data: bytes, *, filename: str, limits: InputLimits | None = None, feature_rank: str | None = None
) -> list[SampleProfile]:
    """The sample profiles in an uploaded file (any format the library reads,
    or a zip archive of such files), within ``limits`` (the web app's, see
    :attr:`Settings.upload_limits`), bare taxon names read at ``feature_rank``.
    Of a zip, the profiles of the files that could be read:
    :func:`score_uploads` also says which could not.

    Raises
    ------
    gutbalance.errors.GutBalanceError
        When the file (of a zip: the archive, or every file in it) cannot be
        read; the message names what is wrong.
    """
    return _read_upload(data, filename=filename, limits=limits, feature_rank=feature_rank).profiles


#: What a sample sheet gives one sample: its subject, collection date and age
#: in years (None where not given).
SheetEntry = tuple[str | None, str | None, float | None]
#: No sheet, or a sample the sheet does not name.
NO_SHEET_ENTRY: SheetEntry = (None, None, None)
#: The sample sheet's age columns, by unit (one per sheet).
SHEET_AGE_COLUMNS = {f"age_{unit}": unit for unit in AGE_UNITS}


@dataclass(frozen=True)
class UploadProblem:
    """A file of an uploaded zip that could not be read while the others
    were (as ``problems.tsv`` lists the files of a folder ``analyze`` could
    not read): its name in the archive and what is wrong with it."""

    file: str
    problem: str


#: How a problem of the sample sheet ends: one of its lines names no sample
#: read and was left out (the file itself was read, it is no file left out).
SHEET_LINE_LEFT_OUT = "among the files read (it may be in a file that could not be read); the line was left out"


class ProblemCounts(NamedTuple):
    """Of a job's problems: files that could not be read, lines of the sample
    sheet left out, taxonomy files not used (read, but no file took them)."""

    unread: int
    sheet_lines: int
    unused: int


def count_problems(problems: Sequence[dict[str, str]]) -> ProblemCounts:
    """Of a job's problems (``{"file", "problem"}``), how many files could
    not be read, how many lines of the sample sheet were left out and how
    many taxonomy files were not used (:data:`TAXONOMY_NOT_USED`)."""
    lines = sum(1 for p in problems if p["problem"].endswith(SHEET_LINE_LEFT_OUT))
    unused = {p["file"] for p in problems if p["problem"] == TAXONOMY_NOT_USED}
    files = {p["file"] for p in problems if not p["problem"].endswith(SHEET_LINE_LEFT_OUT)} - unused
    return ProblemCounts(len(files), lines, len(unused))


@dataclass(frozen=True)
class _ReadUpload:
    """An upload read: its profiles, for each what the sample sheet says of
    it, and the zip members that could not be read."""

    profiles: list[SampleProfile]
    sheet: list[SheetEntry]
    problems: list[UploadProblem] = dataclasses.field(default_factory=list)


def _read_upload(
    data: bytes, *, filename: str, limits: InputLimits | None, feature_rank: str | None = None
) -> _ReadUpload:
    """:func:`read_upload` and, for each profile, what the upload's sample
    sheet says of it (a zip may hold one, see :func:`_sample_sheet`), and the
    members of a zip that could not be read (:func:`_read_zip_of_profiles`)."""
    source = Source.from_bytes(data, name=filename, limits=limits)
    if source.is_zip and not is_qiime2_artifact(source):
        return _read_zip_of_profiles(source, feature_rank=feature_rank)
    profiles = _read_one(source, feature_rank=feature_rank)
    return _ReadUpload(profiles, [NO_SHEET_ENTRY] * len(profiles))


def _read_one(
    source: Source, *, feature_rank: str | None = None, taxonomy: FeatureTaxonomy | None = None
) -> list[SampleProfile]:
    """The profiles of one file, each with the warnings ``gutbalance analyze``
    lists for it in ``problems.tsv`` kept in its ``notes`` (:func:`read_warnings`);
    ``taxonomy``: the lineages of its feature ids, from a taxonomy file zipped with it."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GutBalanceWarning)
            profiles = read_source(source, feature_rank=feature_rank, taxonomy=taxonomy)
    except FormatError as exc:
        message = exc.message
        for command_line, web in _WEB_WORDING:
            message = message.replace(command_line, web)
        if message == exc.message:
            raise
        raise type(exc)(message, path=exc.path, line=exc.line, field=exc.field) from None
    # The file's own warnings (rows without a taxon name, numbers that may
    # be counts) are its samples' too; a total far from 100 % is the sample's.
    from_file = [str(w.message) for w in caught if issubclass(w.category, GutBalanceWarning)]
    for profile in profiles:
        profile.notes = [*from_file, *validate_profile(profile)]
    return profiles


def read_warnings(blob: bytes) -> list[str]:
    """What was suspicious when the stored profile (:func:`pack_profile`) was
    read: the warnings ``gutbalance analyze`` lists in ``problems.tsv`` for
    the same file (abundances that add up to 1 where percentages were
    expected, rows without a taxon name ...), which do not stop scoring but
    change what the scores can say.  Samples stored before these were kept
    have none."""
    return [str(note) for note in json.loads(zlib.decompress(blob).decode("utf-8")).get("notes", [])]


def _skipped_member(info: zipfile.ZipInfo) -> bool:
    """Members of a zip that are not profiles and are left out: folders,
    hidden files and the resource forks macOS adds to the archives it makes."""
    name = info.filename
    base = name.rstrip("/").rsplit("/", 1)[-1]
    return info.is_dir() or name.startswith("__MACOSX/") or base.startswith(".")


#: The names a sample sheet may have in a zip (any folder, any case).
SHEET_NAMES = ("samples.tsv", "samples.csv", "samples.txt")
_MAX_SUBJECT = 128


def _is_sheet(info: zipfile.ZipInfo, data: bytes) -> bool:
    """A member named ``samples.tsv`` (``.csv``, ``.txt``) whose first line
    names a ``sample`` column and a ``subject`` or ``collected``/``date``
    one; anything else, even so named, is read as a profile."""
    if info.filename.rsplit("/", 1)[-1].lower() not in SHEET_NAMES:
        return False
    first = data.split(b"\n", 1)[0].decode("utf-8-sig", "replace").lower()
    fields = {f.strip().strip('"') for f in first.replace(",", "\t").split("\t")}
    return "sample" in fields and bool(fields & {"subject", "collected", "date", *SHEET_AGE_COLUMNS})


def _sample_sheet(
    data: bytes, *, path: str, profiles: list[SampleProfile], unread: list[UploadProblem] | None = None
) -> list[SheetEntry]:
    """Per profile, the subject, date and age a sample sheet gives it.

    The sheet has a header naming ``sample`` and ``subject``, ``collected``
    (or ``date``, written YYYY-MM-DD) or one age column (``age_years``,
    ``age_months`` or ``age_days``: the unit is the column's), tab- or
    comma-separated; an empty cell leaves the upload form's value.  Every sample it names must
    be in the upload, once; :class:`FormatError` names the line and field.
    Where some files of the upload could not be read (``unread``, not
    empty), a sample the sheet names and no file read holds may be in one of
    them: its line is added to ``unread`` as a problem of the sheet instead.
    """
    text = decode_text(data, path=path)
    dialect = "excel-tab" if "\t" in text.split("\n", 1)[0] else "excel"
    rows = csv.reader(io.StringIO(text), dialect=dialect)
    header = [h.strip().lower() for h in next(rows)]
    header = ["collected" if h == "date" else h for h in header]
    ages = [h for h in header if h in SHEET_AGE_COLUMNS]
    if len(ages) > 1:
        raise FormatError(f"{len(ages)} age columns ({', '.join(ages)}): keep one, in the unit of its name", path=path, line=1)
    counts: dict[str, int] = {}
    for p in profiles:
        counts[p.sample] = counts.get(p.sample, 0) + 1
    given: dict[str, SheetEntry] = {}
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise FormatError(f"{len(row)} fields where the header has {len(header)}", path=path, line=number)
        cells = dict(zip(header, (cell.strip() for cell in row), strict=True))
        sample = cells.get("sample", "")
        if not counts.get(sample) and unread:
            unread.append(UploadProblem(path.split("/", 1)[-1], f"line {number}: no sample {sample!r} {SHEET_LINE_LEFT_OUT}"))
            continue
        if not counts.get(sample):
            raise FormatError(f"no sample {sample!r} in the upload", path=path, line=number, field="sample")
        if counts[sample] > 1:
            raise FormatError(f"{counts[sample]} samples of the upload are named {sample!r}: the sheet cannot tell them apart", path=path, line=number, field="sample")
        if sample in given:
            raise FormatError(f"sample {sample!r} is listed twice", path=path, line=number, field="sample")
        subject = cells.get("subject") or None
        if subject is not None and (len(subject) > _MAX_SUBJECT or any(ord(c) < 32 or ord(c) == 127 for c in subject)):
            raise FormatError(f"a subject has at most {_MAX_SUBJECT} characters and no control characters", path=path, line=number, field="subject")
        collected = cells.get("collected") or None
        if collected is not None:
            try:
                collected = date.fromisoformat(collected).isoformat()
            except ValueError:
                raise FormatError(f"{collected!r} is not a date written YYYY-MM-DD", path=path, line=number, field="collected") from None
        age = None
        if ages and (text := cells.get(ages[0], "")):
            try:
                age = age_in_years(text, SHEET_AGE_COLUMNS[ages[0]])
            except ValueError as exc:
                raise FormatError(f"the age is {exc}", path=path, line=number, field=ages[0]) from None
        given[sample] = (subject, collected, age)
    return [given.get(p.sample, NO_SHEET_ENTRY) for p in profiles]


def _member_problem(exc: GutBalanceError) -> str:
    """What is wrong with a zip member, without its name (the problem's ``file`` says it)."""
    if isinstance(exc, FormatError):
        where = ([f"line {exc.line}"] if exc.line is not None else []) + ([f"field {exc.field!r}"] if exc.field is not None else [])
        return f"{', '.join(where)}: {exc.message}" if where else exc.message
    return str(exc)


def _expanded_size(member: Source) -> int:
    """What a member of an uploaded zip expands to: of a QIIME 2 artifact,
    its members together as its directory declares them (checked as its
    reader checks it, :func:`check_archive`), else its bytes."""
    if not member.is_zip:
        return len(member.data)
    try:
        with zipfile.ZipFile(io.BytesIO(member.data)) as zf:
            return sum(info.file_size for info in check_archive(zf, len(member.data), member.path, limits=member.limits))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return len(member.data)  # a broken artifact: its reader says what is wrong


def _over_expanded(total: int, limits: InputLimits, path: Path, *, exact: bool) -> SizeLimitError:
    """The refusal of a zip whose files, the members of its QIIME 2 artifacts
    counted, expand to ``total`` bytes together (``exact``), or to at least
    that many (counted until they passed the limit)."""
    return SizeLimitError(
        f"the files in the archive (QIIME 2 artifacts' members counted) expand to {'' if exact else 'at least '}"
        f"{total:,} bytes together, over the limit of {limits.max_expanded_bytes:,} bytes of one upload", path=path
    )


#: How much of the end of a QIIME 2 artifact in an uploaded zip the request
#: keeps to read its directory (:func:`check_zip_upload`): the directory of
#: the most members an artifact may have (``MAX_MEMBERS``, 10,000) with names
#: of 200 characters.
_DIRECTORY_TAIL = 4 * 1024 * 1024


def check_zip_upload(data: bytes, *, filename: str, limits: InputLimits) -> None:
    """Refuse, in the request and before a job is queued, a zip of profiles
    whose files and the members of the QIIME 2 artifacts among them expand
    together to more than ``limits.max_expanded_bytes``, as the worker counts
    them (:func:`_read_zip_of_profiles`, which keeps its check as the backstop).

    The sizes come from directories: the zip's own for plain files; an
    artifact's from its own directory, which is at its end, so the artifact is
    streamed out of the zip a chunk at a time keeping only its last
    :data:`_DIRECTORY_TAIL` bytes (and checked as its reader checks it,
    :func:`check_archive`).  A gzip, bz2 or xz file counts 0 (what it expands
    to is known once decompressed, in the worker), so the total counted here
    is at most the worker's.  Anything wrong with the zip or a member is left
    to the worker to name.

    Raises
    ------
    SizeLimitError
        Over the limit (413), naming the total and the limit; also an
        artifact that is itself a bomb (:func:`check_archive`).
    """
    path = Path(filename)
    if not data.startswith(ZIP_MAGIC) or is_qiime2_artifact(Source(path, data, limits)):
        return
    total, exact = 0, True
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in check_archive(archive, len(data), path, limits=limits):
                if _skipped_member(info):
                    continue
                size, known = _declared_expansion(archive, info, Path(f"{path.name}/{info.filename}"), limits)
                total += size
                exact = exact and known
    except SizeLimitError:
        raise
    except (ArchiveError, zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError,
            RuntimeError, zlib.error):
        return  # the worker names what is wrong
    if total > limits.max_expanded_bytes:
        raise _over_expanded(total, limits, path, exact=exact)


def _declared_expansion(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, limits: InputLimits) -> tuple[int, bool]:
    """What a member of an uploaded zip expands to, as :func:`_expanded_size`
    counts it, from directories only, and whether that is all of it (a
    compressed file counts 0: not known)."""
    with archive.open(info) as fh:
        head = fh.read(len(ZIP_MAGIC))
        if compression_of(head):
            return 0, False
        if not head.startswith(ZIP_MAGIC):
            return info.file_size, True
        tail = bytearray(head)
        while chunk := fh.read(CHUNK_BYTES):
            tail += chunk
            del tail[:-_DIRECTORY_TAIL]
    try:
        with zipfile.ZipFile(io.BytesIO(bytes(tail))) as artifact:
            return sum(i.file_size for i in check_archive(artifact, info.file_size, path, limits=limits)), True
    except SizeLimitError:
        raise
    except (ArchiveError, zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        # a broken or unsafe artifact (or a directory larger than the tail): counted as its bytes, and the
        # other members still counted; the worker names what is wrong with it
        return info.file_size, True


def _itself(source: Source) -> Source:
    """A member already in memory, as :func:`merge_taxonomies` opens a file."""
    return source


def _zipped_taxonomy(
    files: list[tuple[zipfile.ZipInfo, Source]], source: Source
) -> tuple[FeatureTaxonomy | None, list[tuple[zipfile.ZipInfo, Source]], list[UploadProblem]]:
    """The taxonomy files among the files of a zip merged into one taxonomy,
    the other files, and the taxonomy files that could not be used.

    As ``gutbalance analyze`` reads a folder (:func:`gutbalance.io.read_batch`),
    through the same merge (:func:`~gutbalance.io.taxonomy_file.merge_taxonomies`):
    every taxonomy file is read and merged in the zip's order, a SILVA and
    a GTDB taxonomy of different features alike; one that cannot be read,
    or that classifies a feature otherwise than a file before it, is left
    out as a problem of its own, with the command line's words, and none of
    its lineages is used.  Every other file is read with the merged taxonomy
    (None when the zip holds no taxonomy file or none could be read).  A zip
    of taxonomy files only is refused."""
    found = [(info, member) for info, member in files if source_taxonomy_kind(member) is not None]
    if not found:
        return None, files, []
    tables = [(info, member) for info, member in files if all(info is not t for t, _ in found)]
    if not tables:
        names = ", ".join(repr(info.filename) for info, _ in found)
        raise ArchiveError(f"the zip archive holds only the taxonomy {names}: add the feature table it describes "
                           "(table.qza, a BIOM or TSV feature table) to the zip", path=source.path)
    taxonomy, errors = merge_taxonomies((info, str(member.path), partial(_itself, member)) for info, member in found)
    return taxonomy, tables, [UploadProblem(info.filename, _member_problem(exc)) for info, exc in errors]


def _read_zip_of_profiles(source: Source, *, feature_rank: str | None = None) -> _ReadUpload:
    """Every profile in a zip archive that is not a QIIME 2 artifact (what a
    clinic gets when it zips a folder of profiler outputs), what its sample
    sheet (:func:`_sample_sheet`), if it holds one, says of each, and the
    members that could not be read.

    A batch never loses its good files because of one bad file: a member
    that cannot be read as a profile (truncated, empty, of no format read
    here, negative abundances) becomes an :class:`UploadProblem` naming it,
    and the other members' samples are stored.  The whole archive is
    refused where the archive itself is the problem: not a readable zip,
    over the upload's limits (checked from its directory by
    :func:`check_archive`: total expanded size, ratio, unsafe names; each
    member is read within them, and the samples and lines of all members
    together count against the limits of one file), a zip inside the zip,
    no profile read at all, or a wrong sample sheet.

    A QIIME 2 table of ASV ids is read zipped with its taxonomy, as
    ``gutbalance analyze table.qza taxonomy.qza`` reads the two: the
    taxonomy files of a zip (FeatureData[Taxonomy] .qza, taxonomy.tsv, the
    taxonomy tables :mod:`gutbalance.io.taxonomy_file` reads) are merged and
    every other file is read with them, as ``analyze`` reads a folder, see
    :func:`_zipped_taxonomy`; a taxonomy that no file took (beside MetaPhlAn
    profiles) is listed as not used, as ``analyze`` warns of it.  The
    artifacts, zips themselves, are read within the same limits as every
    member (their directories checked by :func:`check_archive`, each of their
    members read by :func:`read_member`), and their members and the other
    files count together against the expanded limit (checked first in the
    request, :func:`check_zip_upload`; here again as the backstop); any other
    zip inside the zip, or a QIIME 2 artifact in a zip without a taxonomy
    file, refuses the archive."""
    limits = source.limits
    try:
        archive = zipfile.ZipFile(io.BytesIO(source.data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise ArchiveError(f"not a readable zip archive ({exc})", path=source.path) from None
    sheets: list[tuple[str, bytes]] = []
    problems: list[UploadProblem] = []
    with archive:
        members = [info for info in check_archive(archive, len(source.data), source.path, limits=limits) if not _skipped_member(info)]
        profiles: list[SampleProfile] = []
        lines = expanded = 0
        files: list[tuple[zipfile.ZipInfo, Source]] = []
        for number, info in enumerate(members, start=1):
            name = f"{source.path.name}/{info.filename}"
            try:
                data = read_member(archive, info, source.path, limits=limits)
            except CorruptMemberError as exc:
                # one damaged file (a bad CRC) is that file's problem; the
                # archive's directory and the other members are sound
                problems.append(UploadProblem(info.filename, exc.message.replace(f"member {info.filename!r} is ", "", 1)))
                continue
            member = Source.from_bytes(data, name=name, limits=limits)
            if member.is_zip and not is_qiime2_artifact(member):
                raise ArchiveError(f"member {info.filename!r} is itself a zip archive; upload it on its own", path=source.path)
            expanded += _expanded_size(member)
            if expanded > limits.max_expanded_bytes:  # the request counted what it could (check_zip_upload)
                raise _over_expanded(expanded, limits, source.path, exact=number == len(members))
            if not member.is_zip:  # an artifact's own members are read within the limits by its reader
                lines += member.data.count(b"\n")
            if limits.max_lines is not None and lines > limits.max_lines:
                raise ContentLimitError(
                    f"the files in the archive hold more than {limits.max_lines:,} lines together, the limit of one upload", path=source.path
                )
            if _is_sheet(info, member.data):
                sheets.append((name, member.data))
                continue
            files.append((info, member))
        taxonomy, files, left_out = _zipped_taxonomy(files, source)
        problems.extend(left_out)
        for info, member in files:
            if member.is_zip and taxonomy is None and not left_out:  # no taxonomy file in the zip
                raise ArchiveError(f"member {info.filename!r} is a QIIME 2 artifact, which is read uploaded on its own, or "
                                   f"in a zip that holds one FeatureTable artifact and its taxonomy: {WEB_PAIR_WAY}",
                                   path=source.path)
            try:
                read = _read_one(member, feature_rank=feature_rank, taxonomy=taxonomy)
            except (ArchiveError, ContentLimitError):
                raise  # limits and broken containers are the archive's problem: refuse it whole
            except (FormatError, DataError) as exc:
                problems.append(UploadProblem(info.filename, _member_problem(exc)))
                continue
            profiles.extend(read)
            limits.check_profiles(profiles, path=source.path)
        if taxonomy is not None and not taxonomy.tables:
            # as analyze lists it in problems.tsv: MetaPhlAn profiles zipped with a taxonomy.tsv
            problems.extend(UploadProblem(name.split("/", 1)[1], TAXONOMY_NOT_USED) for name in taxonomy.sources)
    if not profiles and problems:
        listed = "; ".join(f"{p.file}: {p.problem}" for p in problems[:5]) + ("; ..." if len(problems) > 5 else "")
        raise ArchiveError(f"none of the {len(problems)} files in the zip archive could be read as a profile ({listed})", path=source.path)
    if not profiles:
        raise ArchiveError("the zip archive holds no profiles", path=source.path)
    if len(sheets) > 1:
        raise ArchiveError(f"the zip archive holds {len(sheets)} sample sheets ({', '.join(n for n, _ in sheets)}); keep one", path=source.path)
    if sheets:
        unread = list(problems)
        entries = _sample_sheet(sheets[0][1], path=sheets[0][0], profiles=profiles, unread=unread)
        return _ReadUpload(profiles, entries, unread)
    return _ReadUpload(profiles, [NO_SHEET_ENTRY] * len(profiles), problems)


@dataclass(frozen=True)
class ScoredSample:
    """One sample of an upload, ready to store: plain data only, so that it
    can come back from a worker process."""

    name: str
    source_file: str
    source_format: str
    database: str
    scores: dict[str, Any]
    #: :func:`pack_profile` of the parsed profile.
    profile: bytes
    #: :func:`pack_contributions` of what the report explains.
    contributions: bytes
    #: The subject and collection date (YYYY-MM-DD) the upload's sample
    #: sheet gives the sample; None: the upload form's.
    subject: str | None = None
    collected: str | None = None
    #: The age in years the sample sheet gives it; None: the upload form's.
    age_years: float | None = None


@dataclass(frozen=True)
class ScoredUpload:
    """What one upload gave: its scored samples, in file order, and the
    files of a zip that could not be read (stored with the job and shown with
    the upload; empty for any other upload)."""

    samples: list[ScoredSample]
    problems: list[UploadProblem] = dataclasses.field(default_factory=list)


def score_upload(
    data: bytes, *, filename: str, limits: InputLimits | None = None, feature_rank: str | None = None
) -> list[ScoredSample]:
    """Read, score and explain every sample of an upload, each on its own.

    This is the work the web app hands to its worker processes
    (:mod:`gutbalance.web.jobs`): scores and contributions come from one pass
    (:func:`gutbalance.scores.score_with_contributions`, with the percentiles of
    :func:`gutbalance.reference.with_percentiles_explained`), and the contributions
    are kept so that the report never runs the scoring again.  The samples
    only: the files of a zip that could not be read are in
    :func:`score_uploads`' :attr:`ScoredUpload.problems`.
    """
    (result,) = score_uploads([Upload(data, filename, limits, feature_rank)])
    if isinstance(result, GutBalanceError):
        raise result
    return result.samples


def score_uploads(uploads: Sequence[Upload | tuple]) -> list[ScoredUpload | GutBalanceError]:
    """:func:`score_upload` for several uploads at once (each an :class:`Upload`
    or a tuple of its fields, ``(data, filename, limits)`` at least): for
    each, its scored samples and the files of a zip that could not be read, or
    the error that its reading raised.

    The samples of every upload that could be read are scored as one cohort:
    scoring a cohort of one costs about as much as a cohort of sixteen
    (pandas' per-call overhead), and each row depends on its own sample only,
    so the scores and contributions are the same bytes as scoring each alone
    (checked in ``tests/web/test_jobs.py``).  Samples are scored under
    positional names, so equal sample names in different uploads do not meet.
    """
    read: list[_ReadUpload | GutBalanceError] = []
    for upload in uploads:
        data, filename, limits, feature_rank = Upload(*upload)
        try:
            read.append(_read_upload(data, filename=filename, limits=limits, feature_rank=feature_rank))
        except GutBalanceError as exc:
            read.append(exc)
    profiles = [p for r in read if not isinstance(r, GutBalanceError) for p in r.profiles]
    scored = iter(_scored(profiles))
    return [
        r if isinstance(r, GutBalanceError)
        else ScoredUpload([dataclasses.replace(next(scored), subject=subject, collected=day, age_years=age)
                      for subject, day, age in r.sheet], r.problems)
        for r in read
    ]


def _scored(profiles: list[SampleProfile]) -> list[ScoredSample]:
    if not profiles:
        return []
    keys = [f"#{i}" for i in range(len(profiles))]
    renamed = [dataclasses.replace(p, sample=k) for p, k in zip(profiles, keys, strict=True)]
    cohort = cohort_of(renamed)
    table, explained = with_percentiles_explained(*_scores.score_with_contributions(cohort), cohort)
    if list(table.index) != keys:
        raise DataError(f"scoring {len(keys)} samples gave {len(table)} rows")
    return [
        ScoredSample(
            name=profile.sample,
            source_file=profile.source_file,
            source_format=profile.source_format,
            database=profile.database,
            scores={str(k): _json_number(v) for k, v in row.items()},
            profile=pack_profile(profile),
            contributions=pack_contributions(explained[key]),
        )
        for profile, key, (_, row) in zip(profiles, keys, table.iterrows(), strict=True)
    ]


def pack_contributions(explained: dict[str, Any]) -> bytes:
    """One sample's entry of :func:`gutbalance.scores.contributions`, as compressed JSON."""
    return zlib.compress(json.dumps(explained, separators=(",", ":")).encode("utf-8"), 6)


def unpack_contributions(blob: bytes) -> dict[str, Any]:
    """The contributions stored with a sample (:func:`pack_contributions` undone)."""
    return json.loads(zlib.decompress(blob).decode("utf-8"))


def cohort_of(profiles: list[SampleProfile]) -> Cohort:
    """A Cohort of the profiles, without the warnings meant for the command line's problems table."""
    with warnings.catch_warnings():
        # "abundances add up to 99 %" and the like are for the CLI's
        # problems.tsv; an upload is judged by whether it can be scored.
        warnings.simplefilter("ignore", GutBalanceWarning)
        return build_cohort(profiles)


def score_profile(profile: SampleProfile) -> dict[str, float | None]:
    """The scores row of one sample, JSON-ready (NaN and infinities become ``None``)."""
    cohort = cohort_of([profile])
    table = with_percentiles(_scores.score(cohort), cohort)
    if len(table) != 1:
        raise DataError(f"scoring sample {profile.sample!r} gave {len(table)} rows")
    return {str(k): _json_number(v) for k, v in table.iloc[0].items()}


def _json_number(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if value is pd.NA:  # stool_like of a sample without named genera
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return number if math.isfinite(number) else None


def pack_profile(profile: SampleProfile) -> bytes:
    """A profile as compressed JSON: lineages as the input spelled them, so
    unpacking re-applies the current taxonomy (synonyms may have changed)."""
    record = {
        "version": PROFILE_VERSION,
        "sample": profile.sample,
        "lineages": [lineage_string(lin, original=True) for lin in profile.lineages],
        "abundance": [float(v) for v in profile.abundance],
        "unassigned": float(profile.unassigned),
        "counts": None if profile.counts is None else [float(v) for v in profile.counts],
        "source_file": profile.source_file,
        "source_format": profile.source_format,
        "database": profile.database,
        "taxids": profile.taxids,
        "notes": list(profile.notes),
    }
    return zlib.compress(json.dumps(record, separators=(",", ":")).encode("utf-8"), 6)


def unpack_profile(blob: bytes) -> SampleProfile:
    """The profile stored with a sample (:func:`pack_profile` undone).

    :class:`DataError` for a stored version this code does not read.
    """
    record = json.loads(zlib.decompress(blob).decode("utf-8"))
    if record.get("version") != PROFILE_VERSION:
        raise DataError(f"stored profile has version {record.get('version')!r}, expected {PROFILE_VERSION}")
    return SampleProfile(
        sample=record["sample"],
        lineages=[parse_lineage(text) for text in record["lineages"]],
        abundance=record["abundance"],
        unassigned=record["unassigned"],
        counts=record["counts"],
        source_file=record["source_file"],
        source_format=record["source_format"],
        database=record["database"],
        taxids=record["taxids"],
        notes=record["notes"],
    )


def profile_record(blob: bytes) -> dict[str, Any]:
    """The stored profile as plain JSON data (for exports)."""
    return json.loads(zlib.decompress(blob).decode("utf-8"))
