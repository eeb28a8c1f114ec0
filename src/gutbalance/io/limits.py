"""Caps on one input file (bytes as stored, bytes once expanded, compression
ratio, lines, samples, taxa per sample) and the command line's defaults.  A
leaf of :mod:`gutbalance.io`: :mod:`.source` and :mod:`.archive` check them
while content streams in."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ContentLimitError, GutBalanceError

#: Largest input accepted, before and after decompression (bytes), unless
#: :class:`InputLimits` say otherwise.  A stool profile is kilobytes; a merged
#: table of 100,000 samples is a few GB at most.
MAX_INPUT_BYTES = 4 * 1024**3
#: Decompressed / compressed ratio above which a file is treated as a bomb.
MAX_COMPRESSION_RATIO = 1000
#: Decompressed bytes taken at a time: a bomb is refused after at most one
#: chunk past its limit, never after expanding it whole.
CHUNK_BYTES = 1 << 16
#: Longest sample or taxon name accepted (characters).  The longest real ones
#: are a full-length 16S sequence used as a DADA2 feature name (~1,600) and a
#: lineage of eight ranks; a name of megabytes is a broken file, and it cost
#: gigabytes once every column of a cohort was as wide as it (a 50 MB name
#: asked for 58 GiB and lost the whole batch).
MAX_NAME_CHARACTERS = 10_000
#: Environment variables that set the command line's limits (see :meth:`InputLimits.from_env`).
LIMIT_VARIABLES = {
    "max_bytes": "GUTBALANCE_INPUT_MAX_BYTES",
    "max_expanded_bytes": "GUTBALANCE_INPUT_MAX_EXPANDED_BYTES",
    "max_ratio": "GUTBALANCE_INPUT_MAX_RATIO",
    "max_lines": "GUTBALANCE_INPUT_MAX_LINES",
    "max_samples": "GUTBALANCE_INPUT_MAX_SAMPLES",
    "max_taxa": "GUTBALANCE_INPUT_MAX_TAXA",
}


@dataclass(frozen=True)
class InputLimits:
    """Caps on one input file, checked while it streams in; the first one
    passed stops reading.

    Attributes
    ----------
    max_bytes
        The file as stored or uploaded (compressed, if it is).
    max_expanded_bytes
        The content once decompressed (gzip/bz2/xz), or all members of a
        zip archive (``.qza``) together.  Over it: :class:`SizeLimitError`.
    max_ratio
        Expanded / compressed size above which a file is a bomb.
    max_lines, max_samples, max_taxa
        Lines of the (expanded) text, samples in the file, taxa of one
        sample; ``None`` is no limit.  Over one: :class:`ContentLimitError`.

    The defaults are the command line's: generous, for cohorts of 100,000
    samples on a workstation.  The web app sets tight ones per upload.
    """

    max_bytes: int = MAX_INPUT_BYTES
    max_expanded_bytes: int = MAX_INPUT_BYTES
    max_ratio: int = MAX_COMPRESSION_RATIO
    max_lines: int | None = None
    max_samples: int | None = None
    max_taxa: int | None = None

    @classmethod
    def from_env(cls) -> InputLimits:
        """The defaults, changed by ``GUTBALANCE_INPUT_MAX_<NAME>`` variables
        (:data:`LIMIT_VARIABLES`; ``0`` or empty means no limit for the counts)."""
        return _limits_from(tuple(os.environ.get(variable) for variable in LIMIT_VARIABLES.values()))

    def check_profiles(self, profiles: list, *, path: str | Path | None) -> None:
        """Refuse more samples, or a sample with more taxa, than allowed, and
        a sample or taxon name longer than :data:`MAX_NAME_CHARACTERS`.

        Only each lineage's own taxon is measured (every reader lists the
        parents it names as taxa of their own, or writes them in a lineage
        string, which :func:`~gutbalance.taxonomy.lineage.parse_lineage`
        measures): a quarter of the cost of every node, 1.5 % of reading a
        MetaPhlAn file.
        """
        for profile in profiles:
            if len(profile.sample) > MAX_NAME_CHARACTERS:
                raise ContentLimitError(
                    f"a sample name of {len(profile.sample):,} characters ({profile.sample[:40]!r}...), over the "
                    f"limit of {MAX_NAME_CHARACTERS:,}: the file looks broken", path=path)
            longest = max(profile.lineages, key=lambda lineage: len(lineage[-1].original), default=None)
            if longest is not None and len(longest[-1].original) > MAX_NAME_CHARACTERS:
                name = longest[-1].original
                raise ContentLimitError(
                    f"sample {profile.sample!r} names a taxon of {len(name):,} characters ({name[:40]!r}...), over the "
                    f"limit of {MAX_NAME_CHARACTERS:,}: the file looks broken", path=path)
        if self.max_samples is not None and len(profiles) > self.max_samples:
            raise ContentLimitError(
                f"the file holds {len(profiles):,} samples, over the limit of {self.max_samples:,} per file; "
                f"split it into files of at most {self.max_samples:,} samples",
                path=path,
            )
        if self.max_taxa is not None:
            for profile in profiles:
                if len(profile.lineages) > self.max_taxa:
                    raise ContentLimitError(
                        f"sample {profile.sample!r} lists {len(profile.lineages):,} taxa, over the limit of {self.max_taxa:,}",
                        path=path,
                    )


def default_limits() -> InputLimits:
    """The limits :meth:`Source.open` applies when given none (from the environment)."""
    return InputLimits.from_env()


@functools.lru_cache(maxsize=16)
def _limits_from(raw_values: tuple[str | None, ...]) -> InputLimits:
    """The limits of the variables' values (in :data:`LIMIT_VARIABLES`
    order).  Cached by those values: every file of a batch opens with the
    default limits, and parsing them again per file cost as much as sniffing
    its format; a changed variable is a new key, so it still takes effect.
    A bad value raises every time (exceptions are not cached)."""
    values: dict[str, Any] = {}
    for (name, variable), raw in zip(LIMIT_VARIABLES.items(), raw_values, strict=True):
        if raw is None:
            continue
        try:
            number = int(raw) if raw.strip() else 0
        except ValueError:
            raise GutBalanceError(f"{variable} must be a whole number, not {raw!r}") from None
        if name in ("max_lines", "max_samples", "max_taxa"):
            values[name] = number if number > 0 else None
        elif number <= 0:
            raise GutBalanceError(f"{variable} must be positive")
        else:
            values[name] = number
    return InputLimits(**values)
