"""report.html, cycles.json and cycles.png (tda/report.py). The page is opened in a real headless
Chromium driven by selenium: it renders without console errors, loads nothing over the network,
and a hover on the diagram's most persistent point draws that class's cycle and marks its bar.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import time
from types import SimpleNamespace

import numpy as np
import pytest

from tda_pipe.tda.persistence import persistence
from tda_pipe.tda.report import batch_report_html, cycle_files, report_html
from tda_pipe.tda.summary import summarize

pytest.importorskip("oineus", reason="representative cycles need oineus (Linux and macOS)")
pytest.importorskip("plotly")


def two_rings(n: int = 60, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi, n)
    ring = np.column_stack([np.cos(angle), np.sin(angle)])
    return np.concatenate([ring, 0.5 * ring[: n // 2] + [3.0, 0.0]]) + 0.02 * rng.normal(
        size=(n + n // 2, 2)
    )


def points(X: np.ndarray) -> SimpleNamespace:
    return SimpleNamespace(kind="points", array=X)


def holes_image() -> np.ndarray:
    image = np.random.default_rng(1).uniform(0.0, 0.2, (24, 30))
    image[5:9, 5:9] = 1.0
    image[13:18, 18:24] = 0.7
    return image


# -- cycles.json and cycles.png ----------------------------------------------------------------


def test_cycle_files_of_a_cloud():
    X = two_rings()
    d = persistence(X, max_dim=1, filtration="rips", cycles=True)
    files = cycle_files(points(X), d, k=2)
    document = json.loads(files["cycles.json"])
    assert [c["dimension"] for c in document["classes"]] == [1, 1]
    for entry, cycle in zip(document["classes"], d.cycles(1)):
        assert (entry["birth"], entry["death"]) == (cycle.birth, cycle.death)
        assert entry["simplices"] == cycle.simplices.tolist()
    assert files["cycles.png"][:4] == b"\x89PNG"
    from PIL import Image

    assert Image.open(io.BytesIO(files["cycles.png"])).size[0] > 500


def test_cycle_files_of_an_image_a_3d_cloud_and_a_matrix():
    image = holes_image()
    d = persistence(image, max_dim=1, filtration="cubical", cycles=True)
    files = cycle_files(SimpleNamespace(kind="image", array=image), d, k=2)
    assert "corner" in json.loads(files["cycles.json"])["vertices"] and "cycles.png" in files

    rng = np.random.default_rng(2)
    S = rng.normal(size=(60, 3))
    S /= np.linalg.norm(S, axis=1, keepdims=True)
    d = persistence(S, max_dim=2, filtration="rips", cycles=True)
    files = cycle_files(points(S), d, k=1)
    assert [c["dimension"] for c in json.loads(files["cycles.json"])["classes"]] == [1, 2]
    assert "cycles.png" in files

    D = np.linalg.norm(S[:, None] - S[None], axis=2)
    files = cycle_files(SimpleNamespace(kind="distances", array=D), d, k=1)
    assert sorted(files) == ["cycles.json"]  # nothing to draw a matrix on


# -- the pages without a browser ---------------------------------------------------------------


def test_report_is_self_contained_and_says_it_subsamples():
    X = np.random.default_rng(3).random((700, 2))
    d = persistence(X, max_dim=1, filtration="alpha", cycles=True)
    page = report_html(points(X), d, summarize(d), title="cloud", max_points=200)
    assert "200 of 700 points drawn" in page
    from plotly.offline import get_plotlyjs

    # plotly.js is inlined whole; its own code names sites (map tiles, its logo's link) that a
    # page without maps never loads (the browser test checks nothing is fetched). Beside it,
    # the page names no address at all.
    library = get_plotlyjs()
    assert page.count(library) == 1
    assert not re.search(r"https?://", page.replace(library, ""))
    assert page.count("<script") >= 4 and "<script src" not in page
    assert 'id="summary"' in page and ">H1<" in page


def test_batch_page_links_each_input():
    d = persistence(two_rings(), max_dim=1)
    rows = [
        {"name": "rings", "href": "rings/report.html", "summary": summarize(d)},
        {"name": "broken", "href": None, "summary": None, "error": "NaN at row 4"},
    ]
    page = batch_report_html(rows)
    assert '<a href="rings/report.html">rings</a>' in page and "NaN at row 4" in page
    assert "<script" not in page


# -- in a real browser -------------------------------------------------------------------------


def _browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    binary = next(
        (
            shutil.which(b)
            for b in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(b)
        ),
        None,
    )
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        pytest.skip("no Chromium and chromedriver here (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--window-size=1400,1800")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    from selenium.webdriver.chrome.service import Service

    return webdriver.Chrome(service=Service(driver_path), options=options)


@pytest.fixture(scope="module")
def browser():
    driver = _browser()
    yield driver
    driver.quit()


def _open(browser, page: str, tmp_path) -> None:
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    browser.get(path.as_uri())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if browser.execute_script(
            "return window.Plotly !== undefined"
            " && document.querySelectorAll('.main-svg').length > 0"
        ):
            return
        time.sleep(0.2)
    pytest.fail("the page's plots did not render within 30 s")


def _no_errors_nor_network(browser) -> None:
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert not [u for u in fetched if u.startswith(("http:", "https:"))], fetched
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('[src],[href]'))"
        ".map(e => e.getAttribute('src') || e.getAttribute('href'))"
    )
    assert not [u for u in links if re.match(r"https?:", u or "")], links


def _hover_most_persistent(browser, dim: int) -> None:
    """Move the mouse onto the first point (the most persistent) of the diagram's H``dim``
    trace (trace 0 is the diagonal), as a user would."""
    from selenium.webdriver.common.action_chains import ActionChains

    point = browser.execute_script(
        "return document.querySelectorAll('#diagram .scatterlayer .trace')[arguments[0]]"
        ".querySelectorAll('.point')[0]",
        dim + 1,
    )
    ActionChains(browser).move_to_element(point).pause(0.3).perform()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not browser.execute_script(
        "return document.body.dataset.selected"
    ):
        time.sleep(0.1)


def _highlighted(browser, div: str) -> list:
    return browser.execute_script(
        "const gd = document.getElementById(arguments[0]);"
        "return Array.from(gd.data[gd.data.length - 1].x)",
        div,
    )


def test_hover_draws_the_cycle_and_marks_the_bar(browser, tmp_path):
    X = two_rings()
    d = persistence(X, max_dim=1, filtration="rips", cycles=True)
    _open(browser, report_html(points(X), d, summarize(d), title="rings"), tmp_path)
    _no_errors_nor_network(browser)
    assert _highlighted(browser, "view") == []
    _hover_most_persistent(browser, 1)
    assert browser.execute_script("return document.body.dataset.selected") == "1:0"
    top = d.cycles(1)[0]
    drawn = _highlighted(browser, "view")
    assert len([x for x in drawn if x is not None]) == 2 * len(top.simplices)
    ends = sorted(round(float(v), 6) for v in X[top.simplices[:, 0], 0])
    starts = [round(x, 6) for x in drawn[0::3]]
    assert sorted(starts) == ends  # the segments start at the cycle's edges, edge by edge
    assert _highlighted(browser, "barcode") == pytest.approx([top.birth, top.death])
    assert "cycle of H1" in browser.find_element("id", "selected").text
    _no_errors_nor_network(browser)


@pytest.mark.parametrize("kind", ["image", "cloud in R^3"])
def test_image_and_3d_pages_render_and_link(browser, tmp_path, kind):
    if kind == "image":
        data = SimpleNamespace(kind="image", array=holes_image())
        d = persistence(data.array, max_dim=1, filtration="cubical", cycles=True)
    else:
        rng = np.random.default_rng(4)
        u, v = rng.uniform(0, 2 * np.pi, (2, 200))
        X = np.column_stack([(2 + np.cos(v)) * np.cos(u), (2 + np.cos(v)) * np.sin(u), np.sin(v)])
        data = points(X)
        d = persistence(X, max_dim=1, filtration="rips", cycles=True)
    _open(browser, report_html(data, d, summarize(d), title=kind), tmp_path)
    _no_errors_nor_network(browser)
    _hover_most_persistent(browser, 1)
    assert browser.execute_script("return document.body.dataset.selected") == "1:0"
    drawn = _highlighted(browser, "view")
    assert len([x for x in drawn if x is not None]) == 2 * len(d.cycles(1)[0].simplices)


def test_a_diagram_of_a_million_classes_is_drawn_by_its_most_persistent_points():
    from pathlib import Path

    from tda_pipe.datasets import LoadedInput
    from tda_pipe.tda.diagrams import Diagrams
    from tda_pipe.tda.report import report_html

    deaths = np.random.default_rng(0).random(1_000_000)
    d = Diagrams([np.column_stack([np.zeros_like(deaths), deaths])])
    page = report_html(LoadedInput(Path("x.npy"), "points", np.zeros((10, 2))), d, max_points=50)
    assert "the diagram shows the 50 most persistent of the 1000000 H0 classes" in page
    longest = f"{deaths.max():.4g}"
    assert longest in page  # the longest bar is among those drawn
