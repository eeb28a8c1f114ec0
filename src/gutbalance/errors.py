"""One root for every error gutbalance raises on purpose, and the warnings.

Errors from dependencies (pandas, h5py, biom, zipfile, ...) are translated at
the boundary where they happen, so callers only ever need to catch
:class:`GutBalanceError`.  The CLI prints ``str(error)`` and never a traceback.
"""

from __future__ import annotations

from os import PathLike


class GutBalanceError(Exception):
    """Root of all errors raised by gutbalance."""


# --- input ---------------------------------------------------------------


class FormatError(GutBalanceError):
    """A file could not be read as the format it claims (or was sniffed) to be.

    Parameters
    ----------
    message
        What is wrong, in words a user can act on.
    path
        The file.
    line
        1-based line number, where the problem is on a line.
    field
        Column or field name, where the problem is in one field.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | PathLike[str] | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.field = field
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class UnrecognizedFormatError(FormatError):
    """No reader (or more than one) recognises the file."""


class ArchiveError(FormatError):
    """An archive (.qza, .zip, .gz) is unsafe or broken: too large, too many
    members, a path that escapes the archive, or a corrupt container."""


class CorruptMemberError(ArchiveError):
    """One member of an otherwise readable archive cannot be decompressed (a
    bad CRC, a damaged deflate stream): that file's problem, not the other
    members'."""


class SizeLimitError(ArchiveError):
    """An input is larger than a configured limit, as stored or once expanded
    (decompression, zip members): a possible archive bomb.  The web app
    answers 413."""


class ContentLimitError(FormatError):
    """An input holds more lines, samples or taxa than a configured limit
    allows.  The web app answers 422."""


# --- data ----------------------------------------------------------------


class DataError(GutBalanceError):
    """The data were read but cannot be used as they are (for example negative
    or NaN abundances, duplicate samples, nothing left after filtering)."""


class TaxonomyError(DataError):
    """A lineage or taxon name cannot be interpreted."""


class DataTableError(GutBalanceError):
    """A data table shipped with gutbalance (knowledge base, pillar, index or
    simulation parameters; :mod:`gutbalance.citations`) is malformed or cites
    a row wrongly: a packaging bug, or a bad table given by a user.

    Parameters
    ----------
    message
        What is wrong.
    path
        The table (file or packaged resource name).
    line
        1-based line of the file (comment lines counted, as an editor shows it).
    column
        The column at fault.
    """

    def __init__(
        self, message: str, *, path: str | PathLike[str] | None = None, line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.column = column
        where = [w for w in (self.path, None if line is None else f"line {line}",
                             None if column is None else f"column {column!r}") if w]
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class KnowledgeBaseError(DataTableError):
    """A knowledge-base table (facts, bibliography, evidence weights;
    :mod:`gutbalance.knowledge`) is malformed or cites a row wrongly, for
    example a fact without a source.  A :class:`DataTableError`, so catching
    that catches every bad cited table; catch this for the knowledge base
    alone."""


class SimulationError(GutBalanceError):
    """A simulation was set up wrongly (unknown intervention, bad schedule)."""


# --- warnings --------------------------------------------------------------


class GutBalanceWarning(UserWarning):
    """Something about the input is suspicious but usable (reported, not fatal)."""


class SampleLeftOutWarning(GutBalanceWarning):
    """One sample of a file of several could not be read and was left out; the
    file's other samples are read.  A batch lists it among its errors
    (``problems.tsv``), naming the sample."""

    def __init__(self, message: str, sample: str) -> None:
        super().__init__(message)
        self.sample = sample

