#!/usr/bin/env python3
"""Real-browser test of the page in Public/ (headless Chromium through Selenium).

    LANDSCAPE_URL=http://127.0.0.1:8420 python3 Tests/browser/test_page.py

Runs against `landscape serve` or the development mock (Tests/browser/mock_api.py).
Screenshots go to $LANDSCAPE_TEST_OUT (default /tmp/landscape-browser); their
paths are printed. Exits 1 when any check fails.
"""
import os
import random
import sys
import time
import traceback

try:
    from selenium import webdriver
except ImportError:
    # Debian's python3-selenium lives in the system interpreter; a pyenv/venv python may lack it.
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("selenium is missing: apt-get install -y chromium chromium-driver python3-selenium (or pip install selenium)")
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE = os.environ.get("LANDSCAPE_URL", "http://127.0.0.1:8420").rstrip("/")
OUT = os.environ.get("LANDSCAPE_TEST_OUT", "/tmp/landscape-browser")
JOB_TIMEOUT = float(os.environ.get("LANDSCAPE_JOB_TIMEOUT", "300"))  # seconds for the small surface on a real server
MIN_COLOURED = 0.01  # fraction of a canvas's pixels that must be coloured for it to count as drawn

# Share of strongly coloured pixels (channel spread > 40) and a cheap content hash, read inside the page.
CANVAS_STATS_JS = """
const c = arguments[0];
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let coloured = 0, hash = 0;
for (let i = 0; i < d.length; i += 4) {
  const mx = Math.max(d[i], d[i+1], d[i+2]), mn = Math.min(d[i], d[i+1], d[i+2]);
  if (d[i+3] > 0 && mx - mn > 40) coloured++;
  if (i % 64 === 0) hash = (hash * 31 + d[i] + 7 * d[i+1] + 13 * d[i+2] + d[i+3]) >>> 0;
}
return [coloured / (c.width * c.height), hash, c.width, c.height];
"""


class Check:
    def __init__(self):
        self.failures, self.screenshots = [], []

    def run(self, name, fn):
        try:
            fn()
            print(f"PASS  {name}", flush=True)
        except Exception as e:  # report every failing check, not just the first
            self.failures.append(name)
            print(f"FAIL  {name}: {e}", flush=True)
            traceback.print_exc(limit=2)


def make_driver():
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1440,1080",
                "--disable-dev-shm-usage", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    if os.path.exists("/usr/bin/chromium"):
        options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service("/usr/bin/chromedriver") if os.path.exists("/usr/bin/chromedriver") else Service()
    return webdriver.Chrome(service=service, options=options)


class PageTest:
    def __init__(self, driver, check):
        self.d, self.check = driver, check
        self.wait = WebDriverWait(driver, 20)
        self.console = []

    # --- helpers ---------------------------------------------------------------
    def shot(self, name):
        path = os.path.join(OUT, f"{name}.png")
        self.d.save_screenshot(path)
        self.check.screenshots.append(path)

    def canvas_stats(self, element):
        return self.d.execute_script(CANVAS_STATS_JS, element)

    def drawn(self, element):
        return self.canvas_stats(element)[0] >= MIN_COLOURED

    def panels(self, container="surface-panels"):
        return self.d.find_elements(By.CSS_SELECTOR, f"#{container} canvas.surface-canvas")

    def collect_console(self):
        self.console += [e for e in self.d.get_log("browser") if e["level"] == "SEVERE"]

    def by_id(self, element_id):
        return self.d.find_element(By.ID, element_id)

    def hash(self):
        return self.d.execute_script("return window.location.hash")

    # --- checks ------------------------------------------------------------------
    def page_loads(self):
        self.d.get(BASE + "/")
        self.wait.until(lambda d: len(self.panels()) >= 3 and all(self.drawn(c) for c in self.panels()[:3]))
        assert self.d.title, "page has no title"
        self.shot("01-landscapes-contour")

    def no_console_errors(self):
        self.collect_console()
        assert not self.console, "console errors: " + "; ".join(e["message"] for e in self.console)

    def hover_readout_changes(self):
        canvas = self.panels()[0]
        readout = self.by_id("readout")
        texts = []
        for dx, dy in ((-60, -40), (50, 30), (10, -90)):
            ActionChains(self.d).move_to_element_with_offset(canvas, dx, dy).perform()
            time.sleep(0.15)
            texts.append(readout.text)
        assert all("α" in t and "loss" in t for t in texts), f"readout does not show α and loss: {texts!r}"
        assert len(set(texts)) == 3, f"readout did not change while moving: {texts!r}"
        self.shot("02-hover")

    def view_switch(self):
        canvas = self.panels()[0]
        before = self.canvas_stats(canvas)
        results = {}
        for kind in ("heatmap", "3d", "contour"):
            Select(self.by_id("view-kind")).select_by_value(kind)
            self.wait.until(lambda d: f"view={kind}" in self.hash())
            stats = self.canvas_stats(self.panels()[0])
            results[kind] = stats
            assert stats[0] >= MIN_COLOURED, f"{kind} view left the canvas blank"
            if kind != "contour":
                self.shot(f"03-view-{kind}")
        assert results["heatmap"][1] != before[1] and results["3d"][1] != results["heatmap"][1], "view switch did not redraw"
        assert results["heatmap"][0] > 2 * before[0], "filled heatmap should colour far more pixels than contour lines"

    def rotate_3d(self):
        Select(self.by_id("view-kind")).select_by_value("3d")
        canvas = self.panels()[1]
        before = self.canvas_stats(canvas)[1]
        ActionChains(self.d).move_to_element(canvas).click_and_hold().move_by_offset(60, 10).move_by_offset(40, 5).release().perform()
        time.sleep(0.3)
        assert self.canvas_stats(canvas)[1] != before, "dragging did not rotate the 3D view"
        assert "az=" in self.hash(), "rotation is not in the URL"
        Select(self.by_id("view-kind")).select_by_value("contour")

    def log_scale_toggle(self):
        # The page opens on a log scale (losses span decades); toggling must redraw either way.
        before = self.canvas_stats(self.panels()[0])[1]
        was_log = self.by_id("log-scale").is_selected()
        self.by_id("log-scale").click()
        self.wait.until(lambda d: ("log=0" if was_log else "log=1") in self.hash())
        assert self.canvas_stats(self.panels()[0])[1] != before, "log scale toggle did not redraw"
        self.shot("04-log-scale-toggled")
        self.by_id("log-scale").click()

    def click_draws_slices(self):
        canvas = self.panels()[1]
        ActionChains(self.d).move_to_element_with_offset(canvas, 30, -20).click().perform()
        self.wait.until(lambda d: self.by_id("slice-panel").is_displayed())
        for cid in ("slice-x", "slice-y"):
            assert self.drawn(self.by_id(cid)), f"{cid} is blank"
        assert "pt=" in self.hash(), "selected point not in the URL"
        self.d.execute_script("document.getElementById('slice-panel').scrollIntoView()")
        self.shot("05-slices")
        self.d.execute_script("window.scrollTo(0, 0)")

    def url_restores_view(self):
        ids = [p.get_attribute("data-surface-id") for p in self.d.find_elements(By.CSS_SELECTOR, "#surface-panels .panel")]
        url = f"{BASE}/#tab=landscapes&s={','.join(ids[:2])}&view=heatmap&log=1&levels=12"
        self.d.get("about:blank")
        self.d.get(url)
        self.wait.until(lambda d: len(self.panels()) == 2 and all(self.drawn(c) for c in self.panels()))
        assert Select(self.by_id("view-kind")).first_selected_option.get_attribute("value") == "heatmap"
        assert self.by_id("log-scale").is_selected(), "log scale not restored"
        assert self.by_id("levels").get_attribute("value") == "12", "levels not restored"
        self.shot("06-restored-from-url")

    def request_small_surface(self):
        self.by_id("tab-new").click()
        form = self.by_id("new-surface-form")
        self.wait.until(lambda d: len(Select(self.by_id("ns-models")).options) >= 1)
        for field, value in (("ns-x", "-1:1:5"), ("ns-y", "-1:1:5"), ("ns-samples", "64")):
            box = self.by_id(field)
            box.clear()
            box.send_keys(value)
        models = len(Select(self.by_id("ns-models")).all_selected_options)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.wait.until(lambda d: self.by_id("job-box").is_displayed())
        time.sleep(0.8)
        self.shot("07-job-running")
        WebDriverWait(self.d, JOB_TIMEOUT).until(
            lambda d: float(self.by_id("job-progress").get_attribute("value")) >= 100 and "done" in self.by_id("job-progress-text").text)
        text = self.by_id("job-progress-text").text
        assert "100 %" in text, f"progress text does not reach 100 %: {text!r}"
        self.wait.until(lambda d: len(self.panels("job-panels")) == models and all(self.drawn(c) for c in self.panels("job-panels")))
        ids = [p.get_attribute("data-surface-id") for p in self.d.find_elements(By.CSS_SELECTOR, "#job-panels .panel")]
        self.shot("08-job-done")
        self.by_id("open-job").click()
        self.wait.until(lambda d: len(self.panels()) == models and all(self.drawn(c) for c in self.panels()))
        shown = {p.get_attribute("data-surface-id") for p in self.d.find_elements(By.CSS_SELECTOR, "#surface-panels .panel")}
        assert shown == set(ids), f"Landscapes shows {shown}, expected the new surfaces {ids}"
        picker = {c.get_attribute("value") for c in self.d.find_elements(By.CSS_SELECTOR, "#surface-picker input")}
        assert set(ids) <= picker, "new surfaces missing from the picker"
        self.shot("09-new-surface-in-landscapes")

    def cancel_job(self):
        self.by_id("tab-new").click()
        select = Select(self.by_id("ns-models"))
        select.deselect_all()
        select.select_by_index(0)
        for field, value in (("ns-x", "-1:1:31"), ("ns-y", "-1:1:31"), ("ns-seed", str(random.randint(1000, 10 ** 6)))):
            box = self.by_id(field)
            box.clear()
            box.send_keys(value)
        self.by_id("ns-submit").click()
        self.wait.until(lambda d: "running" in self.by_id("job-progress-text").text or "queued" in self.by_id("job-progress-text").text)
        self.by_id("cancel-job").click()
        self.wait.until(lambda d: "cancelled" in self.by_id("job-progress-text").text)
        assert not self.by_id("cancel-job").is_enabled(), "Cancel still enabled after cancelling"
        self.shot("10-job-cancelled")

    def one_dimensional_surface(self):
        self.by_id("tab-new").click()
        select = Select(self.by_id("ns-models"))
        select.deselect_all()
        select.select_by_index(len(select.options) - 1)
        for field, value in (("ns-x", "-1:1:9"), ("ns-y", ""), ("ns-seed", "0")):
            box = self.by_id(field)
            box.clear()
            if value:
                box.send_keys(value)
        self.by_id("ns-submit").click()
        WebDriverWait(self.d, JOB_TIMEOUT).until(lambda d: "done" in self.by_id("job-progress-text").text
                                                 and len(self.panels("job-panels")) == 1 and self.drawn(self.panels("job-panels")[0]))
        canvas = self.panels("job-panels")[0]
        ActionChains(self.d).move_to_element_with_offset(canvas, 20, 0).perform()
        time.sleep(0.15)
        text = self.by_id("job-readout").text
        assert "α" in text and "β" not in text, f"1D readout should show α only: {text!r}"
        self.d.execute_script("document.getElementById('job-panels').scrollIntoView()")
        self.shot("11-one-dimensional")
        self.d.execute_script("window.scrollTo(0, 0)")

    def api_error_shown(self):
        self.by_id("tab-new").click()
        box = self.by_id("ns-x")
        box.clear()
        box.send_keys("not-a-grid")
        self.by_id("ns-submit").click()
        self.wait.until(lambda d: self.by_id("form-error").is_displayed())
        message = self.by_id("form-error").text
        assert message.strip(), "error box is empty"
        self.shot("14-form-error")
        box.clear()
        box.send_keys("-1:1:11")

    def activation_canvas(self):
        self.by_id("tab-activations").click()
        canvas = self.by_id("activation-canvas")
        self.wait.until(lambda d: self.drawn(canvas))
        rows = self.d.find_elements(By.CSS_SELECTOR, "#act-minima tr")
        assert len(rows) >= 3, "minima table should list relu, swish and mish"
        mish = [r.text for r in rows if r.text.lower().startswith("mish")]
        assert mish and "-1.19" in mish[0], f"Mish minimum should be near x = -1.19: {mish!r}"
        self.shot("12-activations")

    def output_landscapes(self):
        self.by_id("tab-output").click()
        image = self.by_id("output-image")
        WebDriverWait(self.d, 60).until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image))
        self.shot("13-output-landscapes")


def main():
    os.makedirs(OUT, exist_ok=True)
    check = Check()
    driver = make_driver()
    t = PageTest(driver, check)
    try:
        check.run("page loads with >= 3 drawn surface canvases", t.page_loads)
        check.run("hover readout changes across a canvas", t.hover_readout_changes)
        check.run("view switch contour / heatmap / 3D redraws", t.view_switch)
        check.run("3D view rotates on drag", t.rotate_3d)
        check.run("log scale toggle redraws", t.log_scale_toggle)
        check.run("click draws x and y slices", t.click_draws_slices)
        check.run("URL restores view state", t.url_restores_view)
        check.run("small surface request completes and its panels appear", t.request_small_surface)
        check.run("a running job can be cancelled", t.cancel_job)
        check.run("1D surface request draws a line panel", t.one_dimensional_surface)
        check.run("activation canvas is drawn, Mish minimum listed", t.activation_canvas)
        check.run("output landscape image loads", t.output_landscapes)
        check.run("no console errors", t.no_console_errors)
        # Last: this check makes the server answer 400, which Chromium logs as a console error by design.
        check.run("API error is shown in the form", t.api_error_shown)
    except TimeoutException as e:
        check.failures.append(f"timeout: {e}")
    finally:
        driver.quit()
    print("screenshots:")
    for path in check.screenshots:
        print("  " + path)
    if check.failures:
        print(f"{len(check.failures)} check(s) failed: {', '.join(check.failures)}")
        return 1
    print("all browser checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
