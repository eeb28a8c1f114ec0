"""BIOM tables (the library's :class:`biom.Table`), whichever file holds them:
a BIOM file (:mod:`.formats.biom`) or the ``feature-table.biom`` inside a
QIIME 2 artifact (:mod:`.formats.qza`).  Parsing (HDF5 in a child process,
see :mod:`.isolate`), turning a table into sample profiles, and building one
from a Cohort for the writers.

Each observation's lineage comes from, in order:

1. a feature taxonomy read in the same call (a QIIME 2 ``FeatureData[Taxonomy]``
   artifact or ``taxonomy.tsv``; see :mod:`.taxonomy_file`);
2. the observation metadata ``taxonomy`` (a list of rank strings, joined with
   ``;``, or one string);
3. the observation id itself, when it is a lineage or a binomial
   (``s__Abiotrophia_defectiva``, ``k__Bacteria; p__Firmicutes; ...``), or a
   bare name (``Bacteroides``) at the rank the user declared for bare names
   (``feature_rank``, ``--feature-rank``), exactly as in a CSV table.  A bare
   name without a declared rank is refused with the CSV table's words,
   naming the option; the rank is never guessed.

Ids that are none of these (ASV hashes, OTU numbers) cannot be scored: the
reader refuses the table and says a taxonomy is needed.  Counts or relative
abundance, and features classified only to a higher rank, are decided as for
every feature table (:func:`.feature_table.profiles_from_matrix`).

A table built from a Cohort (:func:`build_table`) has one observation per
taxon with its *own* abundance in each sample (its clade abundance minus its
children's: reads a profiler placed at a genus but no species stay at the
genus), so a sample's column depends on that sample alone and adds up to what
was classified; the lineage as id (``k__Bacteria;p__Bacillota;...``) and as
``taxonomy`` metadata (a list of ``k__X`` strings), counts when every sample
has counted ones, else relative abundance (a profiler's estimated reads, such
as MetaPhlAn's, are not written as counts: read back they would pass as reads
counted and replace the profiler's abundances), and an ``Unassigned`` observation for the
unassigned share.  Reading it back sums the own abundances into the same
clades (up to a parent the profiler reported below the sum of its children,
which a table of own abundances cannot carry).

What the numbers are is written into the table, as sample metadata, and read
from it before any guess (:func:`values_kind`): ``abundance_unit`` is
``reads`` or ``fraction`` for each sample, and ``counts_estimated_by`` names
the profiler format (``metaphlan``) whose estimated reads a sample had before
its relative abundances were written instead, so that the reason Chao1 is
missing survives the conversion.  BIOM 1.0 JSON count tables are also written
with ``"matrix_element_type": "int"``, which any reader can see; BIOM 2.1 has
no such field (biom-format stores every HDF5 matrix as float64).  A table
from elsewhere whose elements are integers (JSON ``int``, or an HDF5 matrix of
integers) holds counts; only a table that says nothing is judged by its sample
totals (:func:`.feature_table.profiles_from_matrix`).  Of those, a table of
whole numbers whose samples all add up to about 100 is read as percentages
with a :class:`~gutbalance.errors.GutBalanceWarning`: it may as well hold 100
reads a sample (rarefied), which its numbers cannot tell.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from pathlib import Path

import h5py
import numpy as np
import scipy.sparse as sp
from biom import Table
from biom.parse import parse_biom_table

from ..cohort import Lineage, SampleProfile, parent_links
from ..errors import FormatError, GutBalanceWarning, TaxonomyError
from ..taxonomy import lineages_to_write
from .feature_table import (
    FEATURE_RANK_HINT,
    label_lineage,
    looks_like_feature_id,
    looks_taxonomic,
    profiles_from_matrix,
    unassigned_count,
)
from .isolate import run_isolated
from .registry import counts_estimated_by, writes_counts
from .source import Source
from .taxonomy_file import FeatureTaxonomy

_TAXONOMY_KEYS = ("taxonomy", "Taxonomy", "taxon", "Taxon", "lineage", "Lineage")
#: Sample metadata gutbalance writes: what the sample's numbers are (``reads``
#: or ``fraction``), and whose estimated reads they replace (a format name).
UNIT_KEY = "abundance_unit"
ESTIMATED_KEY = "counts_estimated_by"
#: ... and the profiler database the sample's profile named (MetaPhlAn's
#: ``mpa_v31_CHOCOPhlAn_201901``, ``motus``), so that a table converted from a
#: profile keeps the profiler family its percentiles and caveats depend on
#: (:func:`gutbalance.reference.comparability.profiler_family`).
DATABASE_KEY = "profiler_database"
_KIND_OF_UNIT = {"reads": "counts", "fraction": "fraction"}
#: BIOM 1.0's declared type of the matrix values (biom-format parses an
#: ``int`` table into floats and forgets it, so the text is asked).
_ELEMENT_TYPE = re.compile(r'"matrix_element_type"\s*:\s*"([A-Za-z]+)"')


#: How to give a table of feature ids its taxonomy (the web app, which reads
#: one file at a time, says it in its own words).
TAXONOMY_PAIR_HINT = ("read the table together with its FeatureData[Taxonomy] .qza or taxonomy.tsv (for example "
                      "gutbalance.read([table, taxonomy])), or use a table collapsed to taxa")


def _parse_hdf5(data: bytes):
    """The parts of the BIOM table in HDF5 bytes (matrix, ids, metadata), or
    None when the HDF5 file is not BIOM.  Runs in a child process (see
    :mod:`gutbalance.io.isolate`), so it returns plain, picklable parts."""
    with h5py.File(io.BytesIO(data), "r") as f:
        url = f.attrs.get("format-url", b"")
        url = url.decode() if isinstance(url, bytes) else str(url)
        if not ("biom" in url or ("format-version" in f.attrs and "observation" in f and "sample" in f)):
            return None
        # biom-format reads a shape that disagrees with the ids as "Duplicate
        # observation IDs" (an outside check): say what is wrong
        shape = [int(n) for n in np.asarray(f.attrs.get("shape", ())).ravel()]
        counted = [len(f[f"{axis}/ids"]) if f"{axis}/ids" in f else None for axis in ("observation", "sample")]
        if len(shape) == 2 and None not in counted and shape != counted:
            return {"error": f"its shape attribute says {shape[0]} observations x {shape[1]} samples, but it "
                             f"holds {counted[0]} observation ids and {counted[1]} sample ids (a corrupt or edited "
                             "file?)", "field": "shape"}
        table = parse_biom_table(f)
        dtype = getattr(f.get("observation/matrix/data"), "dtype", None)
        integers = dtype is not None and np.issubdtype(dtype, np.integer)

    def plain(metadata):
        return None if metadata is None else [None if m is None else dict(m) for m in metadata]

    return {
        "data": table.matrix_data,
        "observation_ids": list(table.ids(axis="observation")),
        "sample_ids": list(table.ids(axis="sample")),
        "observation_metadata": plain(table.metadata(axis="observation")),
        "sample_metadata": plain(table.metadata(axis="sample")),
        "type": table.type,
        "generated_by": table.generated_by,
        "integers": bool(integers),
    }


def hdf5_table(source: Source):
    """Parse HDF5 content once per source, isolated: libhdf5 can crash the
    process on a corrupt file rather than raise.  Returns the table, None for
    HDF5 that is not BIOM, or the FormatError to raise."""
    cached = source.__dict__.get("_biom_hdf5")
    if cached is None:
        try:
            parts = run_isolated(_parse_hdf5, source.data, path=source.path, what="HDF5 file")
            if parts is not None and "error" in parts:
                raise FormatError(parts["error"], path=source.path, field=parts["field"])
            if parts is not None:
                source.__dict__["_biom_integers"] = parts["integers"]
                parts = Table(
                    parts["data"],
                    parts["observation_ids"],
                    parts["sample_ids"],
                    observation_metadata=parts["observation_metadata"],
                    sample_metadata=parts["sample_metadata"],
                    type=parts["type"],
                    generated_by=parts["generated_by"],
                )
            cached = ("ok", parts)
        except FormatError as exc:
            cached = ("error", exc)
        except Exception as exc:  # biom and h5py raise KeyError, TypeError, ValueError, OSError, ...
            detail = str(exc).strip() or type(exc).__name__
            cached = ("error", FormatError(f"not a readable BIOM table ({detail})", path=source.path))
        source.__dict__["_biom_hdf5"] = cached
    return cached


def load_table(source: Source):
    """The :class:`biom.Table` in ``source`` (HDF5 or JSON)."""
    if source.is_hdf5:
        kind, value = hdf5_table(source)
        if kind == "error":
            raise value
        if value is None:
            raise FormatError("an HDF5 file, but not a BIOM table", path=source.path)
        return value
    try:
        text = source.text.lstrip()
        if not text.startswith("{"):
            raise FormatError("not a BIOM file (neither HDF5 nor JSON)", path=source.path)
        return parse_biom_table(text)
    except FormatError:
        raise
    except Exception as exc:  # biom and h5py raise KeyError, TypeError, ValueError, OSError, ...
        detail = str(exc).strip() or type(exc).__name__
        raise FormatError(f"not a readable BIOM table ({detail})", path=source.path) from None


def declared_integers(source: Source) -> bool:
    """Whether the BIOM file says its values are integers: BIOM 1.0's
    ``"matrix_element_type": "int"``, or a BIOM 2.1 matrix stored as integers
    (biom-format itself stores float64).  Evidence of counts."""
    if source.is_hdf5:
        hdf5_table(source)
        return bool(source.__dict__.get("_biom_integers", False))
    return _ELEMENT_TYPE.findall(source.text) == ["int"]


def _metadata_lineage(metadata) -> str | None:
    if not metadata:
        return None
    for key in _TAXONOMY_KEYS:
        value = metadata.get(key)
        if value is None:
            continue
        if isinstance(value, (list, tuple, np.ndarray)):
            parts = [str(v).strip() for v in value]
            text = ";".join(parts)
        else:
            text = str(value).strip()
        if text:
            return text
    return None


def profiles_from_table(
    table, *, path: Path, source_format: str, kind: str | None = None, taxonomy: FeatureTaxonomy | None = None,
    integers: bool = False, feature_rank: str | None = None,
) -> list[SampleProfile]:
    """Sample profiles from a :class:`biom.Table` (observations = taxa);
    ``taxonomy`` gives lineages to feature ids (ASV hashes); ``integers``:
    the file declares its values integers (:func:`declared_integers`);
    ``feature_rank``: the standard rank of observation ids that are bare
    taxon names (``Bacteroides``), as for a CSV table's bare names."""
    ids = [str(i) for i in table.ids(axis="observation")]
    samples = [str(s) for s in table.ids(axis="sample")]
    if not ids or not samples:
        raise FormatError(f"the table is empty ({len(ids)} features x {len(samples)} samples)", path=path)
    metadata = table.metadata(axis="observation")
    texts: list[str | None] = []
    # The features named by their own id: only these take the declared rank
    # (a taxonomy or the metadata gives lineages, which name their ranks).
    by_id: set[int] = set()
    for k, feature in enumerate(ids):
        text = None
        if taxonomy is not None:
            text = taxonomy.lineages.get(feature)
        if text is None and metadata is not None:
            text = _metadata_lineage(metadata[k])
        if text is None and (looks_taxonomic(feature) or (feature_rank is not None and not looks_like_feature_id(feature))):
            text = feature
            by_id.add(k)
        texts.append(text)
    missing = [f for f, t in zip(ids, texts, strict=True) if t is None]
    named = [f for f in missing if not looks_like_feature_id(f)]
    if missing and taxonomy is None and feature_rank is None and len(named) == len(missing):
        # Bare names (a table collapsed to genera whose ids were renamed, or
        # `biom convert` of a genus CSV): refused as the CSV table refuses
        # them, naming the option that declares their rank.
        raise FormatError(
            f"cannot tell the rank of {named[0]!r} ({len(missing)} of {len(ids)} features are named by an id that "
            "is no lineage, with no 'taxonomy' observation metadata): write lineages as the ids or as "
            f"'taxonomy' metadata, or {FEATURE_RANK_HINT}; if the ids are ASV or OTU ids, read the table together "
            "with its FeatureData[Taxonomy] .qza or taxonomy.tsv",
            path=path,
        )
    unnamed: list[int] = []
    if missing and taxonomy is not None:
        if 2 * len(missing) > len(ids):
            # A taxonomy that names fewer than half of the table's features
            # does not describe this table.
            raise FormatError(
                f"{len(missing)} of {len(ids)} features (ids such as {missing[0]!r}) are not in the taxonomy "
                f"given beside the table ({', '.join(taxonomy.sources)}): was that taxonomy made from another "
                "table's sequences (another denoising run, a deblur instead of a DADA2 table)? Classify this "
                "table's representative sequences, or give the taxonomy that was made from them",
                path=path,
            )
        # A taxonomy made from the representative sequences before the table
        # was filtered differently (Jangi et al. 2016 as shinyMicrobiota ships
        # it: 2 of 1,322 features): a feature it never classified has reads of
        # no known taxon, which is what an unassigned share is.
        unnamed = [k for k, t in enumerate(texts) if t is None]
        missing = []
    if missing:
        where = "no taxonomy (no 'taxonomy' observation metadata)"
        raise FormatError(
            f"{len(missing)} of {len(ids)} features (ids such as {missing[0]!r}) are not taxa and the table has "
            f"{where}: gutbalance needs the taxonomy of each feature — {TAXONOMY_PAIR_HINT}",
            path=path,
        )
    lineages: list[Lineage | None] = []
    for k, (feature, text) in enumerate(zip(ids, texts, strict=True)):
        if text is None:  # not in the taxonomy beside the table: unassigned (above)
            lineages.append(None)
            continue
        try:
            lineages.append(label_lineage(text, declared=feature_rank if k in by_id else None))
        except TaxonomyError as exc:
            raise FormatError(str(exc), path=path, field=feature) from None
    matrix = sp.csr_matrix(table.matrix_data, dtype=np.float64)
    _check_values(matrix, ids, samples, path)
    if unnamed:
        _warn_unnamed(matrix, unnamed, ids, path, taxonomy)
    kind = values_kind(table, matrix, kind, integers=integers)
    profiles = profiles_from_matrix(lineages, matrix, samples, path=path, source_format=source_format, kind=kind)
    sample_metadata = table.metadata(axis="sample")
    if sample_metadata is not None:
        for profile, about in zip(profiles, sample_metadata, strict=True):
            if about and about.get(ESTIMATED_KEY) and profile.counts is None:
                profile.counts_estimated_by = str(about[ESTIMATED_KEY])
            if about and about.get(DATABASE_KEY) and not profile.database:
                profile.database = str(about[DATABASE_KEY])
    return profiles


def _warn_unnamed(matrix: sp.csr_matrix, unnamed: list[int], ids: list[str], path: Path, taxonomy) -> None:
    """One warning for the features a taxonomy beside the table does not
    name, read as unassigned: how many, and the largest share of a sample's
    total they hold (each sample's own unassigned share says the rest)."""
    totals = np.asarray(matrix.sum(axis=0)).ravel()
    held = np.asarray(matrix[unnamed].sum(axis=0)).ravel()
    share = np.divide(held, totals, out=np.zeros_like(held), where=totals > 0)
    warnings.warn(
        f"{path}: {len(unnamed)} of {len(ids)} features (ids such as {ids[unnamed[0]]!r}) are not in the taxonomy "
        f"given beside the table ({', '.join(taxonomy.sources)}) and are read as unassigned "
        f"(at most {100 * float(share.max()):.3g} % of a sample)",
        GutBalanceWarning,
        stacklevel=3,
    )


def values_kind(table, matrix: sp.csr_matrix, kind: str | None = None, *, integers: bool = False) -> str | None:
    """What the numbers of a BIOM table are, from what the file says: the
    ``abundance_unit`` every sample's metadata gives (gutbalance writes it;
    ``fraction`` also refines the ``"relative"`` a caller knows from a QIIME 2
    ``RelativeFrequency`` artifact), else the ``kind`` the caller knows, else
    ``"counts"`` for a matrix the file declares integer (``integers``: BIOM
    1.0's ``matrix_element_type`` ``int``), else None: judged from the totals.

    A table of whole numbers whose samples each add up to 100 is read as
    counts when the file says so; without such evidence the totals decide
    (percentages), which is the guess the evidence is there to avoid.  A
    gutbalance table from before ``abundance_unit`` is read as fractions when
    its values are not all whole (as before)."""
    if kind == "counts":
        return kind
    about = table.metadata(axis="sample")
    units = {str((m or {}).get(UNIT_KEY, "")) for m in about} if about is not None else {""}
    unit = _KIND_OF_UNIT.get(units.pop()) if len(units) == 1 else None
    if unit == "fraction" or (unit == "counts" and kind is None):
        return unit
    if kind is None and (integers or np.issubdtype(table.dtype, np.integer)):
        return "counts"
    # Our own relative tables hold fractions: a CAMI profile's own abundances
    # can add up past 1 (its ranks are normalised one by one), which the
    # totals alone would take for percentages.
    ours = str(table.generated_by or "").startswith("gutbalance")
    if ours and not np.all(matrix.data == np.round(matrix.data)):
        return "fraction"
    return kind


def _check_values(matrix: sp.csr_matrix, ids: list[str], samples: list[str], path: Path) -> None:
    data = matrix.data
    bad = ~np.isfinite(data) | (data < 0)
    if not bad.any():
        return
    coo = matrix.tocoo()
    k = int(np.flatnonzero(~np.isfinite(coo.data) | (coo.data < 0))[0])
    value = coo.data[k]
    what = "NaN" if np.isnan(value) else ("infinite" if np.isinf(value) else f"negative ({value:g})")
    raise FormatError(f"feature {ids[coo.row[k]]!r}: value is {what}", path=path, field=samples[coo.col[k]])


def own_values(cohort, matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Each taxon's own value per sample: its clade value minus its children's.

    A child reported above its parent (a profiler's round-off, or ranks a CAMI
    profile normalises one by one) leaves the parent nothing of its own, not a
    negative amount.
    """
    M = sp.csr_matrix(matrix, dtype=np.float64)
    own = (M - M @ parent_links(cohort.taxa)).tocsr()
    scale = np.repeat(np.asarray(abs(M).max(axis=1).todense()).ravel(), np.diff(own.indptr))
    own.data[own.data <= 1e-12 * np.maximum(scale, 1.0)] = 0.0
    own.eliminate_zeros()
    return own


def build_table(cohort):
    """The cohort as a :class:`biom.Table`: one observation per taxon with its
    own abundance in each sample (see :func:`own_values`), so a sample's column
    depends on that sample alone and adds up to what was classified; counts
    when every sample has counted ones (not a profiler's estimates:
    :func:`~.registry.writes_counts`), else relative abundances; an ``Unassigned``
    observation for the unassigned share."""
    use_counts = writes_counts(cohort)
    source = cohort.counts if use_counts else cohort.X
    own = own_values(cohort, source)
    kept = np.flatnonzero(np.diff(own.tocsc().indptr) > 0)
    lineages = lineages_to_write(cohort.taxa["lineage"])[kept]
    matrix = own[:, kept].T.tocsr()
    ids = [lin.replace("|", ";") for lin in lineages]
    metadata = [{"taxonomy": lin.split("|")} for lin in lineages]
    unassigned = cohort.samples["unassigned"].to_numpy(dtype=float)
    if (unassigned > 0).any():
        if use_counts:
            counts = sp.csr_matrix(cohort.counts)
            row = np.array([unassigned_count(cohort, counts, i, u) for i, u in enumerate(unassigned)])
        else:
            row = unassigned
        matrix = sp.vstack([matrix, sp.csr_matrix(row.reshape(1, -1))]).tocsr()
        ids.append("Unassigned")
        metadata.append({"taxonomy": ["Unassigned"]})
    unit = "reads" if use_counts else "fraction"
    estimated = counts_estimated_by(cohort)
    about: list[dict[str, str]] = [{UNIT_KEY: unit} for _ in cohort.sample_names]
    if (estimated != "").any():
        for entry, name in zip(about, estimated.tolist(), strict=True):
            entry[ESTIMATED_KEY] = str(name)
    databases = cohort.samples["database"].fillna("").astype(str) if "database" in cohort.samples else None
    if databases is not None and (databases != "").any():
        # Every sample has the key ("" where its profile named none): BIOM
        # wants the same metadata categories for all samples.
        for entry, database in zip(about, databases, strict=True):
            entry[DATABASE_KEY] = database
    return Table(
        matrix,
        ids,
        cohort.sample_names,
        observation_metadata=metadata,
        sample_metadata=about,
        table_id="written by gutbalance",
        type="OTU table",
    )


def json_text(table: Table) -> str:
    """A :class:`biom.Table` as BIOM 1.0 JSON, values at full precision.

    biom-format writes JSON values with ``%f`` (six decimals), which turns a
    relative abundance under 5e-7 into 0 and rounds the rest; the values are
    written again here from the matrix, each as the shortest text that reads
    back to the same float.
    """
    document = json.loads(table.to_json("gutbalance"))
    coo = table.matrix_data.tocoo()
    order = np.lexsort((coo.col, coo.row))
    about = table.metadata(axis="sample") or []
    reads = bool(about) and all((m or {}).get(UNIT_KEY) == "reads" for m in about)
    if reads and np.all(coo.data == np.round(coo.data)):
        # Read counts as integers, typed so: BIOM's own word that they are counts.
        document["matrix_element_type"] = "int"
        document["data"] = [[int(coo.row[k]), int(coo.col[k]), int(coo.data[k])] for k in order if coo.data[k] != 0]
    else:
        document["data"] = [[int(coo.row[k]), int(coo.col[k]), float(coo.data[k])] for k in order if coo.data[k] != 0]
    return json.dumps(document)


def hdf5_bytes(table: Table) -> bytes:
    """A :class:`biom.Table` as BIOM 2.1 (HDF5) bytes."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        table.to_hdf5(f, "gutbalance")
    return buffer.getvalue()
