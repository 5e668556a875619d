"""The benchmark harness: a seeded synthetic project, timed scenarios, Markdown/JSON reports.

``make bench`` (or ``python -m bench.run``); see ``bench/README.md``.
"""
