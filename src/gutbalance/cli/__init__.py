"""The ``gutbalance`` command: a thin layer over the public API.

Each command group lives in its own module, imported only when that command
runs (click's lazy loading of subcommands): `gutbalance --help` and each
command load only what they use (the simulator with scikit-learn, the report
templates, the web app), not all of it.  Errors the project raises on purpose
are printed as one line, never as a traceback.
"""

from __future__ import annotations

import importlib
import sys
import warnings

import click

from .._version import __version__
from ..errors import GutBalanceError, GutBalanceWarning

#: Every command: the module of this package that defines it, and its help's
#: first sentence (what `gutbalance --help` lists without importing every
#: module; tests/cli/test_help.py checks it against the commands themselves).
COMMANDS: dict[str, tuple[str, str]] = {
    "analyze": ("analyze", "Score every sample in INPUTS (files, folders or globs)."),
    "convert": ("convert", "Read INPUTS into one cohort and write it as another format."),
    "fit": ("fit", "Learn dynamics with perturbation effects from TABLE's time series."),
    "formats": ("convert", "List the formats gutbalance reads and writes."),
    "kb": ("kb", "The evidence-backed knowledge base of taxon traits."),
    "reference": ("reference", "Healthy reference populations for percentiles and change over time."),
    "report": ("report", "Re-render RESULTS/report.html, samples/ and subjects/ from the saved scores.tsv, "
                         "scores.json and cohort.h5ad of `gutbalance analyze -o RESULTS`."),
    "serve": ("serve", "Start the web app: register, upload profiles, read reports."),
    "simulate": ("simulate", "Simulate a gut from PROFILE under interventions."),
    "validate": ("validate", "AUC with a bootstrap 95 % interval of every score in RESULTS/scores.tsv (a folder "
                             "from `gutbalance analyze`) for --label against --against."),
}



def _shortened(text: str, limit: int) -> str:
    """``text`` cut at a word to at most ``limit`` characters, with "..." where cut."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 3, 1)].rsplit(" ", 1)[0]
    return cut.rstrip(" .,;:") + "..."

class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"{__name__}.{COMMANDS[cmd_name][0]}")
        return next(command for command in module.COMMANDS if command.name == cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # As click.Group.format_commands, from the table: no command module is imported.
        limit = formatter.width - 6 - max(map(len, COMMANDS))
        rows = [(name, _shortened(COMMANDS[name][1], limit)) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GutBalanceError as exc:
            click.echo(f"gutbalance: error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gutbalance")
def main() -> None:
    """How well does a gut microbiome support the immune system?

    Reads MetaPhlAn, Kraken 2/Bracken, mOTUs, CAMI, BIOM, QIIME 2, mothur and
    CSV/TSV profiles, and the others `gutbalance formats` lists.
    Scores explain; they do not diagnose.
    """
    warnings.filterwarnings("default")
    warnings.showwarning = _show_warning


_python_showwarning = warnings.showwarning


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning of gutbalance's as one line, as errors are; Python's form
    (the path of the module that warned and its source line) only for others.
    ``analyze`` writes them to problems.tsv; the other commands print them."""
    if issubclass(category, GutBalanceWarning):
        click.echo(f"gutbalance: warning: {message}", err=True)
    else:
        _python_showwarning(message, category, filename, lineno, file, line)
