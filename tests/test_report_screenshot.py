"""The evaluation report as a person sees it: rendered by headless Chromium.

Chromium loads only local files, with a fresh profile and no network
features. One run dumps where each plot landed on the page (from a copy of
the report with a line of script added); a second run screenshots the
report itself. Each plot must be a real PNG, and the screenshot must show
it where the layout says it is.

Set ``PMC_SAVE_REPORT_SCREENSHOT=docs/report.png`` to keep the top of the
screenshot (for the README).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import KIT
from pmc_sync.evaluation import evaluate
from pmc_sync.evaluation_report import write_report
from pmc_sync.pull import pull
from pmc_sync.reconcile import reconcile
from pmc_sync.workspace import init_workspace
from synthetic import generate

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SAVE_ENV = "PMC_SAVE_REPORT_SCREENSHOT"
WIDTH = 1100
PLOTS = {
    "plot-funnel",
    "plot-funnel-cohorts",
    "plot-time-to-complete",
    "plot-stalls",
    "plot-change-tier1",
    "plot-change-tier2",
    "plot-coaches-mentees",
}
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]
LAYOUT_SCRIPT = """<script>
const rects = {};
for (const img of document.images) {
  const r = img.getBoundingClientRect();
  rects[img.id] = [r.left, r.top + window.scrollY, r.width, r.height];
}
const out = document.createElement("pre");
out.id = "layout";
out.textContent = JSON.stringify({
  rects, height: document.documentElement.scrollHeight});
document.body.appendChild(out);
</script>
</body>"""


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    if not Path(CHROMIUM).is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; make test installs it")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory, config) -> Path:
    root = tmp_path_factory.mktemp("screenshot")
    cohort = generate(KIT / "forms")
    workspace = init_workspace(
        root / "ws", KIT / "forms", cohort.write(root / "cohort"), config
    )
    pulled = pull(workspace.forms(), config)
    decisions = workspace.decisions()
    recon = reconcile(pulled.responses, decisions, config, cohort.now)
    evaluation = evaluate(
        pulled.responses, recon, config, decisions=decisions, coaches=True
    )
    return write_report(evaluation, root / "report", program_name=config.program_name)


def _images(html: str) -> dict[str, Image.Image]:
    found = re.findall(
        r'<img id="([^"]+)"[^>]*src="data:image/png;base64,([^"]+)"', html
    )
    return {key: Image.open(io.BytesIO(base64.b64decode(data))) for key, data in found}


def _layout(report: Path, tmp_path: Path) -> dict:
    probe = report.with_name("layout.html")
    html = report.read_text(encoding="utf-8")
    probe.write_text(html.replace("</body>", LAYOUT_SCRIPT), encoding="utf-8")
    dom = _chromium(
        tmp_path, f"--window-size={WIDTH},1000", "--dump-dom", probe.as_uri()
    ).stdout
    text = re.search(r'<pre id="layout">(.*?)</pre>', dom, re.S).group(1)
    return json.loads(text.replace("&quot;", '"'))


@pytest.fixture(scope="module")
def rendered(report, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("chromium")
    layout = _layout(report, tmp_path)
    shot = tmp_path / "report.png"
    _chromium(
        tmp_path,
        f"--window-size={WIDTH},{layout['height']}",
        f"--screenshot={shot}",
        report.as_uri(),
    )
    screenshot = Image.open(shot).convert("RGB")
    saved = os.environ.get(SAVE_ENV)
    if saved:
        screenshot.crop((0, 0, WIDTH, min(1700, screenshot.height))).save(saved)
    return layout, screenshot


def test_the_report_has_every_plot_as_a_real_png(report):
    images = _images(report.read_text(encoding="utf-8"))

    assert set(images) == PLOTS
    for key, image in images.items():
        assert image.format == "PNG", key
        assert image.width >= 600 and image.height >= 200, key
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
        colours = len(np.unique(pixels, axis=0))
        assert colours > 20, key


def test_the_screenshot_shows_each_plot_where_the_page_put_it(report, rendered):
    layout, screenshot = rendered
    images = _images(report.read_text(encoding="utf-8"))

    assert set(layout["rects"]) == PLOTS
    assert screenshot.size == (WIDTH, layout["height"])
    for key, (left, top, width, height) in layout["rects"].items():
        box = tuple(round(v) for v in (left, top, left + width, top + height))
        crop = np.asarray(screenshot.crop(box), dtype=float)
        ink = (crop.min(axis=2) < 200).mean()
        assert ink > 0.01, (key, ink)
        original = images[key].convert("RGB").resize(screenshot.crop(box).size)
        difference = np.abs(crop - np.asarray(original, dtype=float)).mean()
        assert difference < 12, (key, difference)


def test_the_margin_beside_the_plots_is_blank(rendered):
    layout, screenshot = rendered

    margin = np.asarray(screenshot.crop((WIDTH - 40, 0, WIDTH, layout["height"])))

    assert (margin.min(axis=2) > 245).all()
