"""Load at a web worker's start what its first requests would otherwise load.

Django loads the URL configuration, and with it every view module, on the first request
a process serves; the review screen and the agreement figures import numpy when first
used. A worker that has just started (or replaced a recycled one) made its first users
wait for those imports: 300–400 ms for the URL configuration, ~210 ms for numpy (measured
in ``make bench-throughput``: the first "decide a unit" a worker served took 340–380 ms,
the others 50–80). ``warm_up`` does both at start, before the worker accepts requests; it
is called by ``config/wsgi.py`` (``CLAIMDESK_WARM_START=0`` skips it).

numpy costs ~15 MB in each worker, which every worker that has served a review screen
holds anyway. The other scientific libraries (scikit-learn, SciPy, pandas, pyarrow: ~130
MB together) stay lazy: only the recommender, Parquet and the notebook helpers load them
(``tests/test_startup.py``)."""

from __future__ import annotations

import importlib

WARMED = ("numpy", "annotate.review.agreement.report")


def warm_up() -> None:
    """Import the URL configuration (every view module) and numpy, then freeze what is
    alive (``common.memory.freeze``: no garbage collection walks the start-up objects
    again)."""
    from django.urls import get_resolver

    from common import memory

    get_resolver().url_patterns  # noqa: B018 - evaluated for its import side effect
    for name in WARMED:
        importlib.import_module(name)
    memory.freeze()
