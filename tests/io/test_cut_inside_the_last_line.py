"""A file cut short inside its last value still parses: a number cut to its
first digits, a name to its first letters, and every row after the cut gone.
The tools that write the line formats end every file with a newline, so a
file that stops mid-line is read with a warning that says so
(``gutbalance.io._warn_if_cut``); a Bracken table also tells from its
``fraction_total_reads`` that rows are missing (``kraken._warn_if_rows_missing``).
MetaPhlAn's readers judge the missing newline themselves
(``test_metaphlan_cut_short.py``); tables people save are not warned about
for it (their sums are checked instead)."""

from __future__ import annotations

import warnings

import pytest

import gutbalance
from gutbalance.errors import GutBalanceWarning
from tests.io.test_kraken import BRACKEN_TABLE, KRAKENUNIQ, REPORT
from tests.io.test_motus import _text as motus_text
from tests.io.test_public_shapes import KRAKEN_MPA
from tests.io.test_singlem import _profile as singlem_profile
from tests.io.test_taxprofiler_formats import VALID

WHOLE = {
    "S1.kreport": ("kraken", REPORT),
    "S1.bracken": ("bracken", BRACKEN_TABLE),
    "S1.krakenuniq.txt": ("krakenuniq", KRAKENUNIQ),
    "S1.mpa": ("kraken-mpa", KRAKEN_MPA),
    "S1.motus": ("motus", motus_text()),
    "S1.singlem.tsv": ("singlem", singlem_profile()),
    "S.ganon.tre": ("ganon", VALID["S.ganon.tre"]),
    "S.kaiju.txt": ("kaiju", VALID["S.kaiju.txt"]),
    "S.kmcp.profile": ("kmcp", VALID["S.kmcp.profile"]),
    "S.mgtk": ("mg-tk", VALID["S.mgtk"]),
    "S.protal": ("protal", VALID["S.protal"]),
}


def _warnings_reading(path, fmt=None) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gutbalance.io.read_profiles(path, format=fmt)
    return [str(w.message) for w in caught if issubclass(w.category, GutBalanceWarning)]


def _cut_warning(messages: list[str]) -> list[str]:
    return [m for m in messages if "does not end with a newline" in m]


@pytest.mark.parametrize("name", sorted(WHOLE))
def test_a_whole_file_is_read_without_the_warning(tmp_path, name):
    fmt, text = WHOLE[name]
    assert text.endswith("\n")
    path = tmp_path / name
    path.write_text(text)
    assert _cut_warning(_warnings_reading(path)) == []
    assert _cut_warning(_warnings_reading(path, fmt)) == []


@pytest.mark.parametrize("name", sorted(WHOLE))
def test_a_file_cut_inside_its_last_value_is_read_with_a_warning_naming_the_line(tmp_path, name):
    fmt, text = WHOLE[name]
    cut = text.rstrip("\n")[:-1]  # the last character of the last value gone, and the newline
    path = tmp_path / name
    path.write_text(cut)
    lines = len(cut.splitlines())
    for asked in (None, fmt):
        messages = _cut_warning(_warnings_reading(path, asked))
        assert messages == [
            f"{path}, line {lines}: the file does not end with a newline, as the tools that write this format "
            "end it; it was read, but if it was cut short inside that last line, its last value is wrong and any "
            "rows after it are missing"
        ], (name, asked)


def test_a_file_with_crlf_line_ends_is_whole(tmp_path):
    path = tmp_path / "S1.bracken"
    path.write_bytes(BRACKEN_TABLE.replace("\n", "\r\n").encode())
    assert _warnings_reading(path) == []


def test_the_batch_keeps_the_sample_and_puts_the_warning_in_its_problems(tmp_path):
    path = tmp_path / "S1.bracken"
    path.write_text(BRACKEN_TABLE.rstrip("\n")[:-1])
    result = gutbalance.io.read_batch([path])
    assert result.cohort is not None
    assert result.cohort.n_samples == 1
    assert [(p.severity, p.message.split(":")[0]) for p in result.problems] == [
        ("warning", f"line {len(BRACKEN_TABLE.splitlines())}")
    ]


def test_a_saved_table_without_its_newline_is_not_warned_about(tmp_path):
    # People save wide tables without the final newline (8 of the public
    # tables tried: GAN-GMHI's, DIABIMMUNE's Bracken CSV, MLRepo's); a
    # relative table cut short is told by its sums instead.
    path = tmp_path / "t.csv"
    path.write_text("taxon,S1,S2\ns__Bacteroides_fragilis,60,50\ns__Roseburia_hominis,40,50")
    assert _cut_warning(_warnings_reading(path)) == []


# --- Bracken: the fractions tell the whole table's reads -------------------------------------------

BRACKEN_HEADER = BRACKEN_TABLE.splitlines(keepends=True)[0]
BRACKEN_ROWS = BRACKEN_TABLE.splitlines(keepends=True)[1:]


def _rows_missing(messages: list[str]) -> list[str]:
    return [m for m in messages if "rows are missing" in m]


def test_a_bracken_table_that_lost_rows_says_how_much_of_the_reads_it_holds(tmp_path):
    path = tmp_path / "S1.bracken"
    path.write_text(BRACKEN_HEADER + "".join(BRACKEN_ROWS[:2]))  # cut at a line end: no newline warning
    messages = _warnings_reading(path)
    assert _cut_warning(messages) == []
    # 2000 reads are 0.49988 of the table: at least 2000 / 0.499885 = 4000.92 reads in all, 3200 here
    assert _rows_missing(messages) == [
        f"{path}: the rows' new_est_reads add up to 3200, 80.0 % of the at least 4001 reads that "
        "line 2's fraction_total_reads implies for the whole table: rows are missing (a file cut short, or "
        "rows removed). It is scored as written, as shares of the rows present"
    ]
    with pytest.warns(GutBalanceWarning, match="rows are missing"):
        (profile,) = gutbalance.io.read_profiles(path)
    assert profile.abundance == pytest.approx([2000 / 3200, 1200 / 3200])


def test_a_whole_bracken_table_and_one_rounded_to_five_decimals_are_not_warned_about(tmp_path):
    path = tmp_path / "S1.bracken"
    path.write_text(BRACKEN_TABLE)
    assert _rows_missing(_warnings_reading(path)) == []
    # Many species rounded to 0.00000 (under 5e-6 each) still leave the table whole.
    tiny = "".join(f"Species tiny{k}\t{1000 + k}\tS\t1\t0\t1\t0.00000\n" for k in range(200))
    path.write_text(BRACKEN_TABLE + tiny)
    assert _rows_missing(_warnings_reading(path)) == []


def test_a_bracken_table_missing_a_few_rounding_errors_worth_is_whole(tmp_path):
    # 98 % of the implied reads is the bound; Bracken 2.x's own tables hold 99.76 % and more.
    rows = ("Bacteroides vulgatus\t821\tS\t1500\t500\t9850\t0.98500\n"
            "Roseburia intestinalis\t166486\tS\t100\t0\t100\t0.01000\n")
    path = tmp_path / "S1.bracken"
    path.write_text(BRACKEN_HEADER + rows)
    assert _rows_missing(_warnings_reading(path)) == []
    path.write_text(BRACKEN_HEADER + rows.replace("\t9850\t", "\t9500\t").replace("0.98500", "0.95000"))
    assert _rows_missing(_warnings_reading(path)) != []
