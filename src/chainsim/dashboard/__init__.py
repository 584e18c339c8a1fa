"""The teaching dashboard: a live, offline, bilingual page that steps the model in class.

``chainsim dashboard [SCENARIO]`` (:mod:`.cli`) starts it. The pieces, one job each:

- :mod:`.assets` — the page's front-end files, fetched once from npm into Solara's cache;
- :mod:`.controls` — the sliders and switches, turned into ``--set`` overrides;
- :mod:`.classroom` — the model the page steps (ChainModel after its burn-in, plus records;
  a batch of replicates whose spread the ensemble view shows);
- :mod:`.charts`, :mod:`.mapcharts` — the charts' Vega-Lite specs; :mod:`.views` — their data;
- :mod:`.vega` — the chart widget that redraws data in place;
- :mod:`.labels` — every word on the page in English and Chinese;
- :mod:`.layout` — the page's frame (title bar, control column, grid of views) for projectors;
- :mod:`.app` — the Solara page.

Heavy imports (Solara, ipyvue) happen only in :mod:`.app`, :mod:`.layout`, :mod:`.panels` and
:mod:`.vega`.
"""
