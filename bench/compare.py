"""Ours against the peer, measured in lockstep: ``make bench-compare``.

Both desks are seeded in the issue's shape (bench/seed.py, bench/peer/run.py) in two child
processes, ours on the peer's Python and Django by default (``.venv-lts``; set
``BENCH_OURS_PYTHON=.venv/bin/python`` for the project's own), and every round asks one side
and then the other for one pass over its pages, the order alternating (bench/lockstep.py). A
drift of the machine's speed then slows both sides' medians alike, and their ratio is the one
the issue asks for: "measured in one run on one machine". Each side's time is also given as
a multiple of its own bare floor (a view returning 25 tickets in one query in that project).

    BENCH_N=10000,100000 make bench-compare
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lockstep import Child  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_N", "10000").split(",") if n.strip()]
RUNS = int(os.environ.get("BENCH_RUNS", "32"))
OURS_PYTHON = Path(os.environ.get("BENCH_OURS_PYTHON", ROOT / ".venv-lts" / "bin" / "python"))
PEER_PYTHON = ROOT / ".venv-peer" / "bin" / "python"
BARE = "floor: bare view"
# What is compared: (the page, ours' label in bench/run.py, the peer's in bench/peer/run.py).
PAIRS = [
    (
        BARE,
        "floor: bare view, 25 of the member's tickets",
        "floor: bare view, the desk's 25 latest tickets",
    ),
    (
        "member ticket list",
        "member ticket list, page 1",
        "member ticket list (my tickets: page + JSON page 1)",
    ),
    (
        "member ticket page",
        "member ticket page (3 messages)",
        "member ticket page (public view, 3 follow-ups)",
    ),
    (
        "staff list, default",
        "staff list, default order",
        "staff list, default (open; page + JSON, 25 rows)",
    ),
    (
        "staff list, filtered",
        "staff list, open + one client status",
        "staff list, open + one queue (page + JSON)",
    ),
    ("staff ticket screen", "staff ticket screen", "staff ticket page (3 follow-ups)"),
    ("staff dashboard", "staff dashboard", "staff dashboard"),
    ("submit + 100 KB file", "submit + 100 KB file", "submit + 100 KB file (customer)"),
    # As each desk runs in production: ours hands its mail to the worker's queue (django-tasks,
    # bench/settings.py); the peer has no queue and sends it in the request.
    (
        "submit + 100 KB file, ours' mail queued",
        "submit + 100 KB file, mail queued",
        "submit + 100 KB file (customer)",
    ),
]
# Ours only, for the reader: the Wagtail floor the customer pages are held to.
OURS_ONLY = ["floor: Wagtail home page"]


def measure(ours, peer, n):
    started = time.perf_counter()
    # Both seed at once (two cores), then answer one round at a time.
    ours.send(do="prepare", n=n, only=[o for _, o, _ in PAIRS] + OURS_ONLY)
    peer.send(do="prepare", n=n, only=[p for _, _, p in PAIRS])
    ours_ready, peer_ready = ours._read(), peer._read()
    print(
        f"\n### N = {n:,} tickets (seeding: ours {ours_ready['seeded']:.1f} s, the peer "
        f"{peer_ready['seeded']:.1f} s, at once)\n"
    )
    times = {"ours": {}, "peer": {}}
    for round_ in range(RUNS):
        order = [("ours", ours), ("peer", peer)]
        for side, child in order if round_ % 2 == 0 else reversed(order):
            for label, ms in child.ask(do="round", round=round_)["times"].items():
                times[side].setdefault(label, []).append(ms)
    median = {side: {k: statistics.median(v) for k, v in t.items()} for side, t in times.items()}
    ours_bare, peer_bare = median["ours"][PAIRS[0][1]], median["peer"][PAIRS[0][2]]
    print(
        "| page | ours ms | peer ms | peer ÷ ours | ours × its bare | peer × its bare "
        "| peer ÷ ours, as × bare | queries ours / peer |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for what, our_label, peer_label in PAIRS:
        o, p = median["ours"][our_label], median["peer"][peer_label]
        print(
            f"| {what} | {o:.1f} | {p:.1f} | {p / o:.2f} | {o / ours_bare:.1f} "
            f"| {p / peer_bare:.1f} | {(p / peer_bare) / (o / ours_bare):.2f} "
            f"| {ours_ready['queries'][our_label]} / {peer_ready['queries'][peer_label]} |"
        )
    for label in OURS_ONLY:
        o = median["ours"][label]
        print(
            f"| {label} (ours only) | {o:.1f} | | | {o / ours_bare:.1f} | | "
            f"| {ours_ready['queries'][label]} |"
        )
    print(f"\n{RUNS} rounds in {time.perf_counter() - started:.0f} s, medians in ms.")
    sys.stdout.flush()


def main():
    for python in (OURS_PYTHON, PEER_PYTHON):
        if not python.exists():
            sys.exit(f"bench/compare.py: {python} is missing (make bench-compare makes it)")
    ours = Child(OURS_PYTHON, ROOT / "bench" / "run.py")
    peer = Child(PEER_PYTHON, ROOT / "bench" / "peer" / "run.py")
    try:
        print(
            f"Ours: Python {ours.hello['python']}, Django {ours.hello['django']}; the peer "
            f"(django-helpdesk 2.6.1): Python {peer.hello['python']}, Django "
            f"{peer.hello['django']}; SQLite in memory, {os.cpu_count()} cores; {RUNS} rounds, "
            "each asking ours and the peer in turn (the order alternating) for every page once."
        )
        for n in sorted(SIZES):
            measure(ours, peer, n)
    finally:
        ours.stop()
        peer.stop()


if __name__ == "__main__":
    main()
