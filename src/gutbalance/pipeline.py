"""Batch scoring of cohorts of any size, on local processes or a Dask cluster.

The input files are cut into chunks; each chunk is read, harmonised and
scored on its own (every score is a per-sample function, so chunking never
changes a number), and its result is saved as a part file in
``OUT/.gutbalance-parts/``.  The final tables are then assembled by streaming
the parts in input order, so memory stays bounded by the chunk size whatever
the cohort size.

Resumable and safe to interrupt:

- a part is written to a temporary file and renamed, and its JSON marker,
  written last, carries a key of the chunk's inputs (path, size, mtime), the
  format and diversity-rank options and the gutbalance version; a second run skips every chunk
  whose marker matches and recomputes the rest;
- the outputs (``scores.tsv``, ``scores.parquet``, ``problems.tsv``,
  ``scores.json``) are written to temporary files and renamed, so a killed
  run leaves either the previous output or none, never half a file.

The same chunk function runs in a :class:`~concurrent.futures.ProcessPoolExecutor`
or on a Dask ``distributed`` cluster (``dask="local"`` starts a LocalCluster;
``dask="tcp://host:port"`` connects to a running scheduler).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import shutil
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.std import TqdmExperimentalWarning

if TYPE_CHECKING:  # Dask is optional (the dask extra)
    from distributed import Future as DaskFuture

# tqdm.autonotebook, not tqdm.auto: the same bar (a widget in Jupyter, text
# elsewhere) without tqdm.auto's asyncio mixin, whose import (asyncio, ssl:
# about 10 ms) every run paid for a bar that is never iterated asynchronously.
# Silenced as tqdm.auto silences it: the notebook bar is "experimental".
with warnings.catch_warnings():
    warnings.simplefilter("ignore", TqdmExperimentalWarning)
    from tqdm.autonotebook import tqdm

from . import json_text, knowledge
from ._version import __version__
from .atomic import PendingFile, write_atomic, write_bytes_atomic, write_text_atomic
from .errors import FormatError
from .indices.resolution import check_asked_rank
from .io import RESULTS_PARTS_DIR, Problem, expand_inputs, read_batch, split_batch_taxonomy, taxonomy_not_used
from .io.taxonomy_file import FeatureTaxonomy
from .outputs import write_table_atomic
from .pillars import parameters
from .reference import load_reference, with_percentiles_explained
from .scores import SCORES_JSON_TAIL, score_with_contributions, scores_json_head
from .scores_table import CONTRIBUTIONS_FILE, LINE_END, SCORES_FILE, SCORES_PARQUET_FILE, format_scores
from .taxonomy.placement import lineage_table

PARTS_DIR = RESULTS_PARTS_DIR
#: Between two samples of ``scores.json`` (one per line), and of a part's
#: contributions: a part is copied into ``scores.json`` as it is.  JSON text
#: never holds a raw newline, so this splits a part's samples apart again.
JSON_SEPARATOR = b",\n"
#: Changes when the layout of the part files changes, so that a resumed run
#: never reuses parts written in another layout.
PARTS_LAYOUT = 2
DEFAULT_CHUNK_FILES = 1000


@dataclass
class RunSummary:
    """What a run did: counts, where the outputs are, and every problem."""

    out_dir: Path
    n_files: int
    n_samples: int
    n_chunks: int
    chunks_reused: int
    problems: list[Problem] = field(default_factory=list)
    #: The input files, in the order they were scored.
    files: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> list[Problem]:
        """The problems of severity ``error`` (files or chunks that produced no scores)."""
        return [p for p in self.problems if p.severity == "error"]


# --- one chunk -------------------------------------------------------------


def score_files(
    files: Sequence[str], *, format: str | None = None, contributions: bool = True,
    contributions_path: str | None = None, feature_rank: str | None = None, diversity_rank: str = "auto",
    taxonomy: FeatureTaxonomy | None = None, tables_only: bool = False,
) -> tuple[pd.DataFrame, list[dict], bytes | None, str, int, list[str]]:
    """Read and score one chunk of files (runs in a worker process).

    Returns the scores table, the problems as dicts, one ``"sample": {...}``
    JSON line per sample with its contributions (UTF-8, separated by
    :data:`JSON_SEPARATOR` as in ``scores.json``; empty when not asked
    for), the table as TSV text, and how many files were read with
    ``taxonomy``.  The text is made here, in parallel, so
    the final assembly only copies it; the JSON stays bytes from orjson to
    the file, never decoded.  Last, the input file of each row (what the
    assembly names when another chunk already scored a sample of that name).  With ``contributions_path`` (a worker on this
    machine) the worker writes those lines to that part file itself and
    returns None for them: they are tens of MB per chunk, which the main
    process would otherwise receive, unpickle and write out again.
    ``diversity_rank``: as for :func:`gutbalance.scores.score`.
    ``taxonomy`` and ``tables_only``: the run's taxonomy files, read once
    for every chunk (:func:`~gutbalance.io.split_batch_taxonomy`), and the
    chunk's files all tables (:func:`~gutbalance.io.read_batch`).
    The tasks of a worker may share one taxonomy (scattered once on Dask):
    each chunk records the tables it read with it in a list of its own and
    never changes the shared object.
    """
    if taxonomy is not None:
        taxonomy = replace(taxonomy, tables=[])  # the lineages are shared, not copied
    with _cyclic_gc_paused():
        result = read_batch(list(files), format=format, feature_rank=feature_rank, taxonomy=taxonomy,
                            tables_only=tables_only)
        problems = [p.as_row() for p in result.problems]
        if result.cohort is None:
            return pd.DataFrame(), problems, b"", "", result.taxonomy_tables, []
        table, explained = score_with_contributions(result.cohort, explain=contributions, raw_json=True,
                                                       diversity_rank=diversity_rank)
        table, explained = with_percentiles_explained(table, explained, result.cohort)
        lines = b""
        if contributions:
            lines = JSON_SEPARATOR.join([_json(sample) + b":" + json_text.dumps(explained[sample]) for sample in table.index])
        sources = [str(f) for f in result.cohort.samples["source_file"].reindex(table.index).fillna("")]
        if contributions_path is not None:
            write_bytes_atomic(lines, contributions_path)
            return table, problems, None, format_scores(table), result.taxonomy_tables, sources
        return table, problems, lines, format_scores(table), result.taxonomy_tables, sources


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one chunk.

    A chunk allocates millions of small acyclic objects (the lineages read,
    the ``scores.json`` dictionaries), which reference counting frees; but
    each allocation burst also triggers the cyclic collector, whose full
    passes walk every live object again and again as the chunk's results
    grow: measured, that was a third of a chunk's CPU time with
    contributions on.  The few reference cycles a chunk makes (pandas
    internals) wait until the chunk ends, so memory stays bounded by the
    chunk size; the collector's previous state is restored afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _json(value) -> bytes:
    """JSON as UTF-8; orjson is about 5x faster than the standard library on
    the contributions, which made a third of a chunk's time (NaN becomes
    null).  A line never holds a raw newline (orjson escapes them)."""
    return orjson.dumps(value)


def files_fingerprint(root: Path) -> str:
    """A digest of every file under ``root`` (its path, size and modification
    time; ``__pycache__`` left out).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.json").write_text("1")
    >>> before = files_fingerprint(folder)
    >>> _ = (folder / "a.json").write_text("12")
    >>> files_fingerprint(folder) == before
    False
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        st = path.stat()
        digest.update(f"|{path.relative_to(root).as_posix()}|{st.st_size}|{st.st_mtime_ns}".encode())
    return digest.hexdigest()


def _package_fingerprint() -> str:
    """:func:`files_fingerprint` of the installed package: its code and the
    tables scoring reads (calibration, knowledge base, lineage table, healthy
    reference).  The version alone does not change when they do in a
    development install (``pip install -e``), and a part scored with other
    tables must not be reused.  Taken afresh by every run (a few ms for
    the package's ~170 files): a long-lived process must not carry an old one."""
    return files_fingerprint(Path(__file__).resolve().parent)


def _chunk_key(
    files: Sequence[Path], format: str | None, contributions: bool, package: str, feature_rank: str | None = None,
    diversity_rank: str = "auto", taxonomy_files: Sequence[Path] = (),
) -> str:
    """What a saved part was made from: the package version, its code and
    tables (``package``, :func:`_package_fingerprint`, taken once per run),
    the options, and each file's path, size and time, the run's taxonomy
    files' too (they apply to every chunk)."""
    digest = hashlib.sha256()
    digest.update(
        f"{__version__}|{package}|{PARTS_LAYOUT}|{format}|{contributions}|{diversity_rank}|{feature_rank}".encode()
    )
    _digest_files(digest, files)
    if taxonomy_files:
        digest.update(b"|taxonomy")
        _digest_files(digest, taxonomy_files)
    return digest.hexdigest()


def _digest_files(digest: Any, files: Sequence[Path]) -> None:
    """Each file's path, size and modification time into ``digest``."""
    for f in files:
        st = os.stat(f)
        digest.update(f"|{os.path.abspath(f)}|{st.st_size}|{st.st_mtime_ns}".encode())


def _part_paths(parts: Path, index: int) -> tuple[Path, Path, Path, Path]:
    """Data (Parquet), TSV text, contribution lines, and the marker written last."""
    stem = parts / f"chunk-{index:06d}"
    return (
        stem.with_suffix(".parquet"),
        stem.with_suffix(".tsv"),
        stem.with_suffix(".contrib"),
        stem.with_suffix(".json"),
    )


def _save_part(
    parts: Path, index: int, key: str, table: pd.DataFrame, problems: list[dict], lines: bytes | None, tsv: str,
    taxonomy_tables: int = 0, sources: Sequence[str] = (),
) -> pa.Table:
    """Save a chunk's result as part ``index``, its marker last (``lines``
    None: the worker wrote them, see :func:`score_files`; ``taxonomy_tables``:
    its files read with the run's taxonomy; ``sources``: each row's input
    file); returns the table
    as Arrow, for the assembly (converting it once, not again after reading
    the part back, saves the main process a tenth of its CPU time)."""
    data_path, tsv_path, contrib_path, marker_path = _part_paths(parts, index)
    arrow = pa.Table.from_pandas(table, preserve_index=True)
    write_atomic(data_path, lambda p: pq.write_table(arrow, p))
    write_text_atomic(tsv, tsv_path)
    if lines is not None:
        write_bytes_atomic(lines, contrib_path)
    marker = {"key": key, "n_samples": len(table), "problems": problems, "taxonomy_tables": taxonomy_tables,
              "sources": list(sources)}
    write_text_atomic(json.dumps(marker), marker_path)
    return arrow


def _part_done(parts: Path, index: int, key: str) -> bool:
    paths = _part_paths(parts, index)
    if not all(p.exists() for p in paths):
        return False
    try:
        return json.loads(paths[-1].read_text(encoding="utf-8")).get("key") == key
    except (OSError, ValueError):
        return False


# --- executors ---------------------------------------------------------------


def _warm_caches() -> None:
    """Load the knowledge base, reference and parameters once, here: worker
    processes forked afterwards inherit them instead of each loading them."""
    knowledge.preload()
    load_reference()
    parameters()
    lineage_table()


#: The run's taxonomy in a worker of the local process pool, given once when
#: the worker starts (:func:`_local_executor`) and read by
#: :func:`_score_files_with_run_taxonomy`.
_run_taxonomy: FeatureTaxonomy | None = None


def _set_run_taxonomy(taxonomy: FeatureTaxonomy | None) -> None:
    global _run_taxonomy
    _run_taxonomy = taxonomy


def _score_files_with_run_taxonomy(files: list[str], **options: Any) -> tuple:
    """:func:`score_files` with the taxonomy this worker was started with."""
    return score_files(files, taxonomy=_run_taxonomy, **options)


def _local_executor(jobs: int | None, taxonomy: FeatureTaxonomy | None = None):
    jobs = jobs or os.cpu_count() or 1
    _warm_caches()
    # The run's taxonomy (a SILVA taxonomy is hundreds of MB in memory) goes to
    # each worker once as it starts, not pickled into every chunk's task.
    return ProcessPoolExecutor(max_workers=jobs, initializer=_set_run_taxonomy, initargs=(taxonomy,))


class _DaskExecutor:
    """The subset of the Executor interface the pipeline uses, on Dask."""

    def __init__(self, address: str, jobs: int | None) -> None:
        try:
            # Dask is optional (the dask extra): imported only for a --dask run
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise FormatError(
                "Dask is not installed: pip install \".[dask]\" in gutbalance's source folder, as `pip install .` was"
            ) from exc
        self._cluster = None
        if address == "local":
            # The scheduler's HTTP server starts even with dashboard_address=None, on
            # port 8787 unless told otherwise; ":0" takes a free port, so a
            # dashboard already running on the machine (a notebook's cluster, a
            # second run) cannot make this one warn or fail.
            self._cluster = LocalCluster(
                n_workers=jobs or os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=":0"
            )
            self.client = Client(self._cluster)
        else:
            self.client = Client(address)

    def submit(self, fn, *args, **kwargs) -> DaskFuture[Any]:
        return self.client.submit(fn, *args, pure=False, **kwargs)

    def share(self, value: Any) -> DaskFuture[Any]:
        """``value`` sent once to every worker; the future stands for it in
        each task's arguments (Dask hands the task the worker's copy), instead
        of the value pickled into every task.  Wrapped in a list, as
        ``scatter`` would cut a sequence or mapping into one future per
        element; ``hash=False``: no tokenising of a large object."""
        [future] = self.client.scatter([value], broadcast=True, hash=False)
        return future

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def _as_completed(futures: list, dask: bool) -> Iterator:
    if dask:
        # Dask is optional (the dask extra): imported only for a --dask run
        from dask.distributed import as_completed as dask_as_completed

        return iter(dask_as_completed(futures))
    return as_completed(futures)


# --- the run ---------------------------------------------------------------------


def run(
    inputs: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    format: str | None = None,
    jobs: int | None = None,
    dask: str | None = None,
    chunk_files: int = DEFAULT_CHUNK_FILES,
    contributions: bool = True,
    progress: bool | None = None,
    exclude: Sequence[str | os.PathLike[str]] = (),
    feature_rank: str | None = None,
    diversity_rank: str = "auto",
) -> RunSummary:
    """Score every input and write ``scores.tsv``, ``scores.parquet``,
    ``problems.tsv`` and (with ``contributions``) ``scores.json`` to ``out_dir``.

    Parameters
    ----------
    inputs
        Files, folders or glob patterns, taken in the order of their paths
        (so the rows, and which of two samples of one name is kept, do not
        depend on the order they are named in); a folder's files in its
        sorted order.
    jobs
        Worker processes (default: all cores). ``jobs=1`` runs in this process.
    dask
        ``"local"`` for a LocalCluster, or a scheduler address.
    chunk_files
        Files per chunk: the unit of work, of resumption and of memory.
        Taxonomy files (a QIIME 2 ``FeatureData[Taxonomy]``, a
        ``taxonomy.tsv`` ...) are not cut into chunks: they are read once
        and apply to the feature tables of every chunk, so a sample's row
        does not depend on the chunking or on the other files.
    progress
        Show a progress bar (default: when standard error is a terminal).
    exclude
        Files or folders under the inputs that are not profiles (a metadata
        table); ``out_dir`` is always left out.
    feature_rank
        The rank of bare taxon names in tables that do not give it
        (:func:`gutbalance.io.read`).
    diversity_rank
        The rank of the diversity columns: ``"auto"`` (each sample's finest
        resolved rank) or one rank for every sample (docs/indices.md).  Part
        of each saved part's key, so a resumed run at another rank scores again.
    """
    check_asked_rank(diversity_rank)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    parts = out / PARTS_DIR
    parts.mkdir(exist_ok=True)
    problems: list[Problem] = []
    # The inputs in path order, whatever order they were named in: the rows,
    # and which of two samples of one name is kept, must not depend on it.
    ordered = sorted(inputs, key=lambda item: os.path.abspath(os.fspath(item)))
    files, missing = expand_inputs(ordered, exclude=[out, *exclude])
    problems.extend(missing)
    # The taxonomy files apply to the tables of every chunk: read once here,
    # given to each chunk, and part of each chunk's key.
    tables, taxonomy, taxonomy_problems = split_batch_taxonomy(files)
    problems.extend(taxonomy_problems)
    taxonomy_files = [f for f in files if taxonomy is not None and str(f) in taxonomy.sources]
    chunks = [tables[i : i + chunk_files] for i in range(0, len(tables), chunk_files)]
    package = _package_fingerprint()
    keys = [_chunk_key(chunk, format, contributions, package, feature_rank, diversity_rank, taxonomy_files)
            for chunk in chunks]
    todo = [i for i, key in enumerate(keys) if not _part_done(parts, i, key)]
    reused = len(chunks) - len(todo)

    assembly = _Assembly(out, parts, len(chunks), problems, contributions)
    with assembly:
        _score_chunks(chunks, todo, keys, parts, assembly, format=format, jobs=jobs, dask=dask,
                      contributions=contributions, progress=progress, n_files=len(tables), feature_rank=feature_rank,
                      diversity_rank=diversity_rank, taxonomy=taxonomy)
        if taxonomy is not None and not assembly.taxonomy_tables:
            problems.extend(taxonomy_not_used(taxonomy))
        n_samples = assembly.finish()
    return RunSummary(out, len(files), n_samples, len(chunks), reused, problems, files=list(files))


def _score_chunks(
    chunks: list[list[Path]], todo: list[int], keys: list[str], parts: Path, assembly: _Assembly, *,
    format: str | None, jobs: int | None, dask: str | None, contributions: bool, progress: bool | None, n_files: int,
    feature_rank: str | None = None,
    diversity_rank: str = "auto",
    taxonomy: FeatureTaxonomy | None = None,
) -> None:
    """Score the chunks of ``todo``, save each as a part and hand every part
    (the reused ones too) to ``assembly`` as it is saved; every chunk is
    read with the run's ``taxonomy``."""
    reused = [i for i in range(len(chunks)) if i not in set(todo)]
    for i in reused:
        assembly.saved_part(i)
    bar = tqdm(
        total=n_files,
        initial=sum(len(chunks[i]) for i in reused),
        unit="file",
        disable=(not _is_tty()) if progress is None else not progress,
        desc="scoring",
    )
    try:
        if todo and (dask is None and (jobs == 1 or len(todo) == 1)):
            for i in todo:
                result = score_files([str(f) for f in chunks[i]], format=format, contributions=contributions,
                                     contributions_path=str(_part_paths(parts, i)[2]), feature_rank=feature_rank,
                                     diversity_rank=diversity_rank, taxonomy=taxonomy, tables_only=True)
                assembly.saved_part(i, _save_part(parts, i, keys[i], *result))
                bar.update(len(chunks[i]))
        elif todo:
            executor = _DaskExecutor(dask, jobs) if dask else _local_executor(jobs, taxonomy)
            with executor as pool:
                # The run's taxonomy (a SILVA taxonomy is hundreds of MB in memory) goes
                # to each worker once, not pickled into every chunk's task: scattered
                # on Dask, given to each local worker as it starts.
                task: Callable[..., Any]
                if isinstance(pool, _DaskExecutor):
                    task, shared = score_files, {"taxonomy": pool.share(taxonomy) if taxonomy is not None else None}
                else:
                    task, shared = _score_files_with_run_taxonomy, {}
                futures = {}
                for i in todo:
                    # a Dask worker may be on another machine: it sends its contributions back
                    local_path = None if dask else str(_part_paths(parts, i)[2])
                    fut = pool.submit(task, [str(f) for f in chunks[i]], format=format,
                                      contributions=contributions, contributions_path=local_path,
                                      feature_rank=feature_rank, diversity_rank=diversity_rank, tables_only=True,
                                      **shared)
                    futures[fut] = i
                for fut in _as_completed(list(futures), dask is not None):
                    i = futures[fut]
                    assembly.saved_part(i, _save_part(parts, i, keys[i], *fut.result()))
                    bar.update(len(chunks[i]))
    finally:
        bar.close()


def _is_tty() -> bool:
    return sys.stderr.isatty()


class _Assembly:
    """The final outputs, streamed from the parts in input order.

    A part is added as soon as it and every part before it are saved, so the
    main process assembles while the workers still score the later chunks
    (assembling only after the last chunk left one core idle for the whole
    copy).  The outputs are temporary files until :meth:`finish` commits
    them; leaving the block without finishing (a failed chunk, an
    interruption) leaves the previous outputs as they were.
    """

    def __init__(self, out: Path, parts: Path, n_chunks: int, problems: list[Problem], contributions: bool) -> None:
        self.out, self.parts, self.n_chunks = out, parts, n_chunks
        self.problems, self.contributions = problems, contributions
        #: every sample name added so far, with the input it came from
        self.seen: dict[str, str] = {}
        self.columns: list[str] | None = None
        self.first_header = ""
        self.n_samples = 0
        #: Files of the parts added so far that were read with the run's taxonomy.
        self.taxonomy_tables = 0
        self.first_json = True
        self.writer: pq.ParquetWriter | None = None
        self.saved: dict[int, pa.Table | None] = {}
        self.next = 0
        self._pending = contextlib.ExitStack()
        self._open = contextlib.ExitStack()

    def __enter__(self) -> _Assembly:
        with contextlib.ExitStack() as stack:
            stack.enter_context(self._pending)
            self.tsv_out = self._pending.enter_context(PendingFile(self.out / SCORES_FILE))
            self.pq_out = self._pending.enter_context(PendingFile(self.out / SCORES_PARQUET_FILE))
            self.json_out = self._pending.enter_context(PendingFile(self.out / CONTRIBUTIONS_FILE))
            self._pending.enter_context(self._open)
            self.tsv = self._open.enter_context(open(self.tsv_out.tmp, "w", encoding="utf-8", newline=""))
            # unbuffered: parts are copied into it by the kernel (_append_file)
            self.js = self._open.enter_context(open(self.json_out.tmp, "wb", buffering=0))
            self.js.write(scores_json_head())
            stack.pop_all()
        return self

    def __exit__(self, *exc: object) -> None:
        self._pending.close()

    def saved_part(self, index: int, arrow: pa.Table | None = None) -> None:
        """Part ``index`` is saved: add it, and the saved parts after it, in
        order.  ``arrow`` is its table when this process just saved it (a
        reused part is read from its file)."""
        self.saved[index] = arrow
        while self.next in self.saved:
            self._add(self.next, self.saved.pop(self.next))
            self.next += 1

    def _add(self, i: int, arrow: pa.Table | None) -> None:
        data_path, tsv_path, contrib_path, marker_path = _part_paths(self.parts, i)
        marker = json.loads(marker_path.read_text(encoding="utf-8"))
        self.problems.extend(Problem(p["file"], p["severity"], p["message"]) for p in marker["problems"])
        self.taxonomy_tables += marker.get("taxonomy_tables", 0)
        if marker["n_samples"] == 0:
            return
        if arrow is None:
            arrow = pq.read_table(data_path)
        # The table stays Arrow from the part to scores.parquet; pandas only
        # for the rare chunk that must be formatted again.
        index_column = arrow.schema.pandas_metadata["index_columns"][0]
        names = arrow.column(index_column).to_pylist()
        header, _, body = tsv_path.read_text(encoding="utf-8").partition(LINE_END)
        keep = np.array([n not in self.seen for n in names], dtype=bool) if self.seen else np.ones(len(names), dtype=bool)
        kept: bytes | None = None  # the contributions of the kept samples, when not all are
        sources = marker.get("sources") or [""] * len(names)  # a part saved before sources were kept
        for name, source in zip(np.asarray(names, dtype=object)[~keep], np.asarray(sources, dtype=object)[~keep],
                                strict=True):
            first = self.seen[name] or "an input read first"
            self.problems.append(
                Problem(source or str(name), "error", f"sample name {name!r} is also in {first}, read first: this "
                        f"file's {name!r} was left out (rename one of them to score both)")
            )
        if self.columns is None:
            self.columns = [c for c in arrow.column_names if c != index_column]
            self.first_header = header
            self.tsv.write(header + "\n")
        if header != self.first_header or not keep.all():
            # Rare: other columns (a chunk of an older layout) or
            # a repeated sample name; format this chunk again.
            table = arrow.to_pandas()[keep].reindex(columns=self.columns)
            body = format_scores(table).split(LINE_END, 1)[1]
            arrow = pa.Table.from_pandas(table, preserve_index=True)
            names = list(table.index)
            if self.contributions:
                lines = contrib_path.read_bytes().split(JSON_SEPARATOR)
                kept = JSON_SEPARATOR.join(line for line, k in zip(lines, keep, strict=True) if k)
        self.tsv.write(body)
        # nothing left in a buffer that a worker process forked later would copy
        self.tsv.flush()
        if self.writer is None:
            self.writer = self._open.enter_context(pq.ParquetWriter(self.pq_out.tmp, arrow.schema))
        self.writer.write_table(arrow.cast(self.writer.schema))
        self.seen.update(zip(names, sources if keep.all() else
                             [s for s, k in zip(sources, keep, strict=True) if k], strict=True))
        self.n_samples += len(names)
        if self.contributions and (kept if kept is not None else contrib_path.stat().st_size):
            self.js.write(b"\n" if self.first_json else JSON_SEPARATOR)
            if kept is not None:
                self.js.write(kept)
            else:
                _append_file(contrib_path, self.js)
            self.first_json = False

    def finish(self) -> int:
        """Commit the outputs (every part must have been added) and write
        ``problems.tsv``; returns the number of samples."""
        if self.next != self.n_chunks:
            raise RuntimeError(f"assembled {self.next} of {self.n_chunks} parts")
        self.js.write(SCORES_JSON_TAIL)
        self._open.close()
        if self.writer is not None:
            self.pq_out.commit()
        if self.columns is not None:
            self.tsv_out.commit()
        if self.contributions and self.columns is not None:
            self.json_out.commit()
        frame = pd.DataFrame([p.as_row() for p in self.problems], columns=["file", "severity", "message"])
        write_table_atomic(frame, self.out / "problems.tsv", index=False)
        return self.n_samples


def _append_file(source: Path, target) -> None:
    """Append the file ``source`` to the open unbuffered file ``target``,
    copied by the kernel where it can (``os.copy_file_range``: a part of
    ``scores.json`` is tens of MB, and reading it into Python and writing it
    out again was most of the main process's CPU time)."""
    with open(source, "rb") as part:
        left = os.fstat(part.fileno()).st_size
        copy_range = getattr(os, "copy_file_range", None)
        try:
            while left > 0 and copy_range is not None:
                done = copy_range(part.fileno(), target.fileno(), left)
                if done == 0:
                    break
                left -= done
        except OSError:
            pass  # not on this file system: copy the rest through Python (both offsets have moved on)
        if left > 0:
            shutil.copyfileobj(part, target, 1 << 20)
