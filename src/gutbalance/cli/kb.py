"""``gutbalance kb``: inspect the knowledge base (taxa, coverage, sources)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click
import pandas as pd

from ..errors import DataError
from ..knowledge import cohort_coverage, inheritance_path, lineage_of, load_knowledge, lookup
from ..outputs import write_table_atomic
from ..taxonomy import RANKS, lineage_string
from ..taxonomy import taxon as _taxon
from ..taxonomy.placement import resolve_lineage
from .analyze import exit_if_left_out, feature_rank_option, read_inputs


@click.group()
def kb() -> None:
    """The evidence-backed knowledge base of taxon traits."""


@kb.command()
@click.argument("taxon")
@click.option("--rank", type=click.Choice(RANKS, case_sensitive=False), default=None,
              help="Rank of TAXON when it is a bare name (default: species for two words, genus for one).")
@click.option("--max-rank", type=click.Choice(RANKS, case_sensitive=False), default="phylum", show_default=True,
              help="Highest rank to fall back to.")
def show(taxon: str, rank: str | None, max_rank: str) -> None:
    """Every trait known for TAXON (a name in any spelling, or a full lineage;
    --rank strain for a named strain such as "Escherichia coli Nissle 1917").

    Each call shows its weight in the scores (evidence x rank fallback x host
    of the evidence x strain-specificity x bugphyzz's curation level), the
    host of the evidence, whether it is strain-specific, bugphyzz's curation
    level and the effect as the source gives it.
    """
    bare = not any(mark in taxon for mark in ("|", ";", "__"))
    if rank is None:
        # A species name has two words (Blautia obeum); one word is a genus or higher.
        rank = "genus" if bare and len(re.split(r"[\s_]+", taxon.strip())) == 1 else "species"

    lineage = lineage_of(taxon, rank)
    if not lineage:
        raise DataError(f"{taxon!r} is a placeholder, not a taxon")
    query = taxon
    if bare and rank != "strain":
        # A bare name gets its ancestors from the bundled lineage table, as it
        # does in a profile, so the family and order rows (Enterobacterales for
        # Morganella) are shown as the scores use them.
        placed = resolve_lineage((_taxon(rank, taxon.strip()),))  # the taxon's name is canonical
        if len(placed) > 1:
            query = lineage_string(placed)
            lineage = lineage_of(query)
    calls = lookup(query, rank, max_rank=max_rank)
    click.echo("lineage: " + "; ".join(f"{r} {n}" for r, n in lineage.items()))
    path = inheritance_path(lineage, max_rank)
    if lineage.get("genus") and ("genus", lineage["genus"]) not in path:
        # docs/knowledge-base.md, "Genus rows a species inherits"
        genera = ", ".join(n for r, n in path if r == "genus") or "none"
        click.echo(f"genus rows from: {genera} (not {lineage['genus']}, a genus none of its names carries in its family)")
    elif sum(r == "genus" for r, _ in path) > 1:
        click.echo("genus rows from: " + ", ".join(n for r, n in path if r == "genus") + " (the genera of its names)")
    family = next((n for r, n in path if r == "family"), "")
    if family and lineage.get("family") and family != lineage["family"]:
        # docs/knowledge-base.md, "A species moved into a genus of another family"
        click.echo(f"family rows from: {family} (its current genus's family; {lineage['family']} is a legacy placement)")
    if calls.empty:
        click.echo("no traits known at species or any higher rank given")
        return
    for pillar, group in calls.groupby("pillar", sort=False):
        click.echo(f"\n[{pillar}]")
        rec: Any  # a row of the calls table (pandas types itertuples' rows loosely)
        for rec in group.itertuples(index=False):
            qual = f" ({rec.qualifier})" if rec.qualifier else ""
            click.echo(
                f"  {rec.trait} = {rec.value:g}{qual}  weight {rec.weight:.2f}, confidence {rec.confidence:.2f} "
                f"from {rec.resolved_rank} {rec.resolved_taxon}; {rec.evidence}; {rec.sources}"
            )
            where = []
            if rec.host:
                where.append(f"host of the evidence: {rec.host}")
            if rec.strain_specific:
                flag = str(rec.strain_specific)
                where.append({"yes": "strain-specific", "no": "not strain-specific"}.get(
                    flag, f"strain-specific in {flag}"))
            if rec.curation:
                # a factor of the weight (an outside check: B. fragilis's 0.48 was not explained by what was shown)
                where.append(f"bugphyzz curation: {rec.curation}")
            if rec.effect:
                where.append(f"effect: {rec.effect}")
            if where:
                click.echo("      " + "; ".join(where))
            if rec.note:
                click.echo(f"      {rec.note}")


@kb.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the TSV here instead of stdout.")
@click.option("--format", "format_", default=None, help="Force an input format instead of sniffing.")
@feature_rank_option
@click.option("--include-viruses", is_flag=True, help="Count viral (phage) abundance in the denominator.")
def coverage(inputs: tuple[str, ...], out: Path | None, format_: str | None, feature_rank: str | None,
             include_viruses: bool) -> None:
    """Share of each sample's species-level abundance annotated at species or genus level, per pillar.

    Prints the median of every column to stderr.  A file that cannot be read
    is named with the reason and left out (exit status 1); the others are
    still measured.
    """
    cohort, left_out = read_inputs(list(inputs), format_=format_, feature_rank=feature_rank)
    table = cohort_coverage(cohort, include_viruses=include_viruses)
    if out is None:
        table.to_csv(sys.stdout, sep="\t", float_format="%.6g")
    else:
        write_table_atomic(table, out)
    measured = table["annotated"].notna()
    if not measured.any():
        # not "annotated nan%": a table without species says nothing of species-level coverage
        click.echo(f"{len(table)} samples, none with species-level abundance: coverage is measured on species; "
                   "the kb_reach column of gutbalance analyze says how much of a profile at any rank the "
                   "knowledge base reaches", err=True)
    else:
        medians = table[measured].median()
        summary = ", ".join(f"{k} {v:.1%}" for k, v in medians.items())
        unmeasured = f" ({int((~measured).sum())} without species-level abundance left out)" if not measured.all() else ""
        click.echo(f"{len(table)} samples; median annotated share: {summary}{unmeasured}", err=True)
    exit_if_left_out(left_out)


@kb.command()
def sources() -> None:
    """The bibliography: every source a fact cites, with its number of facts."""
    base = load_knowledge()
    counts = base.facts["source"].value_counts()
    table = pd.DataFrame(
        [(s.id, int(counts.get(s.id, 0)), s.citation) for s in base.sources.values()],
        columns=["source", "facts", "citation"],
    )
    for rec in table.itertuples(index=False):
        click.echo(f"{rec.source}\t{rec.facts}\t{rec.citation}")


COMMANDS = [kb]
