"""Limits on what one input may cost: expanded bytes, lines, samples and taxa,
checked while the input streams in (issue 15).  The bombs are built by
tests/bombs.py; the peak-memory tests run the refusal in a fresh Python and
read its resident memory before and after."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

import gutbalance
from gutbalance.errors import ArchiveError, ContentLimitError, FormatError, GutBalanceError, SizeLimitError
from gutbalance.io import archive, read_source
from gutbalance.io.limits import default_limits
from gutbalance.io.source import HDF5_MAGIC, InputLimits, Source, expand_bytes
from tests.bombs import MB, gzip_bomb, qza_bomb
from tests.helpers import SMALL_COMMUNITY, make_cohort, metaphlan_text

ROOT = Path(__file__).resolve().parents[2]
WEB_LIKE = InputLimits(max_bytes=20 * MB, max_expanded_bytes=200 * MB, max_lines=100_000, max_samples=500, max_taxa=20_000)


@pytest.fixture(scope="module")
def zero_gzip() -> bytes:
    """The issue's 2.1 MB gzip of ~2.1 GB of zeros (ratio ~990)."""
    return gzip_bomb(2100)


def test_a_gzip_of_zeros_is_refused_as_binary_at_its_first_megabyte(zero_gzip):
    assert 980 < 2100 * MB / len(zero_gzip) < 1000
    with pytest.raises(FormatError, match="binary content inside the gzip"):
        Source.from_bytes(zero_gzip, "zeros.txt.gz", limits=WEB_LIKE)


def test_zeros_behind_an_hdf5_signature_are_caught_by_the_binary_ratio_where_they_start():
    bomb = gzip_bomb(2100, prefix=HDF5_MAGIC)
    with pytest.raises(SizeLimitError, match=r"expands more than 100:1 \([0-9,]+ bytes from the first"):
        Source.from_bytes(bomb, "table.biom.gz", limits=WEB_LIKE)
    with pytest.raises(SizeLimitError):
        expand_bytes(bomb, name="table.biom.gz", limits=WEB_LIKE, keep=False)


def test_a_text_bomb_below_the_ratio_limit_stops_at_the_expanded_cap():
    """Ratio 990 all along (just under the limit), no newline: only the cap stops it."""
    bomb = gzip_bomb(2100, byte=b"0")
    assert 980 < 2100 * MB / len(bomb) < 1000
    with pytest.raises(SizeLimitError, match="expands beyond the limit of 209,715,200 bytes"):
        Source.from_bytes(bomb, "zeros.txt.gz", limits=WEB_LIKE)


def test_a_bomb_over_the_ratio_is_caught_where_it_starts():
    bomb = gzip_bomb(2100, byte=b"0", ratio=600)
    limits = InputLimits(max_expanded_bytes=200 * MB, max_ratio=500)
    with pytest.raises(SizeLimitError, match=r"expands more than 500:1 \([0-9,]+ bytes from the first"):
        Source.from_bytes(bomb, "zeros.txt.gz", limits=limits)


@pytest.mark.parametrize("kind", ["gzip", "bz2", "xz"])
def test_the_ratio_limit_holds_for_every_compression(kind):
    import bz2
    import lzma

    compress = {"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[kind]
    data = compress(b"0" * (20 * MB))
    with pytest.raises(SizeLimitError, match="bomb"):
        Source.from_bytes(data, f"x.{kind}", limits=InputLimits(max_ratio=50))


def test_the_qza_bomb_is_refused_from_its_directory_alone():
    bomb = qza_bomb()
    assert 970 < 1070 * MB / len(bomb) < 1000
    with pytest.raises(SizeLimitError, match="over the limit of 209,715,200"):
        Source.from_bytes(bomb, "table.qza", limits=WEB_LIKE)
    source = Source(Path("table.qza"), bomb, WEB_LIKE)  # the reader checks too, on its own
    with pytest.raises(SizeLimitError):
        read_source(source)


def test_a_zip_member_streams_within_the_cap(tmp_path):
    """A member that the directory allows is read a chunk at a time and stopped at the cap."""
    bomb = qza_bomb(30, ratio=None)
    zf = zipfile.ZipFile(io.BytesIO(bomb))
    member = zf.infolist()[1]
    with pytest.raises(SizeLimitError, match="expands beyond the limit of 10,485,760"):
        archive.read_member(zf, member, tmp_path / "t.qza", limits=InputLimits(max_expanded_bytes=10 * MB))
    assert len(archive.read_member(zf, member, tmp_path / "t.qza")) == 30 * MB


def test_too_many_lines_is_a_content_error_named_for_the_file():
    text = metaphlan_text(SMALL_COMMUNITY)
    many = (text + "".join(f"k__Bacteria|p__P{i}\t0.0\n" for i in range(200))).encode()
    limits = InputLimits(max_lines=100)
    with pytest.raises(ContentLimitError, match=r"^big.txt: the file has more than 100 lines"):
        Source.from_bytes(many, "big.txt", limits=limits)
    with pytest.raises(ContentLimitError, match="more than 100 lines"):
        Source.from_bytes(gzip.compress(many), "big.txt.gz", limits=limits)
    assert Source.from_bytes(text.encode(), "ok.txt", limits=limits).data == text.encode()


def test_samples_and_taxa_limits(tmp_path):
    path = tmp_path / "merged.tsv"
    gutbalance.write(make_cohort(dict.fromkeys(["A", "B", "C"], SMALL_COMMUNITY)), path)
    with pytest.raises(ContentLimitError, match="3 samples, over the limit of 2 per file"):
        read_source(Source.open(path, limits=InputLimits(max_samples=2)))
    with pytest.raises(ContentLimitError, match="taxa, over the limit of 5"):
        read_source(Source.open(path, limits=InputLimits(max_taxa=5)))
    assert len(read_source(Source.open(path, limits=InputLimits(max_samples=3)))) == 3


def test_the_command_line_takes_its_limits_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "S1.txt.gz"
    path.write_bytes(gzip.compress(metaphlan_text(SMALL_COMMUNITY).encode()))
    assert gutbalance.read(path).sample_names == ["S1"]
    monkeypatch.setenv("GUTBALANCE_INPUT_MAX_EXPANDED_BYTES", "100")
    with pytest.raises(SizeLimitError, match="beyond the limit of 100 bytes"):
        gutbalance.read(path)
    result = gutbalance.io.read_batch([path])
    assert result.cohort is None
    assert "beyond the limit of 100 bytes" in result.failed[0].message
    monkeypatch.setenv("GUTBALANCE_INPUT_MAX_EXPANDED_BYTES", "lots")
    with pytest.raises(gutbalance.errors.GutBalanceError, match="whole number"):
        gutbalance.read(path)


def test_size_errors_are_archive_errors():
    """Callers that caught ArchiveError for bombs still do."""
    assert issubclass(SizeLimitError, ArchiveError)
    assert issubclass(ContentLimitError, FormatError)


_PEAK = textwrap.dedent(
    """
    import json, sys, time
    import psutil
    from gutbalance.io.source import InputLimits, expand_bytes
    from tests.bombs import gzip_bomb, qza_bomb
    from gutbalance.io.source import HDF5_MAGIC
    kind, keep, cap = sys.argv[1], sys.argv[2] == "keep", int(sys.argv[3])
    data = {"text": lambda: gzip_bomb(2100, byte=b"0"), "hdf5": lambda: gzip_bomb(2100, prefix=HDF5_MAGIC),
            "zeros": lambda: gzip_bomb(2100), "qza": lambda: qza_bomb()}[kind]()
    process = psutil.Process()
    before = process.memory_info().rss
    error = None
    try:
        expand_bytes(data, name="bomb", limits=InputLimits(max_expanded_bytes=cap), keep=keep)
    except Exception as exc:
        error = type(exc).__name__
    # VmHWM, not ru_maxrss: after fork and exec, ru_maxrss still counts the
    # parent's memory (pytest's), VmHWM only this program's.
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
    print(json.dumps({"error": error, "before": before, "peak": peak}))
    """
)


@pytest.mark.parametrize(("kind", "keep"), [("text", True), ("text", False), ("hdf5", True), ("zeros", True), ("qza", True)])
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak resident memory from Linux's /proc")
def test_peak_memory_of_a_refusal_stays_under_the_cap(kind, keep):
    """The bomb expands to gigabytes; refusing it costs at most the cap (the
    content kept so far) and a chunk, or only a chunk when nothing is kept."""
    cap = 200 * MB
    out = subprocess.run(
        [sys.executable, "-c", _PEAK, kind, "keep" if keep else "check", str(cap)],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=600,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    grew = result["peak"] - result["before"]
    assert result["error"] in ("SizeLimitError", "FormatError"), result
    allowed = (cap if keep else 0) + 32 * MB
    assert grew < allowed, f"peak grew by {grew / MB:.0f} MB refusing the {kind} bomb (allowed {allowed / MB:.0f} MB)"


def test_default_limits_follow_the_environment_each_time(monkeypatch):
    """The default limits are parsed once per set of values (every file of a
    batch opens with them), yet a changed variable still takes effect and a
    bad one is refused every time."""
    monkeypatch.delenv("GUTBALANCE_INPUT_MAX_TAXA", raising=False)
    assert default_limits().max_taxa is None
    monkeypatch.setenv("GUTBALANCE_INPUT_MAX_TAXA", "7")
    assert default_limits().max_taxa == 7
    monkeypatch.setenv("GUTBALANCE_INPUT_MAX_TAXA", "8")
    assert default_limits().max_taxa == 8
    monkeypatch.setenv("GUTBALANCE_INPUT_MAX_BYTES", "-1")
    for _ in range(2):
        with pytest.raises(GutBalanceError, match="GUTBALANCE_INPUT_MAX_BYTES must be positive"):
            default_limits()


def test_an_archive_over_the_expanded_limit_is_refused_naming_its_whole_size():
    """The total is the directory's, not the sum at the member that passed
    the limit: three members of 400 bytes against a limit of 500."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for name in ("a", "b", "c"):
            zf.writestr(name, b"x" * 400)
    with zipfile.ZipFile(buffer) as zf, pytest.raises(SizeLimitError) as refused:
        archive.check_archive(zf, len(buffer.getvalue()), Path("t.zip"), limits=InputLimits(max_expanded_bytes=500))
    assert refused.value.message == ("the archive expands to 1,200 bytes, over the limit of 500; "
                                     "refusing it (a possible archive bomb)")
