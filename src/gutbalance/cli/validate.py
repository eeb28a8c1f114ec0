"""``gutbalance validate``: AUC of every score between two labelled groups, per study and pooled.

The scores are the immune-support score, the pillars, the published indices,
diversity and ratios.  The columns that describe how much of a profile could
be used (``coverage``, ``kb_reach``, ``placed``, the ``*_confidence``
columns: ``ScoreSpec.group == "quality"``) are not scores: an AUC of theirs
tells whether the groups differ in depth, profiler or database (a batch
confound), not in health.  They are left out of ``validation.tsv`` and, with
``--quality``, written apart to ``validation_quality.tsv`` under their own
heading of the page.
"""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from ..atomic import write_text_atomic
from ..errors import DataError
from ..io import read_metadata
from ..lazy import lazy
from ..outputs import write_table_atomic
from ..scores_table import SCORES_FILE, read_scores
from .analyze import sample_column_option

# the AUC statistics (scipy.stats) and the page are imported when validating, not for `validate --help`
auc_table = lazy("gutbalance.reference.validation:auc_table")
roc_curves = lazy("gutbalance.reference.validation:roc_curves")
per_person = lazy("gutbalance.reference.validation:per_person")
score_columns = lazy("gutbalance.report.render:score_columns")
render_validation_report = lazy("gutbalance.report.validation:render_validation_report")
describe = lazy("gutbalance.score_specs:describe")
group_labels = lazy("gutbalance.reference.statistics:group_labels")

#: The ``ScoreSpec.group`` of columns that describe the input, not score it.
QUALITY_GROUP = "quality"
QUALITY_FILE = "validation_quality.tsv"


def _values(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


@click.command()
@click.argument("results", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="CSV/TSV of sample metadata; the sample column is found as `analyze` finds it "
                   "(sample, sample_id, SampleID, #SampleID, run, ignoring case; else the first column).")
@sample_column_option
@click.option("--label", "label_spec", required=True, metavar="COLUMN=VALUE[,VALUE]",
              help="The group a good score should rank higher (e.g. Study.Group=Control,nonIBD).")
@click.option("--against", "against_spec", default=None, metavar="VALUE[,VALUE]",
              help="Values of the same column for the other group (default: every other non-empty value).")
@click.option("--study", "study_column", default=None, metavar="COLUMN",
              help="Metadata column naming the study: AUCs per study and pooled over all.")
@click.option("--cluster", "cluster_column", default=None, metavar="COLUMN",
              help="Metadata column naming the person: the bootstrap resamples people, not samples.")
@click.option("--per-person", "by_person", is_flag=True, default=False,
              help="With --cluster: one value per person (the median of their samples), so that each person "
                   "counts once in the AUC, not each sample.")
@click.option("--bootstrap", "n_boot", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Bootstrap resamples for the interval.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the bootstrap.")
@click.option("--quality", "with_quality", is_flag=True, default=False,
              help="Also the AUCs of the quality columns (coverage, kb_reach, placed, *_confidence), apart in "
                   f"{QUALITY_FILE} and their own section of the page: a check that the groups do not differ in "
                   "depth or processing (a batch confound), not a health signal.")
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for validation.tsv and validation.html.")
def validate(results: Path, metadata: Path, sample_column: str | None, label_spec: str, against_spec: str | None, study_column: str | None,
             cluster_column: str | None, by_person: bool, n_boot: int, seed: int, with_quality: bool,
             out_dir: Path) -> None:
    """AUC with a bootstrap 95 % interval of every score in RESULTS/scores.tsv
    (a folder from `gutbalance analyze`) for --label against --against.

    Convention: AUC = P(score of a --label sample > score of an --against
    sample); with --label the healthy group, AUC above 0.5 means "higher in
    healthy". Writes DIR/validation.tsv (score, study, auc, low, high,
    n_label, n_against, note) and DIR/validation.html with ROC curves.
    Quality columns (coverage, kb_reach, placed, *_confidence) are not
    scores and are left out; --quality writes their AUCs apart, to
    DIR/validation_quality.tsv, as a batch-confounding check.
    Scores explain; they do not diagnose.
    """
    if by_person and cluster_column is None:
        raise click.BadParameter("needs --cluster, the metadata column naming the person", param_hint="--per-person")
    column, sep, label_text = label_spec.partition("=")
    if not sep or not column.strip() or not _values(label_text):
        raise click.BadParameter("give COLUMN=VALUE[,VALUE]", param_hint="--label")
    column = column.strip()
    label_values = _values(label_text)
    scores = read_scores(results / SCORES_FILE)
    # the grouping columns as written: a label coded 1 or 01 is matched as the user types it (read as
    # numbers, a column with missing rows turned 1 into '1.0': an outside check)
    meta = read_metadata(metadata, sample_column=sample_column,
                         as_written=[c for c in (column, study_column, cluster_column) if c is not None])
    for name, col in (("--label", column), ("--study", study_column), ("--cluster", cluster_column)):
        if col is not None and col not in meta.columns:
            raise DataError(f"{metadata}: no metadata column {col!r} (for {name}); columns: {', '.join(map(str, meta.columns))}")
    matched = scores.index.intersection(meta.index)
    if len(matched) == 0:
        raise DataError(f"{metadata}: no sample name matches {results / SCORES_FILE} "
                        f"(metadata samples look like {', '.join(map(str, meta.index[:3]))}; "
                        f"scores like {', '.join(map(str, scores.index[:3]))})")
    # Values as written (an explicit --label/--against value matches them), and
    # with the words for "no value" (NA, n/a, -) as missing: such a sample is in
    # no group by default (an outside check: MetAML's '-' was counted as disease).
    written = meta[column].reindex(scores.index).astype("string").str.strip()
    group = _given(written)
    against_values = _values(against_spec) if against_spec else None
    overlap = set(label_values) & set(against_values or [])
    if overlap:
        raise click.BadParameter(f"{', '.join(sorted(overlap))} is in both --label and --against", param_hint="--against")
    for value in [*label_values, *(against_values or [])]:
        if not (written == value).any():
            raise DataError(f"{metadata}: no scored sample has {column} = {value!r} "
                            f"(values: {', '.join(sorted(group.dropna().unique())[:12])})")
    is_label = written.isin(label_values)
    is_against = written.isin(against_values) if against_values else group.notna() & ~is_label
    labels = _labels(is_label, is_against)
    study = _given(meta[study_column].reindex(scores.index)) if study_column else None
    if study is not None:
        # a sample without a study is in no study's row and so not in the pooled
        # one either: out of the comparison, counted and said
        unplaced = labels.notna() & study.isna()
        if unplaced.any():
            click.echo(f"warning: {int(unplaced.sum())} compared sample(s) have no {study_column} value "
                       f"(e.g. {', '.join(map(str, labels.index[unplaced.to_numpy(dtype=bool)][:3]))}) "
                       "and are left out of every row", err=True)
            labels = labels.mask(unplaced.to_numpy(dtype=bool))
    cluster = _persons(meta[cluster_column].reindex(scores.index), labels, cluster_column) if cluster_column else None
    columns = score_columns(scores)
    keys = [k for k in columns if describe(k).group != QUALITY_GROUP]
    quality_keys = [k for k in columns if describe(k).group == QUALITY_GROUP] if with_quality else []
    _warn_not_stool(scores, labels)
    _warn_absent(meta[column], label_values, against_values, scores.index, results / SCORES_FILE)
    unit, unmatched = "sample", len(scores) - len(matched)
    if by_person:
        # each row a person: the bootstrap then resamples people without a cluster column
        scores, labels, study = per_person(scores[keys + quality_keys], labels, cluster, study)
        cluster, unit = None, "person"
    table = auc_table(scores[keys], labels, study=study, cluster=cluster, n_boot=n_boot, seed=seed, unit=unit)
    curves = roc_curves(scores[keys], labels, study=study)
    quality = (auc_table(scores[quality_keys], labels, study=study, cluster=cluster, n_boot=n_boot, seed=seed,
                         unit=unit)
               if quality_keys else None)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_table_atomic(table.set_index("score"), out_dir / "validation.tsv")
    if quality is not None:
        write_table_atomic(quality.set_index("score"), out_dir / QUALITY_FILE)
    against_text = ",".join(against_values) if against_values else f"other {column}"
    html = render_validation_report(table, curves, label=f"{column} = {','.join(label_values)}", against=against_text,
                                    study_column=study_column, cluster_column=cluster_column, results=str(results), n_boot=n_boot, level=0.95,
                                    quality=quality, unit=unit)
    write_text_atomic(html, out_dir / "validation.html")
    n_label, n_against = int((labels == True).sum()), int((labels == False).sum())  # noqa: E712 (nullable)
    click.echo(f"{len(keys)} scores, {n_label} label vs {n_against} against {'people' if by_person else 'samples'} "
               f"({unmatched} scored samples not in the metadata) -> {out_dir / 'validation.tsv'}",
               err=True)
    if quality is not None:
        click.echo(f"{len(quality_keys)} quality columns (a batch-confounding check, not scores) -> "
                   f"{out_dir / QUALITY_FILE}", err=True)
    pooled = table[(table["score"] == "immune_support") & (table["study"] == "pooled")]
    if len(pooled):
        row = pooled.iloc[0]
        interval = f"{row.low:.3f}-{row.high:.3f}" if pd.notna(row.low) else "no interval: " + row.note
        click.echo(f"immune_support pooled AUC {row.auc:.3f} ({interval})", err=True)


def _warn_not_stool(scores: pd.DataFrame, labels: pd.Series) -> None:
    """Say how many compared samples `analyze` found not to look like stool
    (``stool_like`` False): a skin or mouth sample among the healthy ones
    makes an AUC of body site, not of health."""
    if "stool_like" not in scores.columns:
        return
    compared = labels.notna().to_numpy(dtype=bool)
    not_stool = (scores["stool_like"] == False).fillna(False).to_numpy(dtype=bool) & compared  # noqa: E712 (nullable)
    if not not_stool.any():
        return
    in_label = int((not_stool & (labels == True).fillna(False).to_numpy(dtype=bool)).sum())  # noqa: E712
    in_against = int(not_stool.sum()) - in_label
    names = ", ".join(map(str, scores.index[not_stool][:3]))
    click.echo(f"warning: {int(not_stool.sum())} compared sample(s) do not look like stool (stool_like False: "
               f"{in_label} label, {in_against} against; e.g. {names}); their AUCs compare body sites as much as "
               "health: leave them out of the metadata to compare stool alone", err=True)


def _warn_absent(group: pd.Series, label_values, against_values, scored: pd.Index, scores_path) -> None:
    """Say how many samples of the compared groups the metadata lists but the results lack:
    a mistyped name, or a file that could not be read, would otherwise leave them out unseen."""
    written = group.astype("string").str.strip()
    compared = written.isin(label_values) | (written.isin(against_values) if against_values
                                             else _given(written).notna())
    absent = group.index[compared.fillna(False).to_numpy(dtype=bool) & ~group.index.isin(scored)]
    if len(absent):
        click.echo(f"warning: {len(absent)} sample(s) of the compared groups in the metadata are not in {scores_path} "
                   f"(e.g. {', '.join(map(str, absent[:3]))}) and are left out: a mistyped name, or a file that could "
                   "not be read (problems.tsv)", err=True)


def _given(values: pd.Series) -> pd.Series:
    """Text stripped, with the words for "no value" (:data:`~gutbalance.io.MISSING_TEXT`) missing:
    the groups of :func:`~gutbalance.reference.statistics.group_labels`, on every sample."""
    return group_labels(values).reindex(values.index).astype("string")


def _persons(values: pd.Series, labels: pd.Series, column: str) -> pd.Series:
    """The person of each sample; a compared sample without one is a person of
    its own (one unit of the bootstrap, one row of --per-person), said once.
    Taken together as one "person" they were resampled as one block, which
    turned an interval of 0.37-0.61 into 0.00-0.51 (an outside check)."""
    who = _given(values)
    alone = (labels.notna() & who.isna()).to_numpy(dtype=bool)
    if alone.any():
        click.echo(f"warning: {int(alone.sum())} compared sample(s) have no {column} value "
                   f"(e.g. {', '.join(map(str, labels.index[alone][:3]))}): each counts as a person of its own",
                   err=True)
        who = who.copy()
        who[alone] = [f"{name} (no {column})" for name in labels.index[alone]]
    return who


def _labels(is_label, is_against):
    """True for label, False for against, missing for neither."""
    out = pd.Series(pd.NA, index=is_label.index, dtype="boolean")
    out[is_against.fillna(False).to_numpy(dtype=bool)] = False
    out[is_label.fillna(False).to_numpy(dtype=bool)] = True
    return out


COMMANDS = [validate]
