"""The reports in a real headless Chromium: no console errors, no network,
hostile names shown as text, sortable table, phone width, A4 printing."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from gutbalance.report import render_simulation_report, safe_filename, write_reports
from gutbalance.simulate import Scenario, parse_antibiotic, parse_pathogen, simulate_stein
from tests.report.conftest import XSS_NAME

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium); apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def reports(report_input, tmp_path_factory):
    cohort, scores, contributions = report_input
    out = tmp_path_factory.mktemp("reports")
    files = write_reports(out, cohort, scores, contributions, subject_column="person", time_column="visit",
                          group_columns=["arm"], figures=False)
    return files


class Visit:
    """A page opened with every request checked and every error recorded."""

    def __init__(self, browser, path: Path, *, width: int = 1100) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.console: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.blocked: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route) -> None:
        scheme = urlparse(route.request.url).scheme
        if scheme in ("file", "data"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def assert_clean(self) -> None:
        assert self.blocked == [], f"network requests: {self.blocked}"
        assert self.console == [], self.console
        assert self.errors == [], self.errors
        assert self.dialogs == [], f"a script ran: {self.dialogs}"


def test_every_page_renders_clean_and_offline(browser, reports):
    pages = [reports.cohort_report, *reports.sample_reports.values(), *reports.timeline_reports.values()]
    for path in pages:
        visit = Visit(browser, path)
        visit.assert_clean()
        assert "not a diagnosis" in visit.page.inner_text("body")
        assert visit.page.locator("svg[role=img] > title").count() >= 1
        visit.page.close()


def test_hostile_names_show_as_text(browser, reports):
    visit = Visit(browser, reports.sample_reports[XSS_NAME])
    visit.assert_clean()
    assert XSS_NAME in visit.page.inner_text("h1")
    assert visit.page.locator("img").count() == 0
    assert "<svg onload=alert(3)>" in visit.page.inner_text("body")  # a taxon name, shown as text
    assert "<script>alert(2)</script>" in visit.page.inner_text("body")  # a metadata value
    visit.page.close()
    cohort = Visit(browser, reports.cohort_report)
    cohort.assert_clean()
    links = cohort.page.get_by_role("link", name=XSS_NAME)
    assert links.count() == 3  # one row in each table of all samples
    assert {links.nth(k).get_attribute("href") for k in range(3)} == {f"samples/{safe_filename(XSS_NAME)}.html"}
    cohort.page.close()


def test_cohort_table_sorts(browser, reports, report_input):
    _, scores, _ = report_input
    visit = Visit(browser, reports.cohort_report)
    header = visit.page.locator("#table-diversity thead th").filter(has_text="Shannon")
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    shown = visit.page.locator("#table-diversity tbody tr td:first-child").all_inner_texts()
    assert shown == scores["shannon"].sort_values(kind="stable").index.tolist()
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    shown = visit.page.locator("#table-diversity tbody tr td:first-child").all_inner_texts()
    assert shown[0] == scores["shannon"].idxmax()
    # each table sorts on its own
    assert visit.page.locator("#table-scores tbody tr td:first-child").all_inner_texts() == scores.index.tolist()
    visit.assert_clean()
    visit.page.close()


def test_the_cohort_tables_fit_a_laptop_window(browser, reports):
    # one table of every score was 3,055 px wide on the kefir cohort and scrolled sideways in its
    # 960 px box at 1,400 px; each table of all samples now fits without scrolling
    visit = Visit(browser, reports.cohort_report, width=1400)
    assert visit.page.evaluate("document.documentElement.scrollWidth") <= 1400
    boxes = visit.page.evaluate(
        "[...document.querySelectorAll('section[aria-labelledby=sec-table] .table-wrap')]"
        ".map(b => [b.querySelector('table').id, b.scrollWidth, b.clientWidth])"
    )
    assert [b[0] for b in boxes] == ["table-scores", "table-diversity", "table-basis"]
    for table, wide, box in boxes:
        assert wide <= box, f"{table} is {wide}px wide in a {box}px box"
    # every score is a column of exactly one table (one distribution card a score)
    titles = visit.page.locator("section[aria-labelledby=sec-table] thead th abbr").evaluate_all("hs => hs.map(h => h.title)")
    cards = visit.page.locator("section[aria-labelledby=sec-dist] h3").all_inner_texts()
    assert sorted(titles) == sorted(cards)
    assert len(titles) >= 20
    visit.assert_clean()
    visit.page.close()


def test_pages_fit_a_phone_and_print_on_a4(browser, reports):
    for path in (reports.sample_reports["p1_t1"], reports.timeline_reports["p1"], reports.cohort_report):
        visit = Visit(browser, path, width=375)
        overflow = visit.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path.name} is {overflow}px wider than a phone screen"
        visit.page.emulate_media(media="print")
        pdf = visit.page.pdf(format="A4")
        assert pdf[:5] == b"%PDF-"
        visit.assert_clean()
        visit.page.close()


def test_simulation_page_renders_clean_offline_and_fits_a_phone(browser, tmp_path):
    scenario = Scenario(days=60, antibiotics=[parse_antibiotic("clindamycin:days=0-1")],
                        pathogens=[parse_pathogen("c_difficile:day=5")])
    page = tmp_path / "simulation.html"
    page.write_text(render_simulation_report(simulate_stein(scenario, ic=4)), encoding="utf-8")
    for width in (1100, 375):
        visit = Visit(browser, page, width=width)
        visit.assert_clean()
        body = visit.page.inner_text("body")
        assert "not a diagnosis" in body
        assert "clindamycin days 0-1" in body
        assert visit.page.locator("svg[role=img]").count() == 1
        overflow = visit.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the simulation page is {overflow}px wider than the window"
        visit.page.close()


def test_the_checks_catch_scripts_and_requests(browser, tmp_path):
    """The harness itself: an unescaped name and a remote image are caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><p><img src=x onerror=alert(1)></p><img src="http://example.invalid/a.png">',
                   encoding="utf-8")
    visit = Visit(browser, bad)
    visit.page.wait_for_timeout(200)
    assert visit.dialogs == ["1"]
    assert visit.blocked == ["http://example.invalid/a.png"]
    with pytest.raises(AssertionError):
        visit.assert_clean()
    visit.page.close()
