"""The teaching dashboard: a live, offline, bilingual page that steps the model in class.

``chainsim dashboard [SCENARIO]`` (:mod:`.cli`) starts it. The pieces, one job each:

- :mod:`.assets` — the page's front-end files, fetched once from npm into Solara's cache;
- :mod:`.controls` — the sliders and switches, turned into ``--set`` overrides;
- :mod:`.classroom` — the model the page steps (ChainModel after its burn-in, plus records);
- :mod:`.views` — the charts: Vega-Lite specs and their data;
- :mod:`.vega` — the chart widget that redraws data in place;
- :mod:`.labels` — every word on the page in English and Chinese;
- :mod:`.app` — the Solara page.

Heavy imports (Solara, ipyvue) happen only in :mod:`.app` and :mod:`.vega`.
"""
