"""Calibration of chainsim on the reported figures (issue 4): pyabc ABC-SMC.

Modules: ``schema`` (the three files' schemas), ``config`` (load and cross-check them),
``targets`` (summary paths, distance), ``params`` (priors and scenario overrides),
``simulate`` (one particle's simulation), ``abc`` (pyabc wiring, resume, samplers),
``posterior`` (draws, central scenario, ``run_with_posterior``), ``report`` (fit report
and figures), ``cli`` (``chainsim calibrate``).
Heavy dependencies (pyabc, dask, matplotlib) are imported by those modules only.
"""
