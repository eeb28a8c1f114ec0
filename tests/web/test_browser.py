"""End to end in Debian's headless Chromium (Playwright): register, upload a
MetaPhlAn profile, read the report, delete, against ``gutbalance serve``
started on a free local port."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pandas as pd
import pytest
from click.testing import CliRunner
from playwright.sync_api import sync_playwright

from gutbalance.cli import main
from gutbalance.web.schemas import USERNAME_PATTERN
from tests.bombs import qza_bomb
from tests.helpers import write_metaphlan
from tests.web.test_feature_rank import BARE_GENUS_CSV, assert_same_as_cli, cli_scores
from tests.web.test_qiime2_uploads import PAIR_WAY, cli_pair_scores, data_member, pair_files
from tests.web.test_read_warnings import as_fractions

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``gutbalance serve`` on 127.0.0.1 with a fresh data folder; its base URL
    (one server for the module: starting one takes seconds)."""
    tmp_path = tmp_path_factory.mktemp("server")
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-c", "from gutbalance.cli import main; main()", "serve",
         "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(tmp_path / "data")],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start:\n" + (tmp_path / "server.log").read_text())
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module: launching one takes a second or two, and
    each test still starts clean in a context of its own (``page``)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    """A page in a fresh browser context: no cookies, storage or cache of
    another test."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def register_in_browser(server: str, page, username: str) -> None:
    """Register through the form; the browser lands on the samples page."""
    page.goto(server + "/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(server + "/samples")


@pytest.mark.parametrize(
    "username",
    ["ana", "Ana.Smith-2", "x@y.z+1", "a_b", "ab", "Ana Smith", "ana/b", "éva", "a" * 64, "a" * 65, "a\\b"],
)
def test_the_register_form_checks_the_username_as_the_server_does(server, page, username):
    # Chromium compiles a pattern attribute with the v flag and ignores one
    # that does not compile, so only the browser can say the form checks it
    page.goto(server + "/register")
    field = page.get_by_label("Username")
    field.evaluate("(input, value) => { input.value = value; }", username)
    valid = field.evaluate("input => input.validity.valid")
    assert valid == bool(re.fullmatch(USERNAME_PATTERN, username))


def test_register_upload_report_delete(server, page, tmp_path):
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(server + "/")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Username").fill("browser-user")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(server + "/samples")
    assert page.get_by_text("No samples yet").is_visible()

    profile = write_metaphlan(tmp_path / "S1_metaphlan.txt")
    page.locator("input[type=file]").set_input_files(str(profile))
    page.get_by_label("Subject").fill("P-01")
    page.get_by_role("button", name="Upload and score").click()
    page.wait_for_url("**/samples/*?notice=uploaded")
    assert page.get_by_role("heading", name="Sample S1").is_visible()
    assert page.get_by_text("The file was read and scored.").is_visible()
    sample_url = page.url.split("?")[0]
    page.screenshot(path=str(tmp_path / "sample.png"), full_page=True)

    page.get_by_role("link", name="Read the report").click()
    page.wait_for_url(sample_url + "/report")
    assert "S1" in page.title() or page.get_by_text("S1").first.is_visible()
    # the report's own inline CSS applies under the app's CSP (admitted by hash)
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != ""
    assert page.evaluate("document.styleSheets.length") >= 1
    page.go_back()

    page.get_by_role("button", name="Delete this sample").click()
    page.wait_for_url("**/samples?notice=deleted")
    assert page.get_by_text("The sample was deleted.").is_visible()
    assert page.get_by_text("No samples yet").is_visible()
    assert page.goto(sample_url).status == 404

    # the activity names the deleted sample, marked so, and links to no 404
    page.goto(server + "/account")
    rows = page.locator("table.audit tbody tr")
    assert rows.count() >= 3
    for k in range(rows.count()):
        sample_cell = rows.nth(k).locator("td").nth(2)
        assert sample_cell.inner_text() == "S1 (deleted)"
        assert sample_cell.locator("a").count() == 0
    assert page.locator(f'a[href="{sample_url.removeprefix(server)}"]').count() == 0

    csp_problems = [p for p in problems if "Content Security Policy" in p or "Refused" in p]
    assert csp_problems == [], csp_problems
    assert [p for p in problems if "404" not in p] == []


def test_pages_redirect_to_login_and_back(server, page):
    page.goto(server + "/account")
    page.wait_for_url("**/login?next=%2Faccount")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Username").fill("second-user")
    page.get_by_label("Password").fill("another long password")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(server + "/samples")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/?notice=logged-out")
    page.goto(server + "/account")
    page.get_by_label("Username").fill("second-user")
    page.get_by_label("Password").fill("another long password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(server + "/account")
    assert page.get_by_role("heading", name="Account second-user").is_visible()


def test_password_change_and_logout_end_the_old_session(server, page):
    """In a real browser: change the password on the account page, log out, and
    a copy of the session cookie kept from before the logout is refused."""
    page.goto(server + "/register")
    page.get_by_label("Username").fill("third-user")
    page.get_by_label("Password").fill("an old long password")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(server + "/samples")
    page.goto(server + "/account")
    page.get_by_label("Current password").fill("an old long password")
    page.get_by_label("New password", exact=True).fill("password123")
    page.get_by_label("New password again").fill("password123")
    page.get_by_role("button", name="Change password").click()
    assert page.get_by_text("too easy to guess").is_visible()
    page.get_by_label("Current password").fill("an old long password")
    page.get_by_label("New password", exact=True).fill("lantern orchid seventy")
    page.get_by_label("New password again").fill("lantern orchid seventy")
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url("**/account?notice=password-changed")
    saved = [c for c in page.context.cookies() if c["name"] == "gb_session"]
    assert saved
    page.get_by_role("button", name="Log out", exact=True).click()
    page.wait_for_url("**/?notice=logged-out")
    page.context.add_cookies(saved)
    page.goto(server + "/samples")
    page.wait_for_url("**/login?next=%2Fsamples")
    page.get_by_label("Username").fill("third-user")
    page.get_by_label("Password").fill("lantern orchid seventy")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(server + "/samples")


def test_a_clinic_uploads_a_zip_of_visits_and_reads_a_timeline(server, page, tmp_path, shared_data):
    """Real kefir profiles of one person at two visits and of another at one,
    zipped with a sample sheet, uploaded through the form: the person's page
    lists both visits under their dates with labelled scores, the timeline
    opens, and a sample's page names its scores and says why one is missing."""
    folder = shared_data / "profiles" / "kefir_metaphlan3"
    names = ["Subj001_time1_S1", "Subj001_time2_S2", "Subj003_time1_S3"]
    archive = tmp_path / "visits.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in names:
            zf.write(folder / f"{name}_metaphlan3.txt", f"visits/{name}_metaphlan3.txt")
        zf.writestr("visits/samples.tsv", "sample\tsubject\tcollected\nSubj001_time1_S1\tP-07\t2019-01-07\nSubj001_time2_S2\tP-07\t2019-02-04\n")

    page.goto(server + "/register")
    page.get_by_label("Username").fill("clinic-user")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(server + "/samples")
    page.locator("input[type=file]").set_input_files(str(archive))
    page.get_by_role("button", name="Upload and score").click()
    page.wait_for_url("**/samples?notice=uploaded", timeout=120_000)  # through /uploads/<job> if scoring takes a while
    assert page.get_by_text("The file was read and scored.").is_visible()

    page.get_by_role("link", name="P-07").click()
    page.wait_for_url("**/subject?name=P-07")
    assert page.get_by_role("heading", name="Subject P-07").is_visible()
    assert page.get_by_role("row", name="Subj001_time1_S1 2019-01-07").is_visible()
    assert page.get_by_role("row", name="Subj001_time2_S2 2019-02-04").is_visible()
    assert page.get_by_role("columnheader", name="Immune support").is_visible()

    page.get_by_role("link", name="Read the timeline").click()
    page.wait_for_url("**/subject/timeline?name=P-07")
    assert page.get_by_text("Subj001_time2_S2").first.is_visible()
    page.go_back()

    page.get_by_role("link", name="Subj001_time2_S2").click()
    page.wait_for_url("**/samples/*")
    assert page.get_by_role("rowheader", name="Immune support immune_support").is_visible()
    assert page.get_by_text("Why: the input gives relative abundances, not read counts").is_visible()


def test_a_zip_with_a_bad_file_then_the_list_paged_by_keyboard(server, page, tmp_path):
    """A zip of a merged table of 105 samples and an empty file: the upload's
    page says what was stored and names the file left out; the samples list
    is in pages whose "next" link is reached with Tab and followed with Enter."""
    import gutbalance
    from tests.helpers import SMALL_COMMUNITY, make_cohort

    merged = tmp_path / "cohort_metaphlan.tsv"
    gutbalance.write(make_cohort({f"S{i:03d}": SMALL_COMMUNITY for i in range(105)}), merged)
    archive = tmp_path / "clinic.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(merged, "clinic/cohort_metaphlan.tsv")
        zf.writestr("clinic/S999_metaphlan.txt", "")

    page.goto(server + "/register")
    page.get_by_label("Username").fill("paging-user")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(server + "/samples")
    page.locator("input[type=file]").set_input_files(str(archive))
    page.get_by_role("button", name="Upload and score").click()
    page.wait_for_url("**/uploads/*")
    status = page.get_by_role("status")
    status.filter(has_text="were read, scored and stored").wait_for(timeout=120_000)  # the page reloads until scoring ends
    assert "105 samples of this upload were read, scored and stored; 1 file in it could not be read" in status.inner_text()
    assert page.get_by_role("table", name="Files left out").get_by_role("row", name="clinic/S999_metaphlan.txt the file is empty").is_visible()

    page.get_by_role("link", name="All your samples").click()
    page.wait_for_url(server + "/samples")
    assert page.get_by_text("Samples 1–100 of 105").is_visible()
    assert page.get_by_text("Page 1 of 2").first.is_visible()
    for _ in range(400):  # Tab through the page until the first "next" link has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('rel')") == "next":
            break
    else:
        pytest.fail("the next-page link is never reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(server + "/samples?page=2")
    assert page.get_by_text("Samples 101–105 of 105").is_visible()
    assert page.get_by_text("Page 2 of 2").first.is_visible()
    assert page.get_by_role("link", name="← Previous page").first.is_visible()
    assert page.locator("a[rel=next]").count() == 0


def test_a_lab_declares_the_rank_of_a_bare_genus_table(server, page, tmp_path):
    """A samples x genera CSV of bare names through the form: refused with a
    message that points at the form's rank select (not at the CLI flag), then,
    with "genus" chosen, scored; the scores downloaded from the app are the
    cells ``gutbalance analyze --feature-rank genus`` writes for the file."""
    path = tmp_path / "genus.csv"
    path.write_text(BARE_GENUS_CSV)
    page.goto(server + "/register")
    page.get_by_label("Username").fill("rank-user")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(server + "/samples")
    select = page.get_by_label("Rank of bare taxon names")
    assert select.input_value() == ""
    assert select.locator("option").all_inner_texts() == ["not declared", "domain", "phylum", "class", "order", "family", "genus", "species", "strain"]

    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="Upload and score").click()
    # on the samples page, or on the upload's page when scoring took longer than the request waits
    alert = page.get_by_role("alert").filter(has_text="cannot tell the rank of 'Bacteroides'")
    alert.wait_for(timeout=120_000)
    message = alert.inner_text()
    assert "Rank of bare taxon names" in message
    assert "--feature-rank" not in message
    page.goto(server + "/samples")
    assert page.get_by_text("No samples yet").is_visible()

    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_label("Rank of bare taxon names").select_option("genus")
    page.get_by_role("button", name="Upload and score").click()
    page.wait_for_url("**/samples?notice=uploaded", timeout=120_000)
    for name in ("P01", "P02", "P03"):
        assert page.get_by_role("link", name=name, exact=True).is_visible()
    download = page.request.get(server + "/scores.tsv")
    assert download.status == 200
    assert_same_as_cli(download.text(), cli_scores(tmp_path, BARE_GENUS_CSV))


def test_a_lab_uploads_a_qiime2_table_then_zips_it_with_its_taxonomy(server, page, tmp_path):
    """A table of ASV ids through the form alone is refused saying to zip it
    with its taxonomy; the zip of the two is scored, and the scores
    downloaded from the app are the cells ``gutbalance analyze table.qza
    taxonomy.qza`` writes."""
    table, taxonomy = pair_files(tmp_path)
    archive = tmp_path / "pair.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(table, "run1/table.qza")
        zf.write(taxonomy, "run1/taxonomy.qza")
    register_in_browser(server, page, "qiime-user")
    page.locator("input[type=file]").set_input_files(str(table))
    page.get_by_role("button", name="Upload and score").click()
    alert = page.get_by_role("alert").filter(has_text="are not taxa")
    alert.wait_for(timeout=120_000)
    assert PAIR_WAY in alert.inner_text()
    page.goto(server + "/samples")
    assert page.get_by_text("No samples yet").is_visible()

    page.locator("input[type=file]").set_input_files(str(archive))
    page.get_by_role("button", name="Upload and score").click()
    page.wait_for_url("**/samples?notice=uploaded", timeout=120_000)
    for name in ("A", "B"):
        assert page.get_by_role("link", name=name, exact=True).is_visible()
    download = page.request.get(server + "/scores.tsv")
    assert download.status == 200
    assert_same_as_cli(download.text(), cli_pair_scores(tmp_path, table, taxonomy))


def test_a_phone_shows_what_reading_warned_of_and_how_undated_visits_are_ordered(server, page, tmp_path, shared_data):
    """At a phone's width: a real profile whose percentages were saved as
    fractions is scored, and its page says so before the scores, as
    ``analyze`` does in problems.tsv; the person's page says that samples
    uploaded without dates are in upload order, not in time."""
    real = (shared_data / "profiles" / "kefir_metaphlan3" / "Subj001_time1_S1_metaphlan3.txt").read_text()
    archive = tmp_path / "runs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("runs/R1_metaphlan.txt", real)
        zf.writestr("runs/R2_metaphlan.txt", as_fractions(real))
    page.set_viewport_size({"width": 390, "height": 844})
    register_in_browser(server, page, "phone-user")
    page.locator("input[type=file]").set_input_files(str(archive))
    page.get_by_label("Subject").fill("P-09")
    page.get_by_role("button", name="Upload and score").click()
    page.wait_for_url("**/samples?notice=uploaded", timeout=120_000)

    page.get_by_role("link", name="P-09").first.click()
    page.wait_for_url("**/subject?name=P-09")
    assert page.get_by_text("2 samples, in the order they were uploaded: none has a collection date").is_visible()
    assert page.get_by_text("the timeline numbers them 1, 2, 3").is_visible()
    page.screenshot(path=str(tmp_path / "subject.png"), full_page=True)

    page.get_by_role("link", name="R2", exact=True).click()
    page.wait_for_url("**/samples/*")
    care = page.get_by_role("region", name="Read with care")
    assert care.get_by_text("When the file was read (scored all the same):").is_visible()
    warning = care.get_by_text("runs.zip/runs/R2_metaphlan.txt: sample 'R2': abundances add up to 1, not 100")
    assert warning.is_visible()
    box = warning.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 390  # wraps on the phone, nothing off the side
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.go_back()
    page.get_by_role("link", name="R1", exact=True).click()
    page.wait_for_url("**/samples/*")
    assert page.get_by_text("When the file was read").count() == 0


#: The words of the page's visible table cells that are split over two lines or more (a word: letters
#: and digits between spaces, hyphens, underscores and slashes, where a line may break), and how wide
#: the page is.
SPLIT_WORDS = """() => {
  const split = [];
  for (const cell of document.querySelectorAll('td, th')) {
    if (cell.offsetParent === null) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/[^\\s\\-_\\/]+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (lines.size > 1) split.push(m[0] + ' (' + Math.round(cell.getBoundingClientRect().width) + ' px cell)');
      }
    }
  }
  return {pageWidth: document.documentElement.scrollWidth, split: split};
}"""


def test_a_phone_never_wraps_a_table_cell_letter_by_letter(server, page, tmp_path, shared_data):
    """At 375 px, no word of a table cell is split over lines on the pages a
    clinic uses (the upload's, the list, a sample, its report, the subject
    and its timeline), and no page is wider than the screen: a table too wide
    scrolls in its own box (the account's activity table too).  Before, the sample page's "What it measures"
    column was 37 px wide (a word a letter a line, the page 59,000 px long),
    and the list's, the upload page's and the report's dates and names broke
    mid-word."""
    kefir = shared_data / "profiles" / "kefir_metaphlan3"
    archive = tmp_path / "visits.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("Subj001_time1_S1_metaphlan3.txt", "Subj001_time2_S2_metaphlan3.txt"):
            zf.writestr(f"visits/{name}", (kefir / name).read_text())
        zf.writestr("visits/samples.tsv", "sample\tsubject\tcollected\nSubj001_time1_S1\tP-0001 Maria Example\t2024-01-10\n"
                                          "Subj001_time2_S2\tP-0001 Maria Example\t2024-03-05\n")
        zf.writestr("visits/notes_metaphlan3.txt", "not a profile at all\n")
    page.set_viewport_size({"width": 375, "height": 800})
    register_in_browser(server, page, "narrow-user")
    page.locator("input[type=file]").set_input_files(str(archive))
    page.get_by_role("button", name="Upload and score").click()
    page.wait_for_url("**/uploads/*")
    page.get_by_text("could not be read and was left out").wait_for(timeout=120_000)
    sample = page.get_by_role("link", name="Subj001_time1_S1", exact=True).get_attribute("href")
    pages = {"upload": page.url, "samples": f"{server}/samples", "sample": server + sample, "report": f"{server}{sample}/report",
             "subject": f"{server}/subject?name=P-0001+Maria+Example", "timeline": f"{server}/subject/timeline?name=P-0001+Maria+Example",
             # last: its activity table lists the views and the upload above
             "account": f"{server}/account"}
    for name, url in pages.items():
        assert page.goto(url).status == 200, name
        measured = page.evaluate(SPLIT_WORDS)
        page.screenshot(path=str(tmp_path / f"{name}-375.png"), full_page=True)
        assert measured["split"] == [], f"{name}: {measured['split'][:10]}"
        assert measured["pageWidth"] <= 375, name


def test_a_lab_zips_two_taxonomies_a_clinic_profiles_with_a_taxonomy_then_a_qza_bomb(server, page, tmp_path, shared_data):
    """Through the form: a table zipped with its taxonomy split in two files
    is stored with the cells ``analyze`` writes for the three files; MetaPhlAn
    profiles zipped with a taxonomy are stored and the upload's page lists the
    taxonomy as not used; a ``.qza`` bomb zipped with a taxonomy is refused at
    once, by the request, naming its size and the limit."""
    table, taxonomy = pair_files(tmp_path)
    header, *rows = data_member(taxonomy, "taxonomy.tsv").decode().splitlines()
    silva, gtdb = tmp_path / "silva.tsv", tmp_path / "gtdb.tsv"
    silva.write_text("\n".join([header, *rows[:4]]) + "\n")
    gtdb.write_text("\n".join([header, *rows[4:]]) + "\n")
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as zf:
        for path in (table, silva, gtdb):
            zf.write(path, path.name)
    register_in_browser(server, page, "two-taxonomies")
    page.locator("input[type=file]").set_input_files(str(two))
    page.get_by_role("button", name="Upload and score").click()
    page.wait_for_url("**/samples?notice=uploaded", timeout=120_000)
    download = page.request.get(server + "/scores.tsv")
    assert download.status == 200
    out = tmp_path / "cli"
    done = CliRunner().invoke(main, ["analyze", str(table), str(silva), str(gtdb), "-o", str(out), "--reports", "none", "-j", "1"])
    assert done.exit_code == 0, done.output
    assert_same_as_cli(download.text(), pd.read_csv(out / "scores.tsv", sep="\t", dtype=str, keep_default_na=False, index_col=0))

    visits = tmp_path / "visits.zip"
    kefir = sorted((shared_data / "profiles" / "kefir_metaphlan3").glob("Subj00*_metaphlan3.txt"))[:2]
    with zipfile.ZipFile(visits, "w") as zf:
        for path in kefir:
            zf.write(path, f"visits/{path.name}")
        zf.writestr("visits/taxonomy.tsv", data_member(taxonomy, "taxonomy.tsv"))
    page.locator("input[type=file]").set_input_files(str(visits))
    page.get_by_role("button", name="Upload and score").click()
    page.wait_for_url("**/uploads/*", timeout=120_000)
    status = page.get_by_role("status")
    status.filter(has_text="1 taxonomy file in it was not used").wait_for(timeout=120_000)
    assert "could not be read" not in status.inner_text()
    assert page.get_by_role("cell", name="visits/taxonomy.tsv").is_visible()
    for path in kefir:
        assert page.get_by_role("link", name=path.name.removesuffix("_metaphlan3.txt"), exact=True).is_visible()

    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("table.qza", qza_bomb())
        zf.write(taxonomy, "taxonomy.qza")
    page.goto(server + "/samples")
    page.locator("input[type=file]").set_input_files(str(bomb))
    page.get_by_role("button", name="Upload and score").click()
    alert = page.get_by_role("alert").filter(has_text="the archive expands to 1,121,976,416 bytes, over the limit of 209,715,200")
    alert.wait_for(timeout=60_000)
    assert "/uploads/" not in page.url  # refused by the request: no job, no upload page
