"""The notebooks as a reader sees them, in a real browser (headless Chromium driven by Selenium):

- JupyterLab, started from this environment on a free localhost port with the token off, opens the executed
  notebook 03 and renders its figures as images and its tables as HTML tables;
- the static report (``make report``) opens from the file system: the ledger's verdicts, the figure thumbnails, and a
  claim's link leading to the notebook page's cell that computes it.

Screenshots are saved under the test's temp folder. ``make browser`` (run by ``make test``) installs Debian's chromium
and chromium-driver where apt-get is allowed and otherwise stops ``make test`` saying why. These tests never skip: a
missing browser is a failure; a machine without one deselects them by their marker (``-m "not browser"``).
"""

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from paper_mtl.claims import anchor
from paper_mtl.site import build_site

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "03_task_grouping.ipynb"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.browser


def _figures_saved(path: Path) -> int:
    cells = json.loads(path.read_text())["cells"]
    return sum("".join(c["source"]).count("report.figure(") for c in cells if c["cell_type"] == "code")


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM and DRIVER, "no chromium + chromedriver on PATH: run `make browser` (it installs Debian's, or says why not), or deselect these tests with -m 'not browser'"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,2000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a free port serving a copy of the executed notebook 03; yields its base URL."""
    folder = tmp_path_factory.mktemp("lab")
    shutil.copy(NOTEBOOK, folder / NOTEBOOK.name)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
         "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={folder}",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within 60 s")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_jupyterlab_renders_notebook_03s_figures_and_tables(browser, lab, tmp_path):
    expected = _figures_saved(NOTEBOOK)
    assert expected > 0
    browser.get(f"{lab}/lab/tree/{NOTEBOOK.name}")
    images = ".jp-OutputArea-output img"
    WebDriverWait(browser, 120).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, images)) >= expected)
    loaded = browser.execute_script(
        f"return Array.from(document.querySelectorAll('{images}')).filter(i => i.complete && i.naturalWidth > 0).length")
    assert loaded >= expected
    assert browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output table")
    browser.save_screenshot(str(tmp_path / "jupyterlab_03.png"))
    assert (tmp_path / "jupyterlab_03.png").stat().st_size > 10_000


def test_the_report_shows_the_ledger_thumbnails_and_links_to_claims(browser, tmp_path):
    index = build_site(tmp_path / "site", ROOT / "notebooks", ROOT / "figures")
    browser.get(index.as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "table.ledger tbody tr")
    assert rows, "the ledger table is empty"
    thumbs = browser.execute_script(
        "return Array.from(document.querySelectorAll('img.thumb')).map(i => i.complete && i.naturalWidth > 0)")
    assert thumbs and all(thumbs), "a figure thumbnail did not load"
    browser.save_screenshot(str(tmp_path / "report_index.png"))
    link = browser.find_element(By.CSS_SELECTOR, "table.ledger a[href*='03_task_grouping.html#claim-']")
    target = link.get_attribute("href").split("#", 1)[1]
    assert target.startswith(anchor(""))
    link.click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, target))
    images = browser.execute_script(
        "return Array.from(document.querySelectorAll('.jp-OutputArea-output img')).map(i => i.naturalWidth > 0)")
    assert len(images) >= _figures_saved(NOTEBOOK) and all(images)
    browser.save_screenshot(str(tmp_path / "report_03.png"))
