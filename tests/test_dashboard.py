"""The teaching dashboard: its pieces, and the real page in a real browser.

The browser tests install what they need by themselves (Debian ``chromium`` with
apt-get, the front-end assets with ``npm pack``; the Chinese font comes with the ``fonts``
extra, and tests/test_dashboard_fonts.py checks the page needs no system CJK font),
start ``chainsim dashboard`` on a free port of 127.0.0.1, drive the page in headless
Chromium through Playwright, and stop the server afterwards, also on failure. They are
not skipped when something is missing: they fail and say what.

Screenshots and the measured step times go to ``test-artifacts/dashboard/`` (or
``$CHAINSIM_TEST_ARTIFACTS/dashboard/``). With
``CHAINSIM_DOC_SCREENSHOTS=1`` the lesson screenshots are also written to ``docs/img/``
(that is how the images in docs/teaching.md are made).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

import chainsim
from chainsim import vocabulary
from chainsim.api import replicate_seeds, run_replicate
from chainsim.dashboard import assets, controls, labels
from chainsim.dashboard import views as V
from chainsim.dashboard.classroom import ClassroomModel, build
from chainsim.dashboard.cli import exposure_warning, is_loopback
from chainsim.engine.records import F
from paths import ROOT, SRC

SCENARIO = "scenarios/kunming_2023.yaml"  # relative on purpose: the page shows it; tests run from ROOT
# CHAINSIM_TEST_ARTIFACTS: where CI wants them kept (default test-artifacts/ in the checkout, git-ignored)
ARTIFACTS = Path(os.environ.get("CHAINSIM_TEST_ARTIFACTS") or ROOT / "test-artifacts") / "dashboard"
DOC_IMAGES = ROOT / "docs" / "img"
VIEWS = ["funnel", "signings", "value", "funds", "fdi", "cohort", "chain", "land", "park_firms"]
# ENVIRONMENT.md: flags that keep Debian's Chromium quiet, offline and container-friendly
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STEP_BUDGET_MS = 300


# --------------------------------------------------------------------------- quick tests
def test_asset_list_covers_what_solara_requests():
    """Every CDN path the installed Solara puts in the page is in the offline set."""
    import solara
    import solara.server.settings as settings

    base = Path(solara.__file__).parent
    template = (base / "server" / "templates" / "solara.html.j2").read_text()
    vega = (base / "widgets" / "vue" / "vegalite.vue").read_text()
    keys = {p.key for p in assets.packages()}
    app = assets.VUETIFY3_APP if assets.vue_major() >= 3 else assets.VUETIFY2_APP
    assert re.search(re.escape("{{cdn}}/" + app.key + "/"), template), (
        f"Solara's page no longer loads {app.key}"
    )
    for name, spec in re.findall(r"getCdn\(\)}/((?:@[\w.-]+/)?[\w.-]+)@([\w.-]+)/", vega):
        assert f"{name}@{spec}" in keys, f"Solara's chart widget loads {name}@{spec}, not in assets.COMMON"
    fa = settings.assets.fontawesome_path.strip("/").split("/")[0]
    assert fa in keys


def test_assets_need_no_npm_once_present(tmp_path, monkeypatch):
    """A complete cache is used as it is; an empty one without npm gives a clear error."""
    monkeypatch.setattr(shutil, "which", lambda name: None)  # as on a machine without Node.js
    with pytest.raises(assets.AssetError, match="npm"):
        assets.ensure_assets(tmp_path / "empty", log=lambda m: None)
    full = tmp_path / "full"
    for p in assets.packages():
        (full / p.key).mkdir(parents=True)
        (full / p.key / assets.MARKER).write_text("{}")
    assert assets.ensure_assets(full, log=lambda m: None) == full
    assert assets.missing(full) == []


def test_levers_become_overrides():
    base, _ = controls.load_base(SCENARIO)
    lv = controls.defaults(SCENARIO)
    assert controls.overrides(lv, base) == []  # the defaults change nothing
    lv = lv.replace(
        leader_trips=2.0,
        effort=0.5,
        precision=0.0,
        slots=base.strategies.commissioners.slots + 4,
        missing_docs=False,
        commissioners_on=True,
    )
    cfg = chainsim.load(SCENARIO, controls.overrides(lv, base))
    for wid, w in base.strategies.leader_led.trips.items():
        assert cfg.strategies.leader_led.trips[wid].trips == round(2 * w.trips)
    for gid, g in base.strategies.chain_based.groups.items():
        assert cfg.strategies.chain_based.groups[gid].contacts_per_step == pytest.approx(
            0.5 * g.contacts_per_step
        )
    assert cfg.strategies.chain_based.targeting_precision == 0.0
    assert cfg.strategies.commissioners.slots == base.strategies.commissioners.slots + 4
    assert not cfg.strategies.commissioners.reforms.missing_docs.enabled
    assert "--set strategies.commissioners.slots=" in controls.command(lv, base)
    with pytest.raises(chainsim.config.loader.ScenarioError):
        controls.parse_seed("12a")


def test_page_model_is_the_cli_run():
    """The page's model after its burn-in, stepped to the end, is `chainsim run --seed S -r 1`."""
    lv = controls.defaults(SCENARIO, seed=7).replace(slots=5)
    built = build(lv)
    m = built.model
    assert m.week == 0 and m.step_no == m.calendar.burn_in
    while m.running:
        m.step()
    cfg = chainsim.load(SCENARIO, built.overrides)
    ref = run_replicate(cfg.model_copy(update={"seed": 7}), replicate_seeds(7, 1)[0]).recorder
    np.testing.assert_array_equal(m.recorder.flows, ref.flows)
    # the page's own records agree with the model's
    rep = m.reported
    assert m.value_by_source[0, rep].sum() == pytest.approx(
        m.recorder.flows[rep, F["signing_value_yi"]].sum()
    )
    c = m.cohort_status()
    assert c.signed.sum() == m.recorder.flows[rep, F["signings"]].sum()
    np.testing.assert_array_equal(c.landed + c.pending + c.dropped, c.signed)
    assert (c.major_landed <= c.major_signed).all() and (c.landed >= c.major_landed).all()


def test_ensemble_runs_are_the_cli_replicates():
    """The page's batch (the ensemble view): replicate r is replicate r of `chainsim run --seed
    S -r N`, replicate 0 is the page's run alone, and each replicate's landing rates by
    quarter are those of that replicate run alone (they do not depend on the batch)."""
    lv = controls.defaults(SCENARIO, seed=7).replace(commissioners_on=False)
    batch, alone = build(lv, runs=3), build(lv)
    for b in (batch, alone):
        while b.model.running:
            b.model.step()
    m = batch.model
    cfg = chainsim.load(SCENARIO, batch.overrides).model_copy(update={"seed": 7})
    cli = chainsim.run(cfg, seed=7, replications=3)
    for r in range(3):
        np.testing.assert_array_equal(m.recorders[r].flows, cli.replicates[r].recorder.flows)
    np.testing.assert_array_equal(m.value_by_source[0], alone.model.value_by_source[0])
    shares = m.landed_shares()
    for r in (0, 2):
        one = ClassroomModel(cfg, rng=replicate_seeds(7, 3)[r])
        while one.running:
            one.step()
        c = one.cohort_status()
        np.testing.assert_array_equal(
            shares[r], np.where(c.signed > 0, c.landed / np.maximum(c.signed, 1), np.nan)
        )
        for f in ("signed", "landed", "pending", "dropped", "major_signed", "major_landed"):
            np.testing.assert_array_equal(getattr(m.cohort_status(r), f), getattr(c, f), f)
    assert np.nanstd(shares[:, 0]) > 0  # the runs differ: there is a spread to show
    lo, hi = V.middle(shares)
    assert (lo <= hi).all()
    # the middle 16 of 20: the 2 lowest and 2 highest left out; NaN (no data) not counted
    assert V.middle(np.arange(20.0)) == (2.0, 17.0)
    assert V.middle(np.array([np.nan, 1.0, 5.0])) == (1.0, 5.0)


def test_views_give_rows_at_start_and_later():
    m = build(controls.defaults(SCENARIO)).model
    for _ in range(2):
        for lang in labels.LANGS:
            sets = [
                V.funnel_data(m, lang),
                V.signings_data(m, lang, True),
                V.funds_data(m, True),
                V.cohort_data(m, lang),
                V.chain_data(m, m.chains.chain_ids[1], lang),
                V.land_data(m, lang),
                V.park_firms_data(m, lang),
            ]
            json.dumps(sets)  # what goes over the wire
            assert sets[0]["stages"] and sets[1]["cum"] and sets[4]["nodes"] and sets[5]["land"]
        for _ in range(10):
            m.step()
    assert len(V.signings_data(m, "en", False)["cum"]) == (m.week + 1) * 5


def test_every_label_has_both_languages():
    """Each word the page looks up is a vocabulary term (an unknown key would show as itself)."""
    code = "".join(
        (ROOT / "src/chainsim/dashboard" / f).read_text(encoding="utf-8")
        for f in ("app.py", "panels.py", "charts.py", "mapcharts.py", "views.py", "layout.py")
    )
    keys = {
        k if "." in k else f"ui.{k}" for k in re.findall(r"""\b(?:t|title)\(\s*["']([a-z_.]+)["']""", code)
    }
    # the lever panel's switches (a term key) and sliders (labelled by their lever's ui word)
    keys |= set(re.findall(r'\bswitch\(\s*"([a-z_.]+)"', code))
    keys |= {f"ui.{k}" for k in re.findall(r'\bslider\(\s*solara\.\w+,\s*"(\w+)"', code)}
    keys |= {f"ui.{k}" for k in re.findall(r'\("(kpi_\w+)"', code)}
    keys |= {f"reform.{r}" for r in controls.REFORMS}
    assert len(keys) > 60
    for key in sorted(keys):
        assert vocabulary.known(key), key
        for lang in labels.LANGS:
            assert labels.t(key, lang).strip(), (key, lang)
    ui = vocabulary.terms("ui")
    assert len([t for t in ui if re.search(r"[\u4e00-\u9fff]", t.zh)]) > 0.8 * len(ui)


def test_dashboard_cli_refuses_bad_input(capsys):
    from chainsim.cli import main

    assert main(["dashboard", "missing.yaml"]) == 2  # the file is checked before anything starts
    assert "missing.yaml" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["dashboard", SCENARIO, "--port", "0"])
    assert exit_.value.code == 2
    assert "port number from 1 to 65535" in capsys.readouterr().err
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert exposure_warning("127.0.0.1", 8765) is None
    assert "WARNING" in exposure_warning("0.0.0.0", 8765) and "8765" in exposure_warning("0.0.0.0", 8765)


# --------------------------------------------------------------------------- the browser
def _root_install(*packages: str) -> None:
    if os.geteuid() != 0:
        pytest.fail(
            f"need {', '.join(packages)}: run as root (CI does) or install them: apt-get install -y {' '.join(packages)}"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True, timeout=600)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", *packages], check=True, env=env, capture_output=True, timeout=1200
    )


def _chromium() -> str:
    if shutil.which("chromium") is None:
        _root_install("chromium")
    # no system CJK font needed: the page serves the project's (tests/test_dashboard_fonts.py)
    path = shutil.which("chromium")
    assert path, "chromium is not on the PATH after apt-get install"
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _is_local(url: str) -> bool:
    if url.startswith(("data:", "about:")):
        return True
    if url.startswith("blob:"):  # an in-page object; its origin is what counts
        url = url[5:]
    return urlparse(url).hostname == "127.0.0.1"


@pytest.fixture(scope="module")
def dashboard():
    """A running `chainsim dashboard` on 127.0.0.1; yields (url, server log path)."""
    chromium = _chromium()
    assets.ensure_assets()  # npm pack, once per machine
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log = ARTIFACTS / "server.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
    }
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chainsim.cli",
                "dashboard",
                SCENARIO,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the dashboard exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the dashboard did not answer within 120 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url, log, chromium
    finally:  # stop what we started, whatever happened
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)


@pytest.fixture(scope="module")
def browser(dashboard):
    """Headless Debian Chromium; every request any page makes is recorded (and foreign ones refused)."""
    from playwright.sync_api import sync_playwright

    _, _, chromium = dashboard
    requests: list[str] = []
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        context = b.new_context(viewport={"width": 1366, "height": 768}, device_scale_factor=1)

        def route(r):
            requests.append(r.request.url)
            if _is_local(r.request.url):
                r.continue_()
            else:
                r.abort()

        context.route("**/*", route)
        try:
            yield context, requests
        finally:
            context.close()
            b.close()


def _open(context, url: str, requests: list[str]):
    page = context.new_page()
    page.on("request", lambda req: requests.append(req.url))  # also what routing never sees (blob:, data:)
    page.on("websocket", lambda ws: requests.append(ws.url))
    page.goto(url)
    page.wait_for_function(
        f"document.querySelectorAll('[data-view][data-stamp] svg').length == {len(VIEWS)}", timeout=120_000
    )
    # record when the status line last changed its week, for the step timing
    page.evaluate("""() => { window.__weekAt = 0; let last = null;
        new MutationObserver(() => { const el = document.querySelector('.chainsim-step');
            const w = el && el.dataset.week; if (w !== last) { last = w; window.__weekAt = performance.now(); } })
        .observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true}); }""")
    return page


def _week(page) -> int:
    return int(page.locator(".chainsim-step").get_attribute("data-week"))


def _wait_week(page, week: int, timeout: float = 30_000) -> None:
    page.wait_for_function(
        f"""() => {{ const el = document.querySelector('.chainsim-step');
            const views = [...document.querySelectorAll('[data-view]')];
            return el && el.dataset.week === '{week}' && views.length === {len(VIEWS)}
                   && views.every(v => v.dataset.stamp === '{week}'); }}""",
        timeout=timeout,
        polling=5,
    )


def _step(page) -> float:
    """Click Step; wait until the status and every chart show the next week; return the ms taken."""
    target = _week(page) + 1
    t0 = page.evaluate("performance.now()")
    page.get_by_role("button", name="Step", exact=True).click()
    _wait_week(page, target)
    done = page.evaluate(
        "Math.max(window.__weekAt, ...[...document.querySelectorAll('[data-view]')].map(e => +e.dataset.drawnAt))"
    )
    return done - t0


def _shots(page) -> dict[str, bytes]:
    return {v: page.locator(f'[data-view="{v}"]').screenshot() for v in VIEWS}


def _save(page, name: str, selector: str | None = None, docs: bool = False) -> None:
    """An element's screenshot, or the whole page's (the page scrolls inside its two
    columns, so for that the window is made tall enough for all of it)."""
    if selector:
        png = page.locator(selector).screenshot()
    else:
        size = page.viewport_size
        tall = page.evaluate(
            "document.querySelector('.chainsim-bar').offsetHeight + Math.max("
            "...[...document.querySelectorAll('.chainsim-main, .chainsim-side')].map(e => e.scrollHeight))"
        )
        page.set_viewport_size({"width": size["width"], "height": max(size["height"], tall + 4)})
        page.evaluate("document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; })")
        page.wait_for_timeout(600)  # charts of container width re-lay themselves out
        png = page.screenshot()
        page.set_viewport_size(size)
    (ARTIFACTS / name).write_bytes(png)
    if docs and os.environ.get("CHAINSIM_DOC_SCREENSHOTS") == "1":
        doc_png(ARTIFACTS / name, DOC_IMAGES / name)


def doc_png(src: Path, dest: Path) -> None:
    """A screenshot for the docs, kept small: 256 colours (charts and text lose nothing)."""
    from PIL import Image

    dest.parent.mkdir(parents=True, exist_ok=True)
    Image.open(src).convert("RGB").quantize(colors=256, dither=Image.Dither.NONE).save(dest, optimize=True)


def _slider(page, label: re.Pattern):
    return page.locator(".v-input", has_text=label).get_by_role("slider")


def _set_slider(page, label: re.Pattern, key: str, times: int = 1) -> None:
    slider = _slider(page, label)
    slider.focus()
    for _ in range(times):
        slider.press(key)


def _reset(page) -> None:
    page.get_by_role("button", name="Reset", exact=True).click()
    _wait_week(page, 0)


def _play_to_end(page) -> None:
    _set_slider(page, re.compile(r"^Play speed"), "End")  # fastest
    page.get_by_role("button", name="▶").click()
    total = int(page.locator(".chainsim-step").get_attribute("data-total"))
    _wait_week(page, total, timeout=180_000)


def _assert_offline(requests: list[str], log: Path) -> None:
    assert requests, "no requests were recorded"
    foreign = sorted({u for u in requests if not _is_local(u)})
    assert not foreign, f"requests left 127.0.0.1: {foreign}"
    server = log.read_text()
    assert "Could not load URL" not in server, (
        "the server fetched a front-end file from the CDN:\n" + server[-2000:]
    )


@pytest.mark.slow
def test_dashboard_in_the_browser(dashboard, browser):
    url, log, _ = dashboard
    context, requests = browser
    page = _open(context, url, requests)

    # every view renders: an SVG with drawn marks
    for v in VIEWS:
        marks = page.locator(f'[data-view="{v}"] svg .role-mark > *').count()
        assert marks > 0, f"view {v} drew nothing"
    assert page.get_by_text(re.compile(r"^Step 0 of \d+")).count() == 1
    _save(page, "start.png")

    # Step ×5 reaches step 5, shown on the page, and the views change
    before = _shots(page)
    times = [_step(page) for _ in range(5)]
    assert _week(page) == 5
    assert page.get_by_text(re.compile(r"^Step 5 of \d+")).count() == 1
    after = _shots(page)
    changed = {v for v in VIEWS if before[v] != after[v]}
    assert {"funnel", "signings", "value", "funds", "fdi", "land"} <= changed, (
        f"unchanged: {set(VIEWS) - changed}"
    )
    times += [_step(page) for _ in range(10)]
    _save(page, "step15.png")
    (ARTIFACTS / "step_times_ms.json").write_text(
        json.dumps(
            {
                "step_and_redraw_ms": [round(t) for t in times],
                "median": round(statistics.median(times)),
                "max": round(max(times)),
                "goal_median": STEP_BUDGET_MS,
            },
            indent=1,
        )
    )
    print(
        f"\nstep + redraw (ms): {[round(t) for t in times]}; median {statistics.median(times):.0f}, max {max(times):.0f}"
    )
    # the 300 ms goal is measured and reported (the artifact above, docs/teaching.md), not a
    # pass/fail on a machine that may be loaded (issue 15: 161 ms median in CI beside a
    # recovery check); only a step ten times over the goal — a hang, a redraw of
    # everything — fails
    assert statistics.median(times) <= 10 * STEP_BUDGET_MS, (
        f"a step and its redraw take {statistics.median(times):.0f} ms (median), goal {STEP_BUDGET_MS}"
    )

    # switching language changes the labels: controls, indicators, charts
    page.get_by_role("button", name="中文").click()
    page.get_by_role("button", name="单步", exact=True).wait_for()
    assert page.get_by_role("button", name="Step", exact=True).count() == 0
    # the step label re-renders after the buttons: wait for it (CI, loaded: counted 0 at once)
    page.get_by_text(re.compile(r"^第 15 步")).wait_for()
    assert page.get_by_text(re.compile(r"^第 15 步")).count() == 1
    page.wait_for_function(
        "document.querySelector('[data-view=\"signings\"] svg').textContent.includes('领导外出招商')"
    )
    assert "2022年以来签约项目" in page.locator(".chainsim-kpis").inner_text()
    _save(page, "chinese.png")
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="Step", exact=True).wait_for()
    page.wait_for_function(
        "document.querySelector('[data-view=\"signings\"] svg').textContent.includes('leader trip')"
    )

    # moving a slider and pressing Reset rebuilds the model with the new value
    slots = _slider(page, re.compile(r"^Slots \d+"))
    old = int(slots.get_attribute("aria-valuenow"))
    _set_slider(page, re.compile(r"^Slots \d+"), "ArrowRight", 4)
    page.get_by_text(f"Slots {old + 4}", exact=True).wait_for()
    in_use = page.get_by_text(re.compile(r"^commissioner slots: \d+$"))
    assert in_use.inner_text() == f"commissioner slots: {old}"  # not applied before Reset
    _reset(page)
    page.get_by_text(f"commissioner slots: {old + 4}", exact=True).wait_for()
    assert f"--set strategies.commissioners.slots={old + 4}" in page.locator(".chainsim-command").inner_text()

    # Play runs and pauses
    page.get_by_role("button", name="▶").click()
    page.wait_for_function("+document.querySelector('.chainsim-step').dataset.week >= 3", timeout=30_000)
    page.get_by_role("button", name="❚❚").click()
    page.get_by_role("button", name="▶").wait_for()
    page.wait_for_timeout(500)  # a step under way when ❚❚ was pressed still completes
    paused_at = _week(page)
    page.wait_for_timeout(1000)
    assert _week(page) == paused_at >= 3
    _save(page, "after_reset_and_play.png")
    page.close()
    _assert_offline(requests, log)


@pytest.mark.slow
def test_lesson_screenshots(dashboard, browser):
    """The three exercises of docs/teaching.md, played through; their screenshots."""
    url, log, _ = dashboard
    context, requests = browser
    page = _open(context, url, requests)
    # a v-switch, labelled with its state: "Chief service commissioners · on"
    switch = lambda name: page.get_by_role("checkbox", name=re.compile(f"^{re.escape(name)} · "))  # noqa: E731

    # the scenario as it is: the baseline of all three exercises (biomedicine on the chain map)
    page.locator(".chainsim-card-chain .v-select").click()
    page.get_by_role("option", name="Biomedicine").click()
    page.wait_for_function(
        "document.querySelector('[data-view=\"chain\"] svg').textContent.includes('CRO/CDMO')"
    )
    _save(page, "lesson3_chain_start.png", ".chainsim-card-chain", docs=True)
    _play_to_end(page)
    _save(page, "lesson1_commissioners_on.png", ".chainsim-card-cohort", docs=True)
    _save(page, "lesson2_trips_x1_indicators.png", ".chainsim-kpis", docs=True)
    _save(page, "lesson3_chain_end.png", ".chainsim-card-chain", docs=True)
    _save(page, "overview.png")  # the whole page (docs/teaching.md shows the 1366×768 window instead)

    # 1. commissioners off: the landing rate of each signing quarter
    switch("Chief service commissioners").uncheck()
    _reset(page)
    _play_to_end(page)
    _save(page, "lesson1_commissioners_off.png", ".chainsim-card-cohort", docs=True)
    switch("Chief service commissioners").check()

    # 2. leader trips ×2: trips (the officials' time), what they bring, and the rest
    _set_slider(page, re.compile(r"^Leader trips"), "ArrowRight", 4)  # ×1 → ×2 in steps of 0.25
    page.get_by_text("Leader trips ×2", exact=True).wait_for()
    _reset(page)
    _play_to_end(page)
    _save(page, "lesson2_trips_x2_indicators.png", ".chainsim-kpis", docs=True)
    _save(page, "lesson2_trips_x2_signings.png", ".chainsim-card-signings", docs=True)
    _set_slider(page, re.compile(r"^Leader trips"), "Home")
    _set_slider(page, re.compile(r"^Leader trips"), "ArrowRight", 4)
    page.get_by_text("Leader trips ×1", exact=True).wait_for()

    # 3. the same chain without precision: sector groups no longer aim at missing links
    _set_slider(page, re.compile(r"^Precision"), "Home")
    page.get_by_text("Precision 0%", exact=True).wait_for()
    _reset(page)
    _play_to_end(page)
    _save(page, "lesson3_chain_end_precision0.png", ".chainsim-card-chain", docs=True)
    page.close()
    _assert_offline(requests, log)
