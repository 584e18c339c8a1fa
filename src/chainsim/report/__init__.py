"""Strategy-comparison experiments and their report.

``chainsim experiment FILE --out DIR`` runs a set of sweeps (:mod:`.experiment`);
``chainsim report DIR`` writes ``DIR/report/report.md`` and figures (:mod:`.write`). Modules:
:mod:`.stats` paired effects and the split of their uncertainty into parameter uncertainty
and stochastic noise, :mod:`.labels` English/Chinese labels and the CJK font,
:mod:`.figures` the PNGs, :mod:`.cli` the command-line plug-in. docs/experiments.md.
"""
