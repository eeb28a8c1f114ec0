"""The batch pipeline: chunking never changes a number, a killed run resumes
to the same output, and Dask gives byte-identical results."""

import hashlib
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gutbalance.io
from gutbalance import json_text, pipeline
from gutbalance.io.taxonomy_file import TAXONOMY_NOT_USED
from gutbalance.pillars import component_labels
from gutbalance.pipeline import PARTS_DIR, run
from gutbalance.report import read_contributions
from gutbalance.scores import SCORES_JSON_FORMAT
from tests.helpers import SMALL_COMMUNITY, make_cohort, metaphlan_text, write_metaphlan


def _cohort_files(folder, n, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir()
    keys = list(SMALL_COMMUNITY)
    for i in range(n):
        weights = rng.dirichlet(np.ones(len(keys)))
        keep = weights > 0.02
        species = {k: 100 * w for k, w, kept in zip(keys, weights, keep) if kept}
        total = sum(species.values())
        species = {k: 100 * v / total for k, v in species.items()}
        write_metaphlan(folder / f"S{i:03d}_metaphlan.txt", species, unknown=float(rng.uniform(0, 40)))
    return folder


def test_chunking_does_not_change_results(tmp_path):
    files = _cohort_files(tmp_path / "in", 12)
    a = run([files], tmp_path / "a", jobs=1, chunk_files=100)
    b = run([files], tmp_path / "b", jobs=2, chunk_files=5)
    assert a.n_samples == b.n_samples == 12
    assert (tmp_path / "a" / "scores.tsv").read_bytes() == (tmp_path / "b" / "scores.tsv").read_bytes()
    assert (tmp_path / "a" / "scores.json").read_text() == (tmp_path / "b" / "scores.json").read_text()


GENERA = ("Bacteroides", "Blautia", "Roseburia", "Akkermansia", "Faecalibacterium", "Prevotella", "Bifidobacterium")


def _tables_with_taxonomy(folder, n, seed=0):
    """``n`` one-sample feature tables of ASV hashes (as a lab exports them
    per sample) and one ``taxonomy.tsv`` naming every feature."""
    rng = np.random.default_rng(seed)
    folder.mkdir()
    # ASV hashes, as QIIME 2 names features: no taxon name in them
    features = {hashlib.md5(f"{genus}{k}".encode()).hexdigest(): f"d__Bacteria; g__{genus}"
                for genus in GENERA for k in range(2)}
    for i in range(n):
        counts = rng.integers(0, 300, size=len(features))
        rows = "".join(f"{fid}\t{c}\n" for fid, c in zip(features, counts, strict=True))
        (folder / f"T{i:03d}.tsv").write_text(f"#OTU ID\tS{i:03d}\n{rows}")
    (folder / "taxonomy.tsv").write_text("Feature ID\tTaxon\n" + "".join(f"{f}\t{t}\n" for f, t in features.items()))
    return folder


def _tables_with_large_taxonomy(folder, n):
    """:func:`_tables_with_taxonomy` whose taxonomy also names 2,000 features
    no table has (about 150 kB pickled), as a SILVA taxonomy names far more
    features than a study's tables use."""
    _tables_with_taxonomy(folder, n)
    extra = "".join(f"x{k:06d}\td__Bacteria; p__Bacillota; c__Clostridia; g__Genus{k}; s__Species_{k}\n"
                    for k in range(2000))
    with (folder / "taxonomy.tsv").open("a") as fh:
        fh.write(extra)
    return folder


def _rows(out):
    header, *rows = (out / "scores.tsv").read_text().splitlines()
    return header, {row.split("\t", 1)[0]: row for row in rows}


def test_a_taxonomy_applies_to_the_tables_of_every_chunk(tmp_path):
    # one taxonomy.tsv beside 7 per-sample tables of ASV hashes: cut into
    # chunks of 3, the taxonomy sits in one chunk; every table must still get it
    folder = _tables_with_taxonomy(tmp_path / "in", 7)
    whole = run([folder], tmp_path / "whole", jobs=1, chunk_files=100)
    chunked = run([folder], tmp_path / "chunked", jobs=2, chunk_files=3)
    assert (whole.n_samples, chunked.n_samples) == (7, 7)
    assert chunked.n_chunks == 3  # 7 tables; the taxonomy is not a chunk's file
    for name in ("scores.tsv", "scores.json", "problems.tsv"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "chunked" / name).read_bytes(), name
    assert (tmp_path / "chunked" / "problems.tsv").read_text().splitlines()[1:] == []
    # each table alone with the taxonomy, and all of them in the reverse order, give the same rows
    header, rows = _rows(tmp_path / "chunked")
    tables = sorted(folder.glob("T*.tsv"))
    backwards = run([*reversed(tables), folder / "taxonomy.tsv"], tmp_path / "backwards", jobs=1, chunk_files=2)
    assert backwards.n_samples == 7
    assert _rows(tmp_path / "backwards") == (header, rows)
    for table in tables:
        out = tmp_path / "alone" / table.stem
        run([folder / "taxonomy.tsv", table], out, jobs=1, chunk_files=1)
        alone_header, alone = _rows(out)
        assert alone_header == header
        [(sample, row)] = alone.items()
        assert rows[sample] == row


def test_a_taxonomy_no_chunk_used_is_one_warning_and_one_any_chunk_used_is_none(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(4):
        (folder / f"M{i}.txt").write_text(metaphlan_text(SMALL_COMMUNITY).replace("Metaphlan_Analysis", f"M{i}"))
    (folder / "taxonomy.tsv").write_text("Feature ID\tTaxon\nf1\tg__Blautia\n")
    run([folder], tmp_path / "unused", jobs=1, chunk_files=2)
    problems = (tmp_path / "unused" / "problems.tsv").read_text().splitlines()[1:]
    assert problems == [f"{folder / 'taxonomy.tsv'}\twarning\t{TAXONOMY_NOT_USED}"]
    # a table in the last chunk takes it: no warning, though the other chunks took none
    (folder / "Z.tsv").write_text("#OTU ID\tZ\nf1\t10\n")
    used = run([folder], tmp_path / "used", jobs=1, chunk_files=2)
    assert used.n_samples == 5
    assert (tmp_path / "used" / "problems.tsv").read_text().splitlines()[1:] == []
    # resumed from saved parts, the run still knows the taxonomy was used
    again = run([folder], tmp_path / "used", jobs=1, chunk_files=2)
    assert again.chunks_reused == 3
    assert (tmp_path / "used" / "problems.tsv").read_text().splitlines()[1:] == []


def test_a_bad_taxonomy_is_one_error_whatever_the_chunks(tmp_path):
    folder = _tables_with_taxonomy(tmp_path / "in", 4)
    first = next(iter((folder / "taxonomy.tsv").read_text().splitlines()[1:])).split("\t")[0]
    (folder / "zz_other_taxonomy.tsv").write_text(f"Feature ID\tTaxon\n{first}\tg__Dorea\n")
    summary = run([folder], tmp_path / "out", jobs=1, chunk_files=1)
    assert summary.n_samples == 4  # the first taxonomy still applies to every table
    errors = [p for p in summary.problems if p.severity == "error"]
    assert [p.file for p in errors] == [str(folder / "zz_other_taxonomy.tsv")]
    assert "but 'd__Bacteria; g__Bacteroides'" in errors[0].message


def test_a_changed_taxonomy_scores_every_chunk_again(tmp_path):
    folder = _tables_with_taxonomy(tmp_path / "in", 4)
    run([folder], tmp_path / "out", jobs=1, chunk_files=2)
    before = (tmp_path / "out" / "scores.tsv").read_bytes()
    taxonomy = folder / "taxonomy.tsv"
    taxonomy.write_text(taxonomy.read_text().replace("g__Akkermansia", "g__Faecalibacterium"))
    again = run([folder], tmp_path / "out", jobs=1, chunk_files=2)
    assert again.chunks_reused == 0
    assert (tmp_path / "out" / "scores.tsv").read_bytes() != before


def test_second_run_reuses_chunks_and_new_inputs_are_scored(tmp_path):
    files = _cohort_files(tmp_path / "in", 6)
    first = run([files], tmp_path / "out", jobs=1, chunk_files=2)
    assert first.chunks_reused == 0
    again = run([files], tmp_path / "out", jobs=1, chunk_files=2)
    assert again.chunks_reused == 3
    write_metaphlan(files / "S999_metaphlan.txt")
    more = run([files], tmp_path / "out", jobs=1, chunk_files=2)
    assert more.n_samples == 7
    assert more.chunks_reused == 3  # the new file sorts last: earlier chunks unchanged


def test_parts_of_other_code_or_tables_are_not_reused(tmp_path, monkeypatch):
    # The version stays the same in a development install while the
    # calibration, knowledge base or code change: a part made with them is
    # scored again, not reused (it gave the old scores, silently).
    files = _cohort_files(tmp_path / "in", 4)
    run([files], tmp_path / "out", jobs=1, chunk_files=2)
    monkeypatch.setattr(pipeline, "_package_fingerprint", lambda: "other tables")
    again = run([files], tmp_path / "out", jobs=1, chunk_files=2)
    assert again.chunks_reused == 0


def test_runs_with_and_without_a_declared_rank_never_reuse_each_others_parts(tmp_path):
    # a genus table is refused without --feature-rank and read with it: a part
    # saved by one run would give the other the wrong scores or problems
    files = _cohort_files(tmp_path / "in", 2)
    (files / "genera.csv").write_text("SampleID,Bacteroides,Faecalibacterium\nG1,40,60\n")
    plain = run([files], tmp_path / "out", jobs=1, chunk_files=10)
    assert (plain.n_samples, plain.chunks_reused) == (2, 0)
    declared = run([files], tmp_path / "out", jobs=1, chunk_files=10, feature_rank="genus")
    assert (declared.n_samples, declared.chunks_reused) == (3, 0)
    again = run([files], tmp_path / "out", jobs=1, chunk_files=10)
    assert (again.n_samples, again.chunks_reused) == (2, 0)
    assert run([files], tmp_path / "out", jobs=1, chunk_files=10).chunks_reused == 1


def test_package_fingerprint_covers_the_shipped_tables_and_code():
    package = Path(pipeline.__file__).resolve().parent
    listed = _listed(package)
    for name in ("pillars/data/calibration.json", "reference/data/healthy_reference.json",
                 "taxonomy/data/lineages.tsv.gz", "pipeline.py"):
        assert name in listed


def _listed(root):
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_killed_run_resumes_to_the_same_output(tmp_path):
    files = _cohort_files(tmp_path / "in", 40)
    reference = tmp_path / "reference"
    run([files], reference, jobs=1, chunk_files=2)

    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "gutbalance", "analyze", str(files), "-o", str(out), "--jobs", "1",
           "--chunk-files", "2", "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    parts = out / PARTS_DIR
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = len(list(parts.glob("chunk-*.json"))) if parts.exists() else 0
        if done >= 3 or proc.poll() is not None:
            break
        time.sleep(0.02)
    killed_midway = proc.poll() is None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert killed_midway, "the run finished before it could be killed; make the input larger"
    # nothing half-written: either no output yet, or a complete one
    assert not (out / "scores.tsv").exists()
    leftovers = [p for p in parts.iterdir() if p.name.startswith(".")]
    for p in leftovers:  # a temporary part may remain; it is never read
        assert not p.name.startswith("chunk-")
    summary = run([files], out, jobs=1, chunk_files=2)
    assert summary.chunks_reused >= 3
    for name in ("scores.tsv", "scores.json", "problems.tsv"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name


@pytest.mark.slow
def test_dask_local_cluster_is_byte_identical(tmp_path):
    pytest.importorskip("dask.distributed")
    files = _cohort_files(tmp_path / "in", 10)
    run([files], tmp_path / "local", jobs=2, chunk_files=3)
    run([files], tmp_path / "dask", dask="local", jobs=2, chunk_files=3)
    for name in ("scores.tsv", "scores.json", "problems.tsv"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name


@pytest.mark.slow
def test_dask_sends_the_taxonomy_once_and_is_byte_identical(tmp_path):
    dask = pytest.importorskip("dask")
    # distributed's defaults must be in dask's config before config.set: set on a key
    # absent before it, set's exit removes the whole "distributed" section an import
    # inside the block added, and every later Dask run of this process fails
    pytest.importorskip("dask.distributed")
    folder = _tables_with_large_taxonomy(tmp_path / "in", 6)
    run([folder], tmp_path / "local", jobs=1, chunk_files=2)
    # Dask warns (an error here: filterwarnings) when one submit's graph is over the threshold:
    # the taxonomy pickled into every chunk's task was; scattered once, no task carries it
    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "64kB"}):
        summary = run([folder], tmp_path / "dask", dask="local", jobs=2, chunk_files=2)
    assert (summary.n_samples, summary.n_chunks) == (6, 3)
    for name in ("scores.tsv", "scores.json", "problems.tsv"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name
    assert (tmp_path / "dask" / "problems.tsv").read_text().splitlines()[1:] == []


class _MeasuredPool(ProcessPoolExecutor):
    """The local process pool, recording how many bytes each task's call pickles to."""

    task_bytes: list[int] = []

    def submit(self, fn, /, *args, **kwargs):
        type(self).task_bytes.append(len(pickle.dumps((fn, args, kwargs))))
        return super().submit(fn, *args, **kwargs)


def test_the_local_pool_gives_each_worker_the_taxonomy_once_and_is_byte_identical(tmp_path, monkeypatch):
    folder = _tables_with_large_taxonomy(tmp_path / "in", 6)
    run([folder], tmp_path / "alone", jobs=1, chunk_files=2)
    monkeypatch.setattr(_MeasuredPool, "task_bytes", [])
    monkeypatch.setattr(pipeline, "ProcessPoolExecutor", _MeasuredPool)
    summary = run([folder], tmp_path / "pool", jobs=2, chunk_files=2)
    assert (summary.n_samples, summary.n_chunks) == (6, 3)
    for name in ("scores.tsv", "scores.json", "problems.tsv"):
        assert (tmp_path / "alone" / name).read_bytes() == (tmp_path / "pool" / name).read_bytes(), name
    # the taxonomy pickled into every chunk's task made each over 100 kB; now a task names its files
    assert len(_MeasuredPool.task_bytes) == 3
    assert max(_MeasuredPool.task_bytes) < 4_000


def test_which_of_two_samples_of_one_name_is_kept_does_not_depend_on_the_order_of_the_inputs(tmp_path):
    """Two different profiles both called "same": the one of the input first
    in path order is scored, and the outputs are the same bytes whichever
    order the inputs are named in (the first one named used to win)."""
    first, second = dict(SMALL_COMMUNITY), dict(SMALL_COMMUNITY)
    key = next(iter(second))
    second[key] *= 5
    for name, community in (("a", first), ("b", second)):
        (tmp_path / f"{name}.txt").write_text(metaphlan_text(community).replace("Metaphlan_Analysis", "same"))
    alone = run([tmp_path / "a.txt"], tmp_path / "alone", jobs=1)
    assert alone.n_samples == 1
    for order in ("ab", "ba"):
        summary = run([tmp_path / f"{name}.txt" for name in order], tmp_path / order, jobs=1, chunk_files=1)
        assert summary.n_samples == 1
        assert [(p.file, p.message) for p in summary.problems if "is also in" in p.message] == [
            (str(tmp_path / "b.txt"), f"sample name 'same' is also in {tmp_path / 'a.txt'}, read first: this file's "
             "'same' was left out (rename one of them to score both)")]
    for name in ("scores.tsv", "scores.json", "problems.tsv"):
        assert (tmp_path / "ab" / name).read_bytes() == (tmp_path / "ba" / name).read_bytes(), name
    assert (tmp_path / "ab" / "scores.tsv").read_bytes() == (tmp_path / "alone" / "scores.tsv").read_bytes()


def test_a_sample_name_repeated_across_chunks_keeps_the_first(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a", "b", "c"):
        text = (write_metaphlan(folder / f"{name}.txt")).read_text()
        (folder / f"{name}.txt").write_text(text.replace("#SampleID\tMetaphlan_Analysis", "#SampleID\tsame"))
    summary = run([folder], tmp_path / "out", jobs=1, chunk_files=1)
    assert summary.n_samples == 1
    assert sum("is also in" in p.message for p in summary.problems) == 2
    tsv = (tmp_path / "out" / "scores.tsv").read_text().splitlines()
    assert len(tsv) == 2
    assert tsv[1].startswith("same\t")
    assert list(json.loads((tmp_path / "out" / "scores.json").read_text())["samples"]) == ["same"]


def test_a_merged_table_sharing_one_name_with_another_input_keeps_its_other_samples(tmp_path):
    """A re-sequenced sample in a file of its own beside the merged table that
    also holds it: the merged table's nine other samples were lost, or not,
    depending on the chunk size and the files' names (an outside check).
    Now only the repeated sample is left out, whatever the chunking."""
    folder = tmp_path / "in"
    folder.mkdir()
    communities = {}
    for i in range(10):
        community = dict(SMALL_COMMUNITY)
        key = list(community)[i % len(community)]
        community[key] *= 1 + i
        total = sum(community.values())
        communities[f"P{i}"] = {k: 100.0 * v / total for k, v in community.items()}
    merged = gutbalance.io.write(make_cohort(communities), folder / "b_merged.tsv")
    (folder / "a_rerun.txt").write_text(metaphlan_text(communities["P2"]).replace("Metaphlan_Analysis", "P2"))
    results = {}
    for chunk in (None, 1):
        out = tmp_path / f"out{chunk}"
        summary = run([folder], out, jobs=1, **({} if chunk is None else {"chunk_files": chunk}))
        assert summary.n_samples == 10
        (problem,) = [p for p in summary.problems if "is also in" in p.message]
        assert problem.file == str(merged)
        assert problem.message.startswith(f"sample name 'P2' is also in {folder / 'a_rerun.txt'}, read first")
        results[chunk] = pd.read_csv(out / "scores.tsv", sep="\t", index_col=0)
    assert sorted(results[None].index) == sorted(["P2", *(f"P{i}" for i in range(10) if i != 2)])
    pd.testing.assert_frame_equal(results[None].sort_index(), results[1].sort_index())


def test_scores_json_holds_each_samples_contributions_once_in_input_order(tmp_path):
    """The parts are copied into scores.json as they are: every sample's
    entry must be what :func:`gutbalance.scores.score_with_contributions` says for it,
    including around a chunk that loses a repeated sample name (with the
    percentiles' additions of :func:`gutbalance.reference.with_percentiles_explained`)."""
    import orjson

    import gutbalance
    from gutbalance.reference import with_percentiles_explained
    from gutbalance.scores import score_with_contributions

    folder = _cohort_files(tmp_path / "in", 7)
    # S005 repeats S001's name: the chunk holding it keeps its other samples.
    text = (folder / "S005_metaphlan.txt").read_text()
    (folder / "S005_metaphlan.txt").write_text(text.replace("#SampleID\tMetaphlan_Analysis", "#SampleID\tS001"))
    run([folder], tmp_path / "out", jobs=1, chunk_files=3)
    document = json.loads((tmp_path / "out" / "scores.json").read_bytes())
    assert document["format"] == SCORES_JSON_FORMAT
    assert document["components"] == component_labels()
    kept = [f for f in sorted(folder.iterdir()) if f.name != "S005_metaphlan.txt"]
    cohort = gutbalance.read(kept)
    explained = with_percentiles_explained(*score_with_contributions(cohort), cohort)[1]
    expected = orjson.loads(orjson.dumps(explained))
    assert list(document["samples"]) == [f"S{i:03d}" for i in (0, 1, 2, 3, 4, 6)]
    # read back (every trait named again), it is what the API gives
    assert read_contributions(tmp_path / "out" / "scores.json") == expected
    # and the file holds exactly the lean text the chunk made, spliced
    raw = with_percentiles_explained(*score_with_contributions(cohort, raw_json=True), cohort)[1]
    assert document["samples"] == orjson.loads(orjson.dumps({s: json_text.materialised(v) for s, v in raw.items()}))


def test_a_chunk_restores_the_garbage_collector(tmp_path):
    """score_files pauses the cyclic collector for its chunk only."""
    import gc

    from gutbalance.pipeline import score_files

    files = [str(f) for f in sorted(_cohort_files(tmp_path / "in", 2).iterdir())]
    assert gc.isenabled()
    score_files(files)
    assert gc.isenabled()
    gc.disable()
    try:
        score_files(files)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_parts_saved_out_of_order_are_assembled_in_input_order(tmp_path):
    """The main process adds a part once every part before it is saved: parts
    finishing in any order give the outputs of a one-process run."""
    from gutbalance.pipeline import _Assembly, _save_part, score_files

    files = sorted(_cohort_files(tmp_path / "in", 7).iterdir())
    run([tmp_path / "in"], tmp_path / "ref", jobs=1, chunk_files=100)
    out, parts = tmp_path / "out", tmp_path / "out" / PARTS_DIR
    parts.mkdir(parents=True)
    chunks = [files[0:3], files[3:5], files[5:7]]
    with _Assembly(out, parts, 3, [], True) as assembly:
        for i in (2, 0, 1):
            _save_part(parts, i, "key", *score_files([str(f) for f in chunks[i]]))
            assembly.saved_part(i)
            assert assembly.next == (0 if i == 2 else 1 if i == 0 else 3)
        assert assembly.finish() == 7
    for name in ("scores.tsv", "scores.json", "problems.tsv"):
        assert (out / name).read_bytes() == (tmp_path / "ref" / name).read_bytes()


def test_a_failed_chunk_leaves_the_previous_outputs(tmp_path, monkeypatch):
    """The outputs are assembled while chunks are scored, but committed only
    at the end: a chunk that fails leaves the previous run's files as they were."""
    import gutbalance.pipeline as pipeline

    _cohort_files(tmp_path / "in", 6)
    run([tmp_path / "in"], tmp_path / "out", jobs=1, chunk_files=2)
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir() if p.is_file()}
    for f in (tmp_path / "in").iterdir():
        os.utime(f, ns=(time.time_ns(), time.time_ns() + 10**9))  # every chunk is scored again
    calls = []

    def failing(files, **kwargs):
        calls.append(files)
        if len(calls) == 2:
            raise RuntimeError("chunk failed")
        return real(files, **kwargs)

    real = pipeline.score_files
    monkeypatch.setattr(pipeline, "score_files", failing)
    with pytest.raises(RuntimeError, match="chunk failed"):
        run([tmp_path / "in"], tmp_path / "out", jobs=1, chunk_files=2)
    after = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir() if p.is_file()}
    assert after == before
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".scores")]


@pytest.mark.slow
def test_dask_local_cluster_starts_while_port_8787_is_taken(tmp_path):
    pytest.importorskip("dask.distributed")
    files = _cohort_files(tmp_path / "in", 2)
    with socket.socket() as taken:
        try:
            taken.bind(("127.0.0.1", 8787))
            taken.listen()
        except OSError:
            pass  # another process holds it already: the case under test either way
        # filterwarnings=error: distributed's "Port 8787 is already in use" warning would fail the run
        summary = run([files], tmp_path / "dask", dask="local", jobs=1, chunk_files=2)
    assert summary.n_samples == 2


def test_a_mistyped_path_among_the_inputs_is_a_problem_and_the_others_are_scored(tmp_path):
    # One missing file or empty pattern used to end the run before any input
    # was read ("no input could be read"), losing every good file with it.
    good = write_metaphlan(tmp_path / "S1_profile.txt")
    missing = tmp_path / "S2_profle.txt"
    pattern = str(tmp_path / "nothing_*.biom")
    summary = run([good, missing, pattern], tmp_path / "out", jobs=1)
    assert summary.n_samples == 1
    problems = (tmp_path / "out" / "problems.tsv").read_text().splitlines()[1:]
    assert problems == [f"{missing}\terror\tno such file or folder", f"{pattern}\terror\tthe pattern matches no file"]
    alone = run([good], tmp_path / "alone", jobs=1)
    assert alone.n_samples == 1
    assert (tmp_path / "out" / "scores.tsv").read_bytes() == (tmp_path / "alone" / "scores.tsv").read_bytes()


def test_a_file_named_as_input_and_as_metadata_is_read_but_one_found_in_a_folder_is_not(tmp_path):
    # A QIIME 2 barplot CSV holds both the profiles and the sample metadata;
    # given as input and as --metadata, it was left out as the metadata table
    # and the run said "no input could be read" without naming it.
    folder = tmp_path / "study"
    folder.mkdir()
    write_metaphlan(folder / "S1_profile.txt")
    metadata = folder / "samples.tsv"
    metadata.write_text("sample\tbody_site\tsubject\nS1\tgut\tP1\nS2\tpalm\tP2\n")
    assert run([folder], tmp_path / "walked", jobs=1, exclude=[metadata]).n_samples == 1
    assert (tmp_path / "walked" / "problems.tsv").read_text().splitlines()[1:] == []
    named = run([folder / "S1_profile.txt", metadata], tmp_path / "named", jobs=1, exclude=[metadata])
    assert named.n_samples == 1
    problems = (tmp_path / "named" / "problems.tsv").read_text().splitlines()[1:]
    assert len(problems) == 1
    assert problems[0].startswith(f"{metadata}\terror\t")  # read, and said not a profile
