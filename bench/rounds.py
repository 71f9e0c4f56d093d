"""Pages measured in rounds, the same way for ours (bench/run.py) and the peer
(bench/peer/run.py): each page warmed and its queries counted, then every page once per round
from the round's stack depth (bench/alignment.py). A machine that gets busier for a while
slows every page, and the floors, alike. Django only, no app of either project: both
projects' runs import it.
"""

import os
import statistics
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import NamedTuple

from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from bench.alignment import OFFSETS, at_offset

RUNS = int(os.environ.get("BENCH_RUNS", str(2 * OFFSETS)))  # two rounds at each offset


class Page(NamedTuple):
    label: str
    once: Callable  # one request, raising when the page does not answer
    runs: int = RUNS  # the rounds it is measured in (a slow export fewer)
    settings: dict | None = None  # switched around each request, outside the timing


def _switched(page):
    return override_settings(**page.settings) if page.settings else nullcontext()


def warm_and_count(pages):
    """Each page once to warm caches and templates, then once more counting its queries."""
    assert len({page.label for page in pages}) == len(pages), "labels key the results"
    queries = {}
    for page in pages:
        with _switched(page):
            page.once()
            with CaptureQueriesContext(connection) as captured:
                page.once()
        queries[page.label] = len(captured)
    return queries


def one_round(pages, round_):
    """Every page with rounds left once, from the round's stack depth: {label: ms}."""
    times = {}
    for page in pages:
        if round_ >= page.runs:
            continue
        with _switched(page):
            start = time.perf_counter()
            at_offset(round_, page.once)
            times[page.label] = (time.perf_counter() - start) * 1000
    return times


def measure_rounds(pages):
    """``RUNS`` rounds: (label, median ms, p95 ms, queries) for each page, in order."""
    times = {page.label: [] for page in pages}
    queries = warm_and_count(pages)
    for round_ in range(RUNS):
        for label, ms in one_round(pages, round_).items():
            times[label].append(ms)
    results = []
    for page in pages:
        values = sorted(times[page.label])
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        results.append((page.label, statistics.median(values), p95, queries[page.label]))
    return results
