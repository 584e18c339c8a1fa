"""A live Vega-Lite chart widget: embedded once, then fed new data in place.

Solara's own ``FigureAltair`` re-embeds the whole chart on every change (compile the
Vega-Lite spec, build the dataflow, draw), after a 100 ms debounce; with nine charts that
took ~600 ms a step in headless Chromium here. This widget embeds a spec once and, when
only the data changes, hands the new rows to the running Vega view
(``view.data(name, rows)``), which redraws just the marks: a few milliseconds a chart.
Specs change only when the language or the chosen chain changes.

Vega, Vega-Lite and vega-embed load from Solara's CDN path (``/_solara/cdn``), which the
server answers from the offline asset cache (:mod:`chainsim.dashboard.assets`).

After each redraw the chart's element carries ``data-stamp`` (the stamp sent with the
data, e.g. the step number) and ``data-drawn-at`` (``performance.now()``), so a browser
test can measure how long a step takes to reach the screen.
"""

from __future__ import annotations

import json
from typing import Any

import ipyvuetify as v
import traitlets

# Vue single-file component run by ipyvue (Vue 2 and Vue 3 alike: options API only).
# All work goes through one promise chain so that an update never races an embed; data
# that arrives while a redraw runs is coalesced (only the newest is drawn).
_TEMPLATE = r"""
<template>
  <div class="chainsim-vega" :data-view="view_id" ref="box" style="width: 100%"></div>
</template>
<script>
module.exports = {
  mounted() {
    this.queue = Promise.resolve();
    this.embedWanted = true;
    this.schedule();
    // a chart of container width follows window resizes only (Vega-Lite); when the box
    // changes width otherwise (the control column hidden or shown), send it one
    this.boxWidth = 0;
    this.resizer = new ResizeObserver(() => {
      const w = this.$refs.box ? this.$refs.box.clientWidth : 0;
      if (w && this.boxWidth && Math.abs(w - this.boxWidth) > 1 && !window.__chainsimResize) {
        window.__chainsimResize = requestAnimationFrame(() => {
          window.__chainsimResize = 0;
          window.dispatchEvent(new Event("resize"));
        });
      }
      this.boxWidth = w;
    });
    this.resizer.observe(this.$refs.box);
  },
  destroyed() { this.finalize(); this.resizer.disconnect(); },
  unmounted() { this.finalize(); this.resizer.disconnect(); },
  watch: {
    spec() { this.embedWanted = true; this.schedule(); },
    payload() { this.schedule(); },
  },
  methods: {
    parsed() {  // the payload arrives as JSON text; parse each new text once
      if (this.parsedText !== this.payload) {
        this.parsedText = this.payload;
        this.parsedData = this.payload ? JSON.parse(this.payload) : {};
      }
      return this.parsedData;
    },
    finalize() {
      if (this.vegaView) { this.vegaView.finalize(); this.vegaView = null; }
    },
    schedule() {
      if (this.busy) { this.again = true; return; }
      this.busy = true;
      this.queue = this.queue.then(async () => {
        do {
          this.again = false;
          try {
            if (this.embedWanted) { this.embedWanted = false; await this.embed(); }
            await this.draw();
          } catch (e) { console.error("chainsim chart " + this.view_id, e); }
        } while (this.again);
        this.busy = false;
      });
    },
    async embed() {
      const [vegaEmbed] = await this.libs();
      this.finalize();
      // the first data go into the spec, so the chart never draws empty scales
      const data = this.parsed();
      const spec = {...JSON.parse(this.spec), datasets: data.sets || {}};
      // Vega measures text once, when it lays the chart out: with a web font still loading,
      // Chinese would be measured in a fallback font and axis titles cut; load it first
      const font = spec.config && spec.config.font;
      if (font && document.fonts) await document.fonts.load(`13px ${font}`, "亿元").catch(() => null);
      const result = await vegaEmbed(this.$refs.box, spec, {actions: false, renderer: "svg"});
      this.vegaView = result.view;
      this.drawnData = data;
    },
    async draw() {
      if (!this.vegaView) return;
      const data = this.parsed();
      if (this.drawnData !== data) {
        for (const name of Object.keys(data.sets || {})) {
          this.vegaView.data(name, data.sets[name]);
        }
        await this.vegaView.runAsync();
        this.drawnData = data;
      }
      this.$refs.box.dataset.stamp = String(data.stamp);
      this.$refs.box.dataset.drawnAt = String(performance.now());
    },
    libs() {
      if (!window.__chainsimVega) {
        window.__chainsimVega = this.loadRequire().then(() => new Promise((resolve, reject) => {
          const cdn = this.cdn();
          // own module names, so that Solara's own chart widget can configure its own
          require.config({paths: {
            "chainsim-vega": `${cdn}/vega@5/build/vega.min`,
            "chainsim-vega-lite": `${cdn}/vega-lite@5/build/vega-lite.min`,
            "chainsim-vega-embed": `${cdn}/vega-embed@6/build/vega-embed.min`,
          }, map: {"chainsim-vega-embed": {"vega": "chainsim-vega", "vega-lite": "chainsim-vega-lite"},
                   "chainsim-vega-lite": {"vega": "chainsim-vega"}}});
          require(["chainsim-vega-embed", "chainsim-vega"], (embed, vega) => resolve([embed, vega]), reject);
        }));
      }
      return window.__chainsimVega;
    },
    loadRequire() {
      if (window.requirejs) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = `${this.cdn()}/requirejs@2.3.6/require.js`;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    },
    cdn() {
      if (window.solara && window.solara.cdn) return window.solara.cdn;
      let base = document.body.dataset.baseUrl || document.baseURI;
      if (!base.endsWith("/")) base += "/";
      return `${base}_solara/cdn`;
    },
  },
};
</script>
"""


class VegaView(v.VuetifyTemplate):
    """A Vega-Lite chart whose named datasets are replaced in place.

    ``spec``: a Vega-Lite v5 spec (JSON) whose data are named (``{"name": "rows"}``),
    without values. ``payload``: ``{"stamp": …, "sets": {name: [row, …]}}`` (JSON).
    ``view_id`` names the chart in the page (``data-view`` attribute) for tests.
    """

    template = traitlets.Unicode(_TEMPLATE).tag(sync=True)
    # JSON text, not dicts: reacton walks dict and list props value by value on every
    # render (hundreds of rows × nine charts cost ~50 ms a step); a string is one value
    spec = traitlets.Unicode("{}").tag(sync=True)
    payload = traitlets.Unicode("").tag(sync=True)
    view_id = traitlets.Unicode("").tag(sync=True)


def chart(view_id: str, spec: str, sets: dict[str, list[dict[str, Any]]], stamp: int | str) -> Any:
    """The reacton element of one chart (use inside a Solara component); ``spec`` is
    JSON text (see :func:`spec_json`), so that an unchanged spec costs nothing."""
    payload = json.dumps({"stamp": stamp, "sets": sets}, ensure_ascii=False, separators=(",", ":"))
    return VegaView.element(view_id=view_id, spec=spec, payload=payload)


def spec_json(spec: dict[str, Any]) -> str:
    return json.dumps(spec, ensure_ascii=False, separators=(",", ":"))
