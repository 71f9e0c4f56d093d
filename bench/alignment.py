"""Requests measured at several depths of the Python stack, so that one alignment of CPython's
frame stack does not decide a page's time.

CPython (3.11 and later) keeps frames in 16 KB "data stack chunks" and gives a chunk back to
the system as soon as the stack shrinks below it. When a page's rendering recursion crosses a
chunk boundary at a depth it passes thousands of times, each crossing maps and unmaps a chunk:
page faults (``perf stat -e page-faults``: 285,000 against 66,000 for the same 60 requests)
that made one unchanged page take 46 ms or 76 ms depending only on how deep the benchmark's
own loop called it (bench/RESULTS.md). Where the boundaries fall in a real server is as
arbitrary, so each round calls the page from a different depth, ``STEP`` apart, through
``OFFSETS`` positions covering a whole chunk; the median over the rounds is the page's cost at
an arbitrary alignment, the same for ours and for the peer (bench/peer/run.py).
"""

OFFSETS = 16
# A frame of _padded() holds about 120 slots of 8 bytes: each level moves the stack ~1 KB, so
# 16 levels sweep a 16 KB chunk.
_NAMES = ", ".join(f"_{i}" for i in range(120))
_namespace = {}
exec(  # noqa: S102 - a fixed source: a function whose frame has 120 local slots
    f"def _padded(levels, call):\n"
    f"    {_NAMES} = range(120)\n"
    f"    if levels:\n"
    f"        return _padded(levels - 1, call)\n"
    f"    return call()\n",
    _namespace,
)
_padded = _namespace["_padded"]


def at_offset(round_, call):
    """``call()`` from the stack depth of round ``round_`` (one of ``OFFSETS``)."""
    return _padded(round_ % OFFSETS, call)
